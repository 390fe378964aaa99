#!/usr/bin/env python3
"""The addon's README.rst and static/description/index.html, made from its OCA-style ``readme/`` fragments.

    python3 tools/addon_readme.py          # write them
    python3 tools/addon_readme.py --check  # exit 1 when they differ from what the fragments give

Like OCA's ``oca-gen-addon-readme``: the fragments (DESCRIPTION, INSTALL, CONFIGURE, USAGE, ROADMAP,
CONTRIBUTORS; Markdown with lists, ``**bold**``, ``*italic*`` and ```code```) are the source; README.rst is
their reStructuredText, and index.html (what Odoo's Apps screen shows) is docutils' HTML of README.rst.
"""

import argparse
import ast
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON = os.path.join(ROOT, "econnect_odoo")
SECTIONS = (
    ("DESCRIPTION.md", None),
    ("INSTALL.md", "Installation"),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("ROADMAP.md", "Known issues / Roadmap"),
    ("CONTRIBUTORS.md", "Contributors"),
)


def inline(text):
    """Markdown inline code to reStructuredText (``code``); bold and italic are written alike."""
    return re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", text)


def fragment_to_rst(markdown):
    lines = []
    for line in markdown.rstrip().splitlines():
        match = re.match(r"^(\s*)(?:- |\d+\. )(.*)$", line)
        if match:
            bullet = "#." if re.match(r"^\s*\d+\. ", line) else "*"
            lines.append(f"{match.group(1)}{bullet} {inline(match.group(2))}")
        elif line.startswith("  ") and lines and lines[-1].lstrip().startswith(("*", "#.")):
            lines.append(("   " if lines[-1].lstrip().startswith("#.") else "  ") + inline(line.strip()))
        else:
            lines.append(inline(line))
    return "\n".join(lines)


def manifest():
    with open(os.path.join(ADDON, "__manifest__.py"), encoding="utf-8") as handle:
        return ast.literal_eval(handle.read().split("\n", 1)[1])


def readme_rst():
    data = manifest()
    title = data["name"]
    parts = ["=" * len(title), title, "=" * len(title), ""]
    parts += [
        f".. |license| image:: https://img.shields.io/badge/licence-{data['license'].replace('-', '--')}-blue.png",
        "    :alt: License",
        "",
        "|license|",
        "",
    ]
    for filename, heading in SECTIONS:
        path = os.path.join(ADDON, "readme", filename)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as handle:
            body = fragment_to_rst(handle.read())
        if heading:
            parts += [heading, "=" * len(heading), ""]
        parts += [body, ""]
    parts += ["Authors", "=======", "", f"* {data['author']}", "", f"License: {data['license']}.", ""]
    return "\n".join(parts)


def index_html(rst):
    from docutils.core import publish_string  # only this output needs docutils

    html = publish_string(
        rst, writer_name="html4css1",
        settings_overrides={"embed_stylesheet": False, "stylesheet_path": "", "output_encoding": "unicode",
                            "report_level": 2, "halt_level": 2, "_disable_config": True},
    )
    # Odoo warns about an XML declaration in a module's description: the page starts at its doctype
    html = html.split("?>\n", 1)[1] if html.startswith("<?xml") else html
    # no docutils version stamp: the page is the same whichever docutils made it (the check passes with any)
    return re.sub(r'<meta name="generator" content="Docutils [^"]*" />\n', "", html)


def outputs():
    rst = readme_rst()
    return {
        os.path.join(ADDON, "README.rst"): rst,
        os.path.join(ADDON, "static", "description", "index.html"): index_html(rst),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    opts = parser.parse_args()
    stale = []
    for path, text in outputs().items():
        current = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        if current == text:
            continue
        if opts.check:
            stale.append(os.path.relpath(path, ROOT))
        else:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            print(f"wrote {os.path.relpath(path, ROOT)}")
    if stale:
        print("out of date (run python3 tools/addon_readme.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
