"""Framework-free access to eConnect's PSB REST API.

Nothing in this package imports Odoo: it is tested with plain pytest (``tests/`` at the
repository root) and imported by the addon as ``odoo.addons.econnect_odoo.psb``.
Modules import each other relatively only, so the package also works as top-level
``psb`` when ``econnect_odoo/`` is on ``sys.path`` (which is how the tests load it).
"""
