"""The Dutch translation is complete and keeps every placeholder and tag of its English source."""

import os
import sys

import pytest

polib = pytest.importorskip("polib")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import check_translations  # noqa: E402


def test_dutch_translation_is_complete_and_sound():
    path = os.path.join(check_translations.I18N_DIR, "nl.po")
    assert check_translations.problems(path) == []
    assert len(polib.pofile(path).translated_entries()) == len(polib.pofile(check_translations.POT_PATH))


def test_checker_catches_a_lost_placeholder_and_a_lost_tag(tmp_path):
    po = polib.pofile(os.path.join(check_translations.I18N_DIR, "nl.po"))
    for entry in po:
        if entry.msgid == "%s is not a valid URL.":
            entry.msgstr = "Dit is geen geldige URL."
        elif entry.msgid.startswith('<span class="badge text-bg-success" invisible="not password_is_set"'):
            entry.msgstr = entry.msgstr.replace("</span>", "", 1)
        elif entry.msgid == "Active":
            entry.msgstr = ""
    broken = tmp_path / "nl.po"
    po.save(str(broken))
    found = check_translations.problems(str(broken))
    assert any("not a valid URL" in line and "placeholders differ" in line for line in found)
    assert any("markup differs" in line for line in found)
    assert any("'Active': not translated" in line for line in found)
