"""Checking the UBL the PSB receives, and building the XML it hands out.

* :func:`inspect_sent` is what ``salesInvoice/send`` runs on the uploaded ``file`` part: a size cap,
  no DTD at all (so no XXE and no entity expansion bombs; the bytes are refused before any parser sees
  them, and the parser itself neither resolves entities nor touches the network), a UBL 2.1 ``Invoice``
  or ``CreditNote`` root, and a buyer ``cbc:EndpointID`` with a ``schemeID`` (the PSB routes on it).
  CII is not accepted by the simulator (the addon only sends UBL).
* :func:`inspect_lenient` reads the same facts from an injected incoming document without refusing
  anything (tests inject broken XML on purpose).
* :func:`application_response` builds a Peppol Invoice Response (``ApplicationResponse``) document.
* :func:`sample_invoice` builds a small Peppol BIS Billing 3.0 invoice (for the demo and tests).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from psb import contract, safexml

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_APP_RESPONSE = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NSMAP = {"cac": NS_CAC, "cbc": NS_CBC}
ROOTS = {NS_INVOICE: "Invoice", NS_CREDIT_NOTE: "CreditNote"}

BIS3_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
BIS3_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
IMR_CUSTOMIZATION = "urn:fdc:peppol.eu:poacc:trns:invoice_response:3"
IMR_PROFILE = "urn:fdc:peppol.eu:poacc:bis:invoice_response:3"
IMR_DOCUMENT_TYPE = "%s::ApplicationResponse##%s::2.1" % (NS_APP_RESPONSE, IMR_CUSTOMIZATION)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# UNCL4343 subset used by Peppol Invoice Response: code -> English name.
RESPONSE_STATUSES = {
    "AB": "Message acknowledgement",
    "IP": "In process",
    "UQ": "Under query",
    "CA": "Conditionally accepted",
    "RE": "Rejected",
    "AP": "Accepted",
    "PD": "Paid",
}


class UBLError(ValueError):
    """The uploaded document is refused; ``str()`` is the message for the 400 answer."""


@dataclass
class UBLInfo:
    root: str  # "Invoice" / "CreditNote" / other local name
    namespace: str
    customization_id: str | None
    profile_id: str | None
    number: str | None  # cbc:ID
    issue_date: str | None
    currency: str | None
    buyer_scheme: str | None
    buyer_endpoint: str | None
    seller_scheme: str | None
    seller_endpoint: str | None
    buyer_name: str | None = None
    seller_name: str | None = None

    @property
    def document_type_id(self):
        """Peppol document type identifier, e.g. ``urn:...:Invoice-2::Invoice##<customization>::2.1``."""
        if not self.namespace:
            return None
        customization = self.customization_id or ""
        return "%s::%s##%s::2.1" % (self.namespace, self.root, customization)

    @property
    def buyer_id(self):
        if self.buyer_scheme and self.buyer_endpoint:
            return "%s:%s" % (self.buyer_scheme, self.buyer_endpoint)
        return None

    @property
    def seller_id(self):
        if self.seller_scheme and self.seller_endpoint:
            return "%s:%s" % (self.seller_scheme, self.seller_endpoint)
        return None


