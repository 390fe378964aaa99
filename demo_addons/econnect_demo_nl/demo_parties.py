"""The parties of the Dutch demo, in one place (framework-free: ``tools/run_demo.py`` reads it too).

Every Peppol id here resolves in the demo environment (the simulator in demo mode delivers to every valid
party id; the customers are also its registered demo participants).
"""

#: The demo company: KvK number, VAT, its eConnect party id, its bank account.
COMPANY = {
    "name": "Demo Bedrijf B.V.",
    "company_registry": "12345678",
    "vat": "NL004495445B01",
    "party": "0106:12345678",
    "iban": "NL78RABO7948612920",
    "email": "administratie@demobedrijf.example",
}

#: Customers: Peppol id "scheme:value"; ``buyer_reference`` (their Reference in Odoo) is the buyer reference every
#: invoice carries; ``order_reference`` is what the invoice must carry (Dutch government
#: bodies, OIN 0190, want their purchase order number). Their answers to delivered invoices (invoice responses)
#: come from the simulator in demo mode (``DEMO_ANSWERS`` in psb_simulator/core.py, in turn).
CUSTOMERS = (
    {
        "key": "klant", "buyer_reference": "DK-4711",
        "name": "Demo Klant B.V.", "country": "nl", "vat": "NL853746333B01",
        "company_registry": "87654321", "peppol": "0106:87654321", "street": "Kerkstraat 10",
        "zip": "1017 GC", "city": "Amsterdam", "email": "inkoop@demoklant.example",
    },
    {
        "key": "groothandel", "buyer_reference": "VG-INKOOP",
        "name": "Voorbeeld Groothandel B.V.", "country": "nl", "vat": "NL820646660B01",
        "company_registry": "11223344", "peppol": "0106:11223344", "street": "Industrieweg 5",
        "zip": "3542 AD", "city": "Utrecht", "email": "crediteuren@voorbeeldgroothandel.example",
    },
    {
        "key": "client_be", "buyer_reference": "DC-2026",
        "name": "Demo Client SA", "country": "be", "vat": "BE0123456749",
        "company_registry": "0123456749", "peppol": "0208:0123456749", "street": "Rue de la Loi 16",
        "zip": "1000", "city": "Bruxelles", "email": "factures@democlient.example",
    },
    {
        "key": "gemeente", "buyer_reference": "DEMODORP-FIN",
        "name": "Gemeente Demodorp", "country": "nl", "vat": "NL002012340B01",
        "company_registry": "00000001234567890000", "peppol": "0190:00000001234567890000",
        "street": "Raadhuisplein 1", "zip": "9999 AA", "city": "Demodorp", "email": "facturen@demodorp.example",
        "order_reference": "PO-2026-0042",
    },
)

#: Vendors whose e-invoices arrive at the demo company: each sends one at the demo's first start.
#: ``vat_percent`` is the rate on its invoice. "Drukkerij Oud Tarief" still charges the old 6 % low rate, which
#: the Dutch chart has no purchase tax for: Odoo's importer leaves the tax out, so its bill shows
#: "The bill does not match the e-invoice" on purpose.
VENDORS = (
    {
        "key": "kantoor", "name": "Kantoorartikelen Jansen B.V.", "vat": "NL809641185B01",
        "peppol": "0106:22334455", "city": "Woerden", "number": "KJ-2026-0101", "amount": "250.00",
        "vat_percent": "21", "matches": True, "iban": "NL20INGB0001234567",
    },
    {
        "key": "koffie", "name": "Koffiebranderij De Boon B.V.", "vat": "NL810432559B01",
        "peppol": "0106:33445566", "city": "Gouda", "number": "DB-2026-0033", "amount": "84.00",
        "vat_percent": "9", "matches": True, "iban": "NL83ABNA0412345678",
    },
    {
        "key": "drukkerij", "name": "Drukkerij Oud Tarief B.V.", "vat": "NL123456782B90",
        "peppol": "0106:44556677", "city": "Zwolle", "number": "DOT-2026-0007", "amount": "400.00",
        "vat_percent": "6", "matches": False, "iban": "NL44RABO0123456789",
    },
)
