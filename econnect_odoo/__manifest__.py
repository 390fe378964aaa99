# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "eConnect e-invoicing",
    "summary": "Send and receive Peppol e-invoices through eConnect, the Dutch Peppol access point",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/econnect-odoo/econnect_odoo",
    "author": "econnect_odoo contributors",
    "license": "LGPL-3",
    "depends": ["account", "account_edi_ubl_cii", "mail"],
    "external_dependencies": {"python": ["requests", "lxml", "cryptography"]},
    "data": [
        "security/econnect_security.xml",
        "security/ir.model.access.csv",
        "security/econnect_rules.xml",
        "data/ubl_templates.xml",
        "views/econnect_connection_views.xml",
        "views/res_company_views.xml",
        "views/res_config_settings_views.xml",
        "wizard/econnect_receive_prompt_views.xml",
    ],
    "demo": ["demo/econnect_demo.xml"],
    "assets": {
        "web.assets_backend": ["econnect_odoo/static/src/**/*"],
        "web.assets_tests": ["econnect_odoo/static/tests/tours/**/*"],
    },
    "installable": True,
    "application": False,
}