def parse_safely(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse untrusted XML bytes, refusing DTDs/entities, oversize input and malformed XML."""
    try:
        return safexml.parse(data, max_bytes)
    except safexml.XMLRefused as exc:
        raise UBLError(str(exc)) from None


def _text(root, path):
    found = root.find(path, NSMAP)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _endpoint(root, party_path):
    node = root.find(party_path + "/cac:Party/cbc:EndpointID", NSMAP)
    if node is None:
        return None, None
    scheme = (node.get("schemeID") or "").strip() or None
    value = (node.text or "").strip() or None
    return scheme, value


def _info(root):
    qname = etree.QName(root)
    buyer_scheme, buyer_value = _endpoint(root, "cac:AccountingCustomerParty")
    seller_scheme, seller_value = _endpoint(root, "cac:AccountingSupplierParty")
    return UBLInfo(
        root=qname.localname,
        namespace=qname.namespace or "",
        customization_id=_text(root, "cbc:CustomizationID"),
        profile_id=_text(root, "cbc:ProfileID"),
        number=_text(root, "cbc:ID"),
        issue_date=_text(root, "cbc:IssueDate"),
        currency=_text(root, "cbc:DocumentCurrencyCode"),
        buyer_scheme=buyer_scheme,
        buyer_endpoint=buyer_value,
        seller_scheme=seller_scheme,
        seller_endpoint=seller_value,
        buyer_name=_text(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName")
        or _text(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name"),
        seller_name=_text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName")
        or _text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name"),
    )


def inspect_sent(data, max_bytes=DEFAULT_MAX_BYTES):
    """Check an uploaded sales document like the PSB does; return its :class:`UBLInfo`."""
    root = parse_safely(data, max_bytes)
    qname = etree.QName(root)
    if ROOTS.get(qname.namespace) != qname.localname:
        raise UBLError(
            "The root element {%s}%s is not a UBL 2.1 Invoice or CreditNote." % (qname.namespace or "", qname.localname)
        )
    info = _info(root)
    node = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NSMAP)
    if node is None or not (node.text or "").strip():
        raise UBLError(
            "The buyer has no electronic address: "
            "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID is missing or empty."
        )
    if not info.buyer_scheme:
        raise UBLError("The buyer's cbc:EndpointID has no schemeID attribute.")
    return info


def inspect_lenient(data):
    """Best-effort :class:`UBLInfo` of any bytes (``None`` when they are not safe, well-formed XML)."""
    try:
        return _info(parse_safely(data, max_bytes=0))
    except (UBLError, ValueError):
        return None


def _lookup(value, table, extra_names=None):
    """Code for ``value`` given as a code or a name (any case, spaces ignored), else ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.upper() in table:
        return text.upper()
    wanted = text.lower().replace(" ", "").replace("_", "")
    for names in (table, extra_names or {}):
        for code, name in names.items():
            if name.lower().replace(" ", "").replace("_", "") == wanted:
                return code
    return None


def normalize_status(status):
    """UNCL4343 code of a response status given as a code (``AP``), eConnect's name (``Accept``)
    or the UNCL name (``Accepted``); ``None`` when unknown."""
    return _lookup(status, contract.INVOICE_RESPONSE_STATUSES, RESPONSE_STATUSES)


def normalize_reason(reason):
    """Clarification reason code (``REF``) of a code or eConnect name, else ``None``."""
    return _lookup(reason, contract.INVOICE_RESPONSE_REASONS)


def normalize_action(action):
    """Clarification action code (``NIN``) of a code or eConnect name, else ``None``."""
    return _lookup(action, contract.INVOICE_RESPONSE_ACTIONS)


def code_pairs(value, normalize, what):
    """``[(code, text or None)]`` of reasons or actions given as ``{code or name: text}``, ``[code, ...]``
    or one code (the control API and tests may use names; what the PSB *receives* is checked by the API
    itself); ``ValueError`` for an unknown one."""
    pairs = []
    for name, text in _pairs(value):
        code = normalize(name)
        if code is None:
            raise ValueError("Unknown invoice response %s %r." % (what, name))
        pairs.append((code, text))
    return pairs


def _sub(parent, tag, text=None, **attrs):
    prefix, local = tag.split(":")
    node = etree.SubElement(parent, "{%s}%s" % (NSMAP[prefix], local), {k: str(v) for k, v in attrs.items()})
    if text is not None:
        node.text = str(text)
    return node


def _split_party(party_id):
    scheme, _, value = (party_id or "").partition(":")
    return (scheme, value) if value else ("0106", party_id or "")


def _response_party(parent, tag, party_id, name):
    party = _sub(parent, tag)
    scheme, value = _split_party(party_id)
    _sub(party, "cbc:EndpointID", value, schemeID=scheme)
    _sub(_sub(party, "cac:PartyLegalEntity"), "cbc:RegistrationName", name or party_id)
    return party


def _pairs(value):
    """``{"code": "text"}``, ``["code", ...]``, ``[("code", "text"), ...]`` or ``None`` -> list of (code, text)."""
    if not value:
        return []
    if isinstance(value, dict):
        return [(str(k), None if v is None else str(v)) for k, v in value.items()]
    if isinstance(value, str):
        return [(value, None)]
    return [
        (str(v[0]), None if v[1] is None else str(v[1])) if isinstance(v, tuple | list) else (str(v), None)
        for v in value
    ]


def application_response(
    response_id,
    status,
    invoice_number,
    sender_id,
    receiver_id,
    sender_name=None,
    receiver_name=None,
    reasons=None,
    actions=None,
    note=None,
    document_type_code="380",
    issue_date=None,
):
    """Build a Peppol Invoice Response 3 ``ApplicationResponse`` (bytes, UTF-8 with declaration).

    ``sender_id`` is the party answering (the buyer), ``receiver_id`` the party that sent the invoice.
    """
    code = normalize_status(status) or status
    root = etree.Element("{%s}ApplicationResponse" % NS_APP_RESPONSE, nsmap={None: NS_APP_RESPONSE, **NSMAP})
    _sub(root, "cbc:CustomizationID", IMR_CUSTOMIZATION)
    _sub(root, "cbc:ProfileID", IMR_PROFILE)
    _sub(root, "cbc:ID", response_id)
    _sub(root, "cbc:IssueDate", issue_date or datetime.date.today().isoformat())
    if note:
        _sub(root, "cbc:Note", note)
    _response_party(root, "cac:SenderParty", sender_id, sender_name)
    _response_party(root, "cac:ReceiverParty", receiver_id, receiver_name)
    doc_response = _sub(root, "cac:DocumentResponse")
    response = _sub(doc_response, "cac:Response")
    _sub(response, "cbc:ResponseCode", code, listID="UNCL4343OpSubset")
    for reason_code, text in _pairs(reasons):
        node = _sub(response, "cac:Status")
        _sub(node, "cbc:StatusReasonCode", reason_code, listID="OPStatusReason")
        if text:
            _sub(node, "cbc:StatusReason", text)
    for action_code, text in _pairs(actions):
        node = _sub(response, "cac:Status")
        _sub(node, "cbc:StatusReasonCode", action_code, listID="OPStatusAction")
        if text:
            _sub(node, "cbc:StatusReason", text)
    reference = _sub(doc_response, "cac:DocumentReference")
    _sub(reference, "cbc:ID", invoice_number or "NA")
    _sub(reference, "cbc:DocumentTypeCode", document_type_code, listID="UNCL1001")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


_COUNTRY_BY_SCHEME = {"0106": "NL", "0190": "NL", "9944": "NL", "0208": "BE", "9925": "BE", "0088": "NL"}


def _address(party, country, street, city, zone):
    address = _sub(party, "cac:PostalAddress")
    _sub(address, "cbc:StreetName", street)
    _sub(address, "cbc:CityName", city)
    _sub(address, "cbc:PostalZone", zone)
    _sub(_sub(address, "cac:Country"), "cbc:IdentificationCode", country)


def _invoice_party(parent, tag, party_id, name, country, vat, street, city, zone):
    party = _sub(_sub(parent, tag), "cac:Party")
    scheme, value = _split_party(party_id)
    _sub(party, "cbc:EndpointID", value, schemeID=scheme)
    _sub(_sub(party, "cac:PartyName"), "cbc:Name", name)
    _address(party, country, street, city, zone)
    if vat:
        tax = _sub(party, "cac:PartyTaxScheme")
        _sub(tax, "cbc:CompanyID", vat)
        _sub(_sub(tax, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _sub(party, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", name)
    if scheme in ("0106", "0190") or country != "NL":
        _sub(legal, "cbc:CompanyID", value, schemeID=scheme)
    return party


def sample_invoice(
    sender_id,
    receiver_id,
    number="DEMO-0001",
    sender_name="Demo Supplier B.V.",
    receiver_name="Demo Customer B.V.",
    amount="100.00",
    vat_percent="21",
    issue_date=None,
    credit_note=False,
    iban="NL91ABNA0417164300",
):
    """A small but complete Peppol BIS Billing 3.0 invoice (or credit note) from sender to receiver (an invoice
    asks to be paid into ``iban``)."""
    issue = issue_date or datetime.date.today()
    if isinstance(issue, str):
        issue = datetime.date.fromisoformat(issue)
    net = Decimal(str(amount)).quantize(Decimal("0.01"))
    percent = Decimal(str(vat_percent))
    tax = (net * percent / 100).quantize(Decimal("0.01"))
    total = net + tax
    sender_country = _COUNTRY_BY_SCHEME.get(_split_party(sender_id)[0], "NL")
    receiver_country = _COUNTRY_BY_SCHEME.get(_split_party(receiver_id)[0], "NL")
    ns = NS_CREDIT_NOTE if credit_note else NS_INVOICE
    root_name = "CreditNote" if credit_note else "Invoice"
    root = etree.Element("{%s}%s" % (ns, root_name), nsmap={None: ns, **NSMAP})
    _sub(root, "cbc:CustomizationID", BIS3_CUSTOMIZATION)
    _sub(root, "cbc:ProfileID", BIS3_PROFILE)
    _sub(root, "cbc:ID", number)
    _sub(root, "cbc:IssueDate", issue.isoformat())
    if not credit_note:
        _sub(root, "cbc:DueDate", (issue + datetime.timedelta(days=30)).isoformat())
    _sub(
        root,
        "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode",
        "381" if credit_note else "380",
    )
    _sub(root, "cbc:DocumentCurrencyCode", "EUR")
    _sub(root, "cbc:BuyerReference", "DEMO")
    if credit_note:
        _sub(
            _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference"),
            "cbc:ID",
            "DEMO-ORIGINAL",
        )
    _invoice_party(
        root,
        "cac:AccountingSupplierParty",
        sender_id,
        sender_name,
        sender_country,
        "%s001234567B01" % sender_country if sender_country == "NL" else "%s0123456749" % sender_country,
        "Demostraat 1",
        "Woerden",
        "3447 GW",
    )
    _invoice_party(
        root,
        "cac:AccountingCustomerParty",
        receiver_id,
        receiver_name,
        receiver_country,
        None,
        "Klantweg 2",
        "Utrecht",
        "3511 AA",
    )
    if not credit_note:
        means = _sub(root, "cac:PaymentMeans")
        _sub(means, "cbc:PaymentMeansCode", "30")
        _sub(means, "cbc:PaymentID", number)
        _sub(_sub(means, "cac:PayeeFinancialAccount"), "cbc:ID", iban)
    tax_total = _sub(root, "cac:TaxTotal")
    _sub(tax_total, "cbc:TaxAmount", tax, currencyID="EUR")
    subtotal = _sub(tax_total, "cac:TaxSubtotal")
    _sub(subtotal, "cbc:TaxableAmount", net, currencyID="EUR")
    _sub(subtotal, "cbc:TaxAmount", tax, currencyID="EUR")
    category = _sub(subtotal, "cac:TaxCategory")
    _sub(category, "cbc:ID", "S")
    _sub(category, "cbc:Percent", percent)
    _sub(_sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")
    totals = _sub(root, "cac:LegalMonetaryTotal")
    _sub(totals, "cbc:LineExtensionAmount", net, currencyID="EUR")
    _sub(totals, "cbc:TaxExclusiveAmount", net, currencyID="EUR")
    _sub(totals, "cbc:TaxInclusiveAmount", total, currencyID="EUR")
    _sub(totals, "cbc:PayableAmount", total, currencyID="EUR")
    line = _sub(root, "cac:CreditNoteLine" if credit_note else "cac:InvoiceLine")
    _sub(line, "cbc:ID", "1")
    _sub(line, "cbc:CreditedQuantity" if credit_note else "cbc:InvoicedQuantity", "1", unitCode="C62")
    _sub(line, "cbc:LineExtensionAmount", net, currencyID="EUR")
    item = _sub(line, "cac:Item")
    _sub(item, "cbc:Name", "Demo service")
    line_category = _sub(item, "cac:ClassifiedTaxCategory")
    _sub(line_category, "cbc:ID", "S")
    _sub(line_category, "cbc:Percent", percent)
    _sub(_sub(line_category, "cac:TaxScheme"), "cbc:ID", "VAT")
    _sub(_sub(line, "cac:Price"), "cbc:PriceAmount", net, currencyID="EUR")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
