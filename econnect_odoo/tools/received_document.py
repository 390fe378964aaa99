"""Reading documents received from eConnect: safe parsing, the figures an invoice states, invoice responses.

Framework-free (lxml only). Every document from outside is parsed here first:

* a size cap;
* no DTD at all: a document declaring a DOCTYPE or an ENTITY (in any common encoding) is refused *before*
  any parser sees it, so neither an external entity (XXE) nor an entity expansion bomb is ever expanded;
* elements and attributes counted before any parser sees it (see :func:`psb.safexml.markup_problem`);
* the parser itself resolves no entities, loads no DTD, touches no network and refuses huge trees.

Only a document that passes goes on to Odoo's own importer (which parses again with lxml's defaults).
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from ..psb import safexml

DEFAULT_MAX_BYTES = safexml.DEFAULT_MAX_BYTES

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_APP_RESPONSE = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS_CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS = {"cac": NS_CAC, "cbc": NS_CBC, "rsm": NS_CII, "ram": NS_RAM}

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
# UNCL1001 codes of credit notes (CII says it with a type code, UBL with its root element)
_CREDIT_NOTE_TYPE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})


class DocumentError(ValueError):
    """Base class; ``str()`` is a plain English sentence, :attr:`reason` a stable word the addon translates:
    ``dtd``, ``too_large``, ``too_complex`` (unsafe); ``empty``, ``syntax``, ``not_response``, ``no_status``
    (unreadable)."""

    kind = "error"

    def __init__(self, message, reason="error", detail=None):
        super().__init__(message)
        self.reason = reason
        self.detail = detail


class UnsafeDocument(DocumentError):
    """The document declares a DTD or entities, is larger than allowed or has more elements or attributes than
    allowed: refused, never expanded."""

    kind = "unsafe"


class UnreadableDocument(DocumentError):
    """Empty, not well-formed, or not XML at all."""

    kind = "unreadable"


def parse(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse untrusted XML bytes into the root element (see :mod:`psb.safexml`).

    Raises :class:`UnsafeDocument` (DTD/entity declaration, too large, too many elements or attributes) or
    :class:`UnreadableDocument`.
    """
    try:
        return safexml.parse(data, max_bytes)
    except safexml.XMLRefused as exc:
        error_class = UnsafeDocument if exc.unsafe else UnreadableDocument
        raise error_class(str(exc), exc.reason, exc.detail) from None


# ---------------------------------------------------------------------------------------------
# The figures an invoice states
# ---------------------------------------------------------------------------------------------
@dataclass
class DocumentFigures:
    """What an e-invoice says about itself. Amounts are Decimals in the document currency (None if absent)."""

    syntax: str  # "ubl" / "cii"
    kind: str  # INVOICE / CREDIT_NOTE
    number: str | None = None
    currency: str | None = None
    untaxed: Decimal | None = None  # BT-109 TaxExclusiveAmount / TaxBasisTotalAmount
    tax: Decimal | None = None  # BT-110 TaxAmount in the document currency
    total: Decimal | None = None  # BT-112 TaxInclusiveAmount / GrandTotalAmount
    payable: Decimal | None = None  # BT-115
    tax_rates: list = field(default_factory=list)  # VAT rates (Decimal) of the tax breakdown
    seller_name: str | None = None
    seller_vat: str | None = None
    seller_endpoint: str | None = None  # "scheme:value"


def _text(node, path):
    found = node.find(path, NS)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _amount(text):
    if text is None:
        return None
    try:
        return Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None


def _tax_in_currency(nodes, currency):
    """The tax total stated in the document currency (a second TaxTotal may be in the tax currency)."""
    fallback = None
    for node in nodes:
        value = _amount(node.text)
        if value is None:
            continue
        if node.get("currencyID") == currency:
            return value
        if fallback is None and not node.get("currencyID"):
            fallback = value
    if fallback is not None:
        return fallback
    return _amount(nodes[0].text) if len(nodes) == 1 else None


def _rates(texts):
    rates = []
    for text in texts:
        value = _amount(text)
        if value is not None and value not in rates:
            rates.append(value)
    return rates


def _ubl_figures(root, local):
    currency = _text(root, "cbc:DocumentCurrencyCode")
    totals = root.find("cac:LegalMonetaryTotal", NS)
    tax_nodes = root.findall("cac:TaxTotal/cbc:TaxAmount", NS)
    kind = CREDIT_NOTE if local == "CreditNote" else INVOICE
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    endpoint = seller.find("cbc:EndpointID", NS) if seller is not None else None
    return DocumentFigures(
        syntax="ubl",
        kind=kind,
        number=_text(root, "cbc:ID"),
        currency=currency,
        untaxed=_amount(_text(totals, "cbc:TaxExclusiveAmount")) if totals is not None else None,
        tax=_tax_in_currency(tax_nodes, currency) if tax_nodes else Decimal(0),
        total=_amount(_text(totals, "cbc:TaxInclusiveAmount")) if totals is not None else None,
        payable=_amount(_text(totals, "cbc:PayableAmount")) if totals is not None else None,
        tax_rates=_rates(n.text for n in root.findall("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent", NS)),
        seller_name=(
            _text(seller, "cac:PartyLegalEntity/cbc:RegistrationName") or _text(seller, "cac:PartyName/cbc:Name")
        ) if seller is not None else None,
        seller_vat=_text(seller, "cac:PartyTaxScheme/cbc:CompanyID") if seller is not None else None,
        seller_endpoint=(
            f"{endpoint.get('schemeID', '')}:{(endpoint.text or '').strip()}".strip(":")
            if endpoint is not None and (endpoint.text or "").strip() else None
        ),
    )


