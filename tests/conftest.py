"""Make the framework-free package importable as ``psb`` without Odoo, and the PSB simulator (development
tooling at the repository's root, ``psb_simulator/``) importable next to it."""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON_DIR = os.path.join(REPO, "econnect_odoo")
for path in (ADDON_DIR, REPO):
    if path not in sys.path:
        sys.path.insert(0, path)
