# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "eConnect e-invoicing: Dutch demo",
    "summary": "Development tooling: a Dutch demo company, customers, vendors and invoices for econnect_odoo",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "website": "https://github.com/econnect-odoo/econnect_odoo",
    "author": "econnect_odoo contributors",
    "license": "LGPL-3",
    "depends": ["econnect_odoo", "l10n_nl"],
    "demo": ["data/econnect_demo_nl.xml"],
    "assets": {
        "web.assets_tests": ["econnect_demo_nl/static/tests/tours/**/*"],
    },
    "installable": True,
}