def _cii_figures(root):
    settlement = root.find(
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement", NS
    )
    currency = _text(settlement, "ram:InvoiceCurrencyCode") if settlement is not None else None
    summation = (
        settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS) if settlement is not None else None
    )
    type_code = _text(root, "rsm:ExchangedDocument/ram:TypeCode")
    seller = root.find("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty", NS)
    endpoint = seller.find("ram:URIUniversalCommunication/ram:URIID", NS) if seller is not None else None
    tax_nodes = summation.findall("ram:TaxTotalAmount", NS) if summation is not None else []
    return DocumentFigures(
        syntax="cii",
        kind=CREDIT_NOTE if type_code in _CREDIT_NOTE_TYPE_CODES else INVOICE,
        number=_text(root, "rsm:ExchangedDocument/ram:ID"),
        currency=currency,
        untaxed=_amount(_text(summation, "ram:TaxBasisTotalAmount")) if summation is not None else None,
        tax=_tax_in_currency(tax_nodes, currency) if tax_nodes else Decimal(0),
        total=_amount(_text(summation, "ram:GrandTotalAmount")) if summation is not None else None,
        payable=_amount(_text(summation, "ram:DuePayableAmount")) if summation is not None else None,
        tax_rates=_rates(
            n.text for n in settlement.findall("ram:ApplicableTradeTax/ram:RateApplicablePercent", NS)
        ) if settlement is not None else [],
        seller_name=_text(seller, "ram:Name") if seller is not None else None,
        seller_vat=_text(seller, "ram:SpecifiedTaxRegistration/ram:ID") if seller is not None else None,
        seller_endpoint=(
            f"{endpoint.get('schemeID', '')}:{(endpoint.text or '').strip()}".strip(":")
            if endpoint is not None and (endpoint.text or "").strip() else None
        ),
    )


def figures(root):
    """The :class:`DocumentFigures` of a UBL Invoice/CreditNote or a CII invoice, or None for anything else."""
    qname = etree.QName(root)
    if qname.namespace == NS_INVOICE and qname.localname == "Invoice":
        return _ubl_figures(root, "Invoice")
    if qname.namespace == NS_CREDIT_NOTE and qname.localname == "CreditNote":
        return _ubl_figures(root, "CreditNote")
    if qname.namespace == NS_CII and qname.localname == "CrossIndustryInvoice":
        return _cii_figures(root)
    return None


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(number, document_id):
    """A harmless file name for a received document."""
    stem = _SAFE_NAME.sub("_", (number or document_id or "document").strip())[:80].strip("._") or "document"
    return f"{stem}.xml"


# ---------------------------------------------------------------------------------------------
# Invoice responses (Peppol Invoice Response 3, UBL ApplicationResponse)
# ---------------------------------------------------------------------------------------------
@dataclass
class InvoiceResponse:
    status: str  # UNCL4343 code: AB, IP, UQ, CA, RE, AP, PD
    reasons: list = field(default_factory=list)  # [(code, text or None)] clarification reasons (OPStatusReason)
    actions: list = field(default_factory=list)  # [(code, text or None)] requested actions (OPStatusAction)
    note: str | None = None
    invoice_number: str | None = None
    issue_date: str | None = None


def invoice_response(root):
    """Read a Peppol Invoice Response; raises :class:`UnreadableDocument` when it is none."""
    qname = etree.QName(root)
    if qname.namespace != NS_APP_RESPONSE or qname.localname != "ApplicationResponse":
        raise UnreadableDocument("The document is not an invoice response (UBL ApplicationResponse).", "not_response")
    response = root.find("cac:DocumentResponse/cac:Response", NS)
    code = _text(response, "cbc:ResponseCode") if response is not None else None
    if not code:
        raise UnreadableDocument("The invoice response has no response code.", "no_status")
    reasons, actions = [], []
    for status in response.findall("cac:Status", NS):
        node = status.find("cbc:StatusReasonCode", NS)
        text = _text(status, "cbc:StatusReason")
        if node is None or not (node.text or "").strip():
            if text:
                reasons.append(("OTH", text))
            continue
        target = actions if (node.get("listID") or "").strip() == "OPStatusAction" else reasons
        target.append((node.text.strip().upper(), text))
    notes = [n.text.strip() for n in root.findall("cbc:Note", NS) if n.text and n.text.strip()]
    notes += [n.text.strip() for n in response.findall("cbc:Description", NS) if n.text and n.text.strip()]
    return InvoiceResponse(
        status=code.strip().upper(),
        reasons=reasons,
        actions=actions,
        note="\n".join(notes) or None,
        invoice_number=_text(root, "cac:DocumentResponse/cac:DocumentReference/cbc:ID"),
        issue_date=_text(root, "cbc:IssueDate"),
    )
