"""The addon's README.rst and static/description/index.html are what its readme/ fragments give."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_and_index_html_are_up_to_date():
    done = subprocess.run(  # noqa: S603 (our own tool)
        [sys.executable, os.path.join(REPO, "tools", "addon_readme.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_description_page_has_no_xml_declaration():
    """Odoo warns (a WARNING line fails the tests) about an XML declaration in a module's description."""
    with open(os.path.join(REPO, "econnect_odoo", "static", "description", "index.html"), encoding="utf-8") as page:
        assert not page.read().startswith("<?xml")
