"""Make the framework-free package importable as ``psb`` without Odoo."""
import os
import sys

ADDON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "econnect_odoo")
if ADDON_DIR not in sys.path:
    sys.path.insert(0, ADDON_DIR)
