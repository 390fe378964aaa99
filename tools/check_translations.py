#!/usr/bin/env python3
"""Check the addon's translations (``econnect_odoo/i18n/*.po``) against its template (``econnect_odoo.pot``).

For every language file: each term of the template is there, with the same source references, comments
and flags, translated (no empty, fuzzy or obsolete entry), and its translation keeps what the program fills
in or renders exactly: ``%s`` / ``%(name)s`` / ``%%`` (and really formats with them), ``{{ ... }}`` and
``{}`` placeholders, every HTML/XML tag with its attributes, and the number of line breaks. The header
names the language and its plural forms.

Usage: ``python3 tools/check_translations.py [LANG ...]`` (default: every ``.po`` file); exit code 1 and
one line per problem when something is wrong. ``problems(po_path, pot_path)`` is what the tests call.
"""

import collections
import glob
import os
import re
import sys

import polib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
I18N_DIR = os.path.join(ROOT, "econnect_odoo", "i18n")
POT_PATH = os.path.join(I18N_DIR, "econnect_odoo.pot")

# printf-style conversions as Python's % operator reads them (a lone "%" before a letter that is no
# conversion, like "0% tax", is plain text for Odoo: it only %-formats code terms given arguments)
PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGcoa%]")
JINJA = re.compile(r"\{\{.*?\}\}", re.S)
BRACES = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"<[^<>]*>")


def _multiset(pattern, text):
    return collections.Counter(pattern.findall(text))


def _is_code_term(entry):
    return any(path.startswith("code:") for path, _line in entry.occurrences)


def _format_problem(msgid, msgstr):
    """Format both texts the way Odoo does for a code term given arguments; a message when msgstr fails."""
    named = re.findall(r"%\(([^)]*)\)", msgid)
    if named:
        args = dict.fromkeys(named, "x")
    else:
        count = len([m for m in PERCENT.findall(msgid) if m != "%%"])
        if not count:
            return None
        args = tuple("x" for _ in range(count))
    try:
        msgid % args
    except (TypeError, ValueError, KeyError):
        return None  # the source itself is not a format string: nothing to compare
    try:
        msgstr % args
    except (TypeError, ValueError, KeyError) as error:
        return f"does not format like its source ({error})"
    return None


def entry_problems(entry, template):
    """What is wrong with one translated entry compared to its template entry (a list of messages)."""
    found = []
    if entry.obsolete:
        found.append("obsolete")
    if "fuzzy" in entry.flags:
        found.append("fuzzy")
    if not entry.msgstr.strip():
        found.append("not translated")
        return found
    if sorted(entry.occurrences) != sorted(template.occurrences):
        found.append("source references differ from the template")
    if entry.comment != template.comment:
        found.append("extracted comments differ from the template")
    if sorted(f for f in entry.flags if f != "fuzzy") != sorted(template.flags):
        found.append("flags differ from the template")
    msgid, msgstr = template.msgid, entry.msgstr
    if _multiset(PERCENT, msgid) != _multiset(PERCENT, msgstr):
        found.append(f"%-placeholders differ: {sorted(PERCENT.findall(msgid))} vs {sorted(PERCENT.findall(msgstr))}")
    elif _is_code_term(template):
        problem = _format_problem(msgid, msgstr)
        if problem:
            found.append(problem)
    if _multiset(JINJA, msgid) != _multiset(JINJA, msgstr):
        found.append("{{ ... }} placeholders differ")
    if _multiset(BRACES, JINJA.sub("", msgid)) != _multiset(BRACES, JINJA.sub("", msgstr)):
        found.append("{} placeholders differ")
    if _multiset(TAG, msgid) != _multiset(TAG, msgstr):
        missing = _multiset(TAG, msgid) - _multiset(TAG, msgstr)
        extra = _multiset(TAG, msgstr) - _multiset(TAG, msgid)
        found.append(f"markup differs: missing {sorted(missing)}, extra {sorted(extra)}")
    if msgid.count("\n") != msgstr.count("\n"):
        found.append(f"line breaks differ: {msgid.count(chr(10))} vs {msgstr.count(chr(10))}")
    return found


def problems(po_path, pot_path=POT_PATH):
    """Every problem of one language file, as readable lines (empty when it is complete and sound)."""
    pot = polib.pofile(pot_path)
    po = polib.pofile(po_path)
    found = []
    language = po.metadata.get("Language", "")
    expected = os.path.splitext(os.path.basename(po_path))[0]
    if language != expected:
        found.append(f"header: Language is {language!r}, expected {expected!r}")
    if not po.metadata.get("Plural-Forms", "").startswith("nplurals="):
        found.append("header: no Plural-Forms")
    if "charset=UTF-8" not in po.metadata.get("Content-Type", ""):
        found.append("header: Content-Type is not UTF-8")
    translated = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    for template in pot:
        entry = translated.pop((template.msgctxt, template.msgid), None)
        label = template.msgid[:60].replace("\n", "\\n")
        if entry is None:
            found.append(f"missing: {label!r}")
            continue
        found.extend(f"{label!r}: {problem}" for problem in entry_problems(entry, template))
    found.extend(f"not in the template: {msgid[:60]!r}" for _ctx, msgid in translated)
    return found


def main(languages):
    paths = [os.path.join(I18N_DIR, f"{lang}.po") for lang in languages] or sorted(
        glob.glob(os.path.join(I18N_DIR, "*.po"))
    )
    failed = False
    for path in paths:
        found = problems(path)
        total = len(polib.pofile(POT_PATH))
        print(f"{os.path.relpath(path, ROOT)}: {total} terms, {len(found)} problem(s)")
        for line in found:
            print(f"  {line}")
        failed = failed or bool(found)
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
