#!/usr/bin/env python3
"""Regenerate the addon's translation template and merge it into every language file.

    python3 tools/update_translations.py

1. installs econnect_odoo (without demo data) in a throwaway database of a throwaway PostgreSQL cluster and
   exports its terms with Odoo's own exporter (``--i18n-export``) to ``econnect_odoo/i18n/econnect_odoo.pot``;
2. merges the template into each ``econnect_odoo/i18n/<lang>.po`` (new terms come in untranslated, removed
   ones are dropped);
3. prints what ``tools/check_translations.py`` finds still to do (untranslated, fuzzy, placeholders).

Then translate what it lists (edit the .po) until ``python3 tools/check_translations.py`` says nothing.
Needs Odoo importable.
"""

import glob
import os
import subprocess
import sys
import tempfile

import polib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from check_translations import I18N_DIR, POT_PATH, problems  # noqa: E402
from pgcluster import ThrowawayCluster  # noqa: E402
from run_tests import odoo_addons_path  # noqa: E402


def export_pot(env):
    data_dir = tempfile.mkdtemp(prefix="econnect-i18n-data-")
    common = [
        f"--addons-path={odoo_addons_path()}", f"--data-dir={data_dir}",
        f"--db_host={env['PGHOST']}", f"--db_port={env['PGPORT']}", f"--db_user={env['PGUSER']}",
        "--max-cron-threads=0", "--no-http", "--log-level=warn", "-d", "econnect_i18n",
    ]
    subprocess.run(
        [sys.executable, "-m", "odoo", *common, "-i", "econnect_odoo", "--without-demo=all", "--stop-after-init"],
        check=True, env=env,
    )
    subprocess.run(
        [sys.executable, "-m", "odoo", *common, "--i18n-export", POT_PATH, "--modules", "econnect_odoo",
         "--stop-after-init"],
        check=True, env=env,
    )


def merge(po_path):
    """Bring the template's terms into a language file (polib, which writes as Odoo's exporter does: small
    diffs); new terms come in untranslated, and terms the template no longer has are dropped."""
    po = polib.pofile(po_path)
    po.merge(polib.pofile(POT_PATH))
    for entry in po.obsolete_entries():
        po.remove(entry)
    po.metadata["POT-Creation-Date"] = polib.pofile(POT_PATH).metadata.get("POT-Creation-Date", "")
    po.save(po_path)


def main():
    with ThrowawayCluster() as cluster:
        export_pot(dict(os.environ, **cluster.env))
    print(f"template: {os.path.relpath(POT_PATH, ROOT)}")
    left = 0
    for po_path in sorted(glob.glob(os.path.join(I18N_DIR, "*.po"))):
        merge(po_path)
        todo = problems(po_path, POT_PATH)
        left += len(todo)
        print(f"{os.path.relpath(po_path, ROOT)}: {len(todo)} to do")
        for line in todo:
            print(f"  {line}")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
