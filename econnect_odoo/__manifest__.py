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
    ],
    "installable": True,
    "application": False,
}
