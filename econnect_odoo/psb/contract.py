"""Every constant of the eConnect PSB contract, in one place.

Source: ``PSB-API.md`` (the project's contract, distilled from eConnect's public documentation, its
official .NET/PHP clients and a 2025 client generated from eConnect's OpenAPI file).

Items the contract marks **(unconfirmed)** are each one named constant or one small function below,
in the section "UNCONFIRMED CHOICES", so that a single edit here changes them everywhere. Nothing
else in the package hard-codes hosts, paths, header names or these choices.
"""

import re
import uuid

# ---------------------------------------------------------------------------------------------
# Hosts
# ---------------------------------------------------------------------------------------------
ACCEPTANCE = "acceptance"
PRODUCTION = "production"

#: environment -> (API base URL, identity (OAuth2) base URL)
HOSTS = {
    ACCEPTANCE: {
        "api": "https://accp-psb.econnect.eu",
        "identity": "https://accp-identity.econnect.eu",
    },
    PRODUCTION: {
        "api": "https://psb.econnect.eu",
        "identity": "https://identity.econnect.eu",
    },
}
ENVIRONMENTS = tuple(HOSTS)

#: Hosts for which plain http is allowed (tests, the simulator, a local tunnel).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

# ---------------------------------------------------------------------------------------------
# OAuth2 token
# ---------------------------------------------------------------------------------------------
TOKEN_PATH = "/connect/token"  # noqa: S105 (a path, not a secret)
TOKEN_SCOPE = "ap"  # noqa: S105
GRANT_PASSWORD = "password"  # noqa: S105 (OAuth2 grant type name)
GRANT_CLIENT_CREDENTIALS = "client_credentials"
#: A cached token is renewed this many seconds before its ``expires_in`` runs out.
TOKEN_EXPIRY_MARGIN = 60
#: Used when the token answer carries no usable ``expires_in``.
TOKEN_DEFAULT_LIFETIME = 300
#: OAuth2 error codes (RFC 6749 5.2) that mean "your credentials are wrong" rather than a bug.
TOKEN_AUTH_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope"})

# ---------------------------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------------------------
HEADER_AUTHORIZATION = "Authorization"
HEADER_ACCEPT = "Accept"
HEADER_SUBSCRIPTION_KEY = "Subscription-Key"
HEADER_DOCUMENT_ID = "X-EConnect-DocumentId"
HEADER_DOMAIN_ID = "X-EConnect-DomainId"
HEADER_SIGNATURE = "X-EConnect-Signature"
HEADER_RETRY_AFTER = "Retry-After"
#: Response headers that may carry a request id (besides ``requestId`` in error bodies).
REQUEST_ID_HEADERS = ("X-Request-Id", "Request-Id", "X-Correlation-Id")

MIME_JSON = "application/json"
MIME_XML = "application/xml"

# ---------------------------------------------------------------------------------------------
# Paths (all relative to the API host; placeholders are url-encoded by the client)
# ---------------------------------------------------------------------------------------------
API_PREFIX = "/api/v1"
PATH_ME_PARTY = API_PREFIX + "/me/party"
PATH_QUERY_RECIPIENT = API_PREFIX + "/{party}/salesInvoice/queryRecipientParty"
PATH_SEND_INVOICE = API_PREFIX + "/{party}/salesInvoice/send"
PATH_SENT_STATUS = API_PREFIX + "/{party}/salesInvoice/{document}/status"
PATH_PURCHASE_INVOICE = API_PREFIX + "/{party}/purchaseInvoice/{document}"
PATH_DOWNLOAD_PURCHASE = API_PREFIX + "/{party}/purchaseInvoice/{document}/download"
PATH_INVOICE_RESPONSE = API_PREFIX + "/{party}/purchaseInvoice/{document}/response"
#: a customer's answer to our invoice (new docs); ``{document}`` = our sent invoice
PATH_SALES_RESPONSE_DOWNLOAD = API_PREFIX + "/{party}/salesInvoice/{document}/response/{response}/download"
#: any document by its id (old docs, the beta API); used for a customer's answer in the old event shape
BETA_API_PREFIX = "/api/v1-beta"
PATH_GENERIC_DOWNLOAD = BETA_API_PREFIX + "/{party}/generic/{document}/download"
#: which document families a Peppol participant accepts (advanced recipient lookup)
PATH_DELIVERY_OPTIONS = API_PREFIX + "/peppol/deliveryOption"
PARAM_PARTY_IDS = "partyIds"
PARAM_DOCUMENT_FAMILY = "documentFamily"
PATH_PEPPOL_CONFIG = API_PREFIX + "/peppol/config/party/{party}"
PATH_PARTY_HOOKS = API_PREFIX + "/{party}/hook"
PATH_PARTY_HOOK = API_PREFIX + "/{party}/hook/{hook}"
PATH_PARTY_HOOK_PING = API_PREFIX + "/{party}/hook/ping"
PATH_ENV_HOOKS = API_PREFIX + "/hook"
PATH_ENV_HOOK = API_PREFIX + "/hook/{hook}"
PATH_ENV_HOOK_PING = API_PREFIX + "/hook/ping"

# Query parameters of send
PARAM_RECEIVER_ID = "receiverId"
PARAM_CHANNEL = "channel"
CHANNEL_PEPPOL = "peppol"

#: multipart part name carrying the XML on send
SEND_FILE_PART = "file"

#: eConnect rejects longer document ids (OpenAPI: maxLength 256).
MAX_DOCUMENT_ID_LENGTH = 256

# ---------------------------------------------------------------------------------------------
# Error bodies
# ---------------------------------------------------------------------------------------------
ERROR_FIELD_CODE = "code"
ERROR_FIELD_MESSAGE = "message"
ERROR_FIELD_REQUEST_ID = "requestId"
ERROR_FIELD_HELP_LINK = "helpLink"
ERROR_CODE_FORBIDDEN = "API403"
ERROR_CODE_NOT_FOUND = "API404"

# ---------------------------------------------------------------------------------------------
# Document types (Peppol BIS Billing 3.0 and NLCIUS)
# ---------------------------------------------------------------------------------------------
_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
_UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2::CreditNote"
_BIS3 = "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
_NLCIUS = "##urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0::2.1"
DOCTYPE_BIS3_INVOICE = _UBL_INVOICE + _BIS3
DOCTYPE_BIS3_CREDIT_NOTE = _UBL_CREDIT_NOTE + _BIS3
DOCTYPE_NLCIUS_INVOICE = _UBL_INVOICE + _NLCIUS
DOCTYPE_NLCIUS_CREDIT_NOTE = _UBL_CREDIT_NOTE + _NLCIUS

# ---------------------------------------------------------------------------------------------
# Webhooks
# ---------------------------------------------------------------------------------------------
TOPIC_INVOICE_RECEIVED = "InvoiceReceived"
TOPIC_INVOICE_RECEIVED_ERROR = "InvoiceReceivedError"
TOPIC_INVOICE_SENT = "InvoiceSent"
TOPIC_INVOICE_SENT_RETRY = "InvoiceSentRetry"
TOPIC_INVOICE_SENT_ERROR = "InvoiceSentError"
TOPIC_INVOICE_RESPONSE_RECEIVED = "InvoiceResponseReceived"
WEBHOOK_TOPICS = (
    TOPIC_INVOICE_RECEIVED,
    TOPIC_INVOICE_RECEIVED_ERROR,
    TOPIC_INVOICE_SENT,
    TOPIC_INVOICE_SENT_RETRY,
    TOPIC_INVOICE_SENT_ERROR,
    TOPIC_INVOICE_RESPONSE_RECEIVED,
)
#: What a company's hook listens to, always: delivery results, customers' answers, and ``InvoiceReceivedError``,
#: which the flow page gives for the Validate phase of every submitted document, our own uploads included
#: (PSB-API.md, "Webhooks"); an InvoiceReceivedError is matched to a sent invoice first
#: (:func:`received_error_topic`).
HOOK_TOPICS_ALWAYS = (
    TOPIC_INVOICE_SENT,
    TOPIC_INVOICE_SENT_RETRY,
    TOPIC_INVOICE_SENT_ERROR,
    TOPIC_INVOICE_RESPONSE_RECEIVED,
    TOPIC_INVOICE_RECEIVED_ERROR,
)
#: ...and only while receiving is on (eConnect charges per received document).
HOOK_TOPICS_RECEIVING = (TOPIC_INVOICE_RECEIVED,)
#: Reject events whose ``sentOn`` is further than this from now (past or future).
WEBHOOK_MAX_AGE_SECONDS = 300
SIGNATURE_ALGORITHM = "sha256"

# ---------------------------------------------------------------------------------------------
# Hooks (OAS/PHP model ``Hook``: ``id`` required, 1-64 characters of ``[A-Za-z0-9-=]``; ``name``, ``action``
# required; a PUT is "add or update" by id)
# ---------------------------------------------------------------------------------------------
HOOK_ID_MAX_LENGTH = 64
HOOK_ID_PATTERN = re.compile(r"[A-Za-z0-9=-]{1,%d}" % HOOK_ID_MAX_LENGTH)


def new_hook_id():
    """A hook id chosen by us, once per company and purpose, stored before the first PUT: then every PUT of
    that hook (create, topic change, new secret) is the same idempotent call. ``uuid4().hex`` fits the
    pattern (``token_urlsafe`` does not: its ``_``)."""
    return uuid.uuid4().hex


def is_valid_hook_id(value):
    """Whether ``value`` is a hook id eConnect's Hook model takes (the pattern matched whole)."""
    return isinstance(value, str) and HOOK_ID_PATTERN.fullmatch(value) is not None


def hook_id_after_put(sent_id, answer):
    """(unconfirmed: eConnect keeps the id we send) The id to use for a hook from now on: ours, unless eConnect's
    answer to the PUT names another valid id, which then wins (later PUTs and the DELETE must reach its hook)."""
    answered = (answer or {}).get("id") if isinstance(answer, dict) else None
    return answered if is_valid_hook_id(answered) and answered != sent_id else sent_id


def hook_topics(receiving):
    """The topics of a company's hook: :data:`HOOK_TOPICS_ALWAYS`, plus :data:`HOOK_TOPICS_RECEIVING` while
    receiving is on."""
    return list(HOOK_TOPICS_ALWAYS + (HOOK_TOPICS_RECEIVING if receiving else ()))


# ---------------------------------------------------------------------------------------------
# Party ids
# ---------------------------------------------------------------------------------------------
ISO6523_PREFIX = "iso6523-actorid-upis::"

# ---------------------------------------------------------------------------------------------
# Invoice responses (Peppol BIS Invoice Response 3.0): codes, and the names eConnect's 2025 OpenAPI gives them
# ---------------------------------------------------------------------------------------------
#: status code (UNCL4343 subset) -> name used by eConnect's OpenAPI model ``InvoiceResponseCodes``
INVOICE_RESPONSE_STATUSES = {
    "AB": "Acknowledge",
    "IP": "InProcess",
    "UQ": "UnderQuery",
    "CA": "ConditionallyAccepted",
    "RE": "Reject",
    "AP": "Accept",
    "PD": "Paid",
}
#: statuses that need at least one reason (Peppol rule PEPPOL-T111-R001; eConnect's old docs)
INVOICE_RESPONSE_REASON_REQUIRED = frozenset({"UQ", "CA", "RE"})
#: clarification reason code -> name (OpenAPI model ``InvoiceResponseReasons``). ``CNF``, which both OpenAPI
#: files also list as a reason, is an action only in Peppol: never sent as a reason.
INVOICE_RESPONSE_REASONS = {
    "NON": "NoIssue",
    "REF": "ReferencesIncorrect",
    "LEG": "LegalInformationIncorrect",
    "REC": "ReceiverUnknown",
    "QUA": "ItemQualityInsufficient",
    "DEL": "DeliveryIssues",
    "PRI": "PricesIncorrect",
    "QTY": "QuantityIncorrect",
    "ITM": "ItemsIncorrect",
    "PAY": "PaymentTermsIncorrect",
    "UNR": "NotRecognized",
    "FIN": "FinanceIncorrect",
    "PPD": "PartiallyPaid",
    "OTH": "Other",
}
#: clarification action code -> name (OpenAPI model ``InvoiceResponseActions``)
INVOICE_RESPONSE_ACTIONS = {
    "NOA": "NoActionRequired",
    "PIN": "ProvideInformation",
    "NIN": "IssueNewInvoice",
    "CNF": "CreditFully",
    "CNP": "CreditPartially",
    "CNA": "CreditTheAmount",
    "OTH": "Other",
}

#: The two documented shapes of the ``InvoiceResponseReceived`` event (see :func:`invoice_response_event_ids`).
RESPONSE_EVENT_NEW = "new"  # documentId = our invoice, responseDocumentId = the response
RESPONSE_EVENT_OLD = "old"  # documentId = the response, refToDocumentId = our invoice, details = the answer
EVENT_FIELD_RESPONSE_DOCUMENT_ID = "responseDocumentId"
EVENT_FIELD_REF_TO_DOCUMENT_ID = "refToDocumentId"

# ---------------------------------------------------------------------------------------------
# Peppol participant configuration
# ---------------------------------------------------------------------------------------------
CAPABILITIES_KEY = "capabilities"
CAPABILITY_INVOICES = "invoices"
CAPABILITY_INVOICE_RESPONSE = "invoiceResponse"
CAPABILITY_STATE_KEY = "state"
CAPABILITY_ON = "on"
CAPABILITY_OFF = "off"
CAPABILITY_INHERITED = "inherited"


# =============================================================================================
# UNCONFIRMED CHOICES: one constant or one small function each. Change them here only.
# =============================================================================================

#: (unconfirmed) Name of the query parameter selecting the download format. Older docs and the
#: 2025 OpenAPI-generated client use ``targetFormat``; newer prose says ``targetDocumentTypeId``.
DOWNLOAD_FORMAT_PARAM = "targetFormat"
DOWNLOAD_FORMAT_PARAM_ALTERNATIVE = "targetDocumentTypeId"

#: (unconfirmed) Which form of a party id goes into URL paths, query parameters and JSON bodies:
#: ``"letter"`` (``NL:KVK:12345678``, as in the contract's url-encoding example and as responses
#: return it; falls back to the numeric form for schemes without a letter code), ``"normal"``
#: (``0106:12345678``) or ``"iso6523"`` (``iso6523-actorid-upis::0106:12345678``).
PATH_PARTY_ID_FORM = "letter"

#: (unconfirmed) The official .NET client sends an undocumented ``X-EConnect-DomainId`` header.
#: We do not send it.
SEND_DOMAIN_ID_HEADER = False

#: (unconfirmed) How invoice-response status, reasons and actions go on the wire: ``"codes"``
#: (``{"status": "RE", "reasons": {"REF": ".."}, "actions": {"NIN": ".."}}``) or ``"names"``
#: (``{"status": "Reject", "reasons": {"ReferencesIncorrect": ".."}}``). Choice: codes. Every prose page of
#: eConnect (old docs ``introduction/invoice/sendResponse.html``, ``endpoints/v1/purchaseInvoice.html``) and
#: both official clients (the .NET SDK's test sends ``"RE"``/``"REF"``/``"NIN"``; the PHP client's models
#: are code lists) use codes; only the 2025 OpenAPI file declares names. Callers may pass either form;
#: :func:`invoice_response_body` converts.
INVOICE_RESPONSE_WIRE_FORM = "codes"

#: (unconfirmed) The value of ``documentFamily`` asking whether a participant takes invoice responses
#: (``GET /api/v1/peppol/deliveryOption``). The old docs write ``invoiceResponse``; the enum of the OpenAPI
#: file and of the .NET SDK is ``InvoiceResponse``. Choice: the enum's spelling.
DOCUMENT_FAMILY_INVOICE_RESPONSE = "InvoiceResponse"

#: (unconfirmed) Whether to ask eConnect first that the seller takes invoice responses (the old docs' advice
#: before sending one). An answer without any delivery option (or 404) means: it does not.
CHECK_RESPONSE_DELIVERY_OPTION = True

def party_id_wire_form(party_id):
    """(unconfirmed) The text of a :class:`~.party.PartyId` as sent to eConnect (paths, queries, bodies)."""
    if PATH_PARTY_ID_FORM == "letter":
        return party_id.letter
    if PATH_PARTY_ID_FORM == "iso6523":
        return party_id.iso6523
    return party_id.normal


def invoice_response_code(value, table, what="code"):
    """The code (``"REF"``) of a code or a name in any case (``"ref"``, ``"ReferencesIncorrect"``) found in
    ``table`` (one of the ``INVOICE_RESPONSE_*`` tables); ``ValueError`` for anything else."""
    text = str(value if value is not None else "").strip()
    if text.upper() in table:
        return text.upper()
    names_by_lower = {name.lower(): code for code, name in table.items()}
    code = names_by_lower.get(text.lower())
    if code is None:
        raise ValueError(f"Unknown invoice response {what}: {text!r}")
    return code


def _to_wire(value, table, what):
    """Map a code or a name (any case) to the wire form chosen by INVOICE_RESPONSE_WIRE_FORM."""
    code = invoice_response_code(value, table, what)
    return table[code] if INVOICE_RESPONSE_WIRE_FORM == "names" else code


def invoice_response_body(status, reasons=None, actions=None, note=None):
    """(unconfirmed) Build the JSON body of an invoice response (the object form, the one most sources show;
    the new docs' flat ``clarificationCode`` / ``actionCode`` form is not used).

    ``status`` is a code (``"AB"``) or a name (``"Acknowledge"``); ``reasons`` / ``actions`` map a code or
    name to a free text. Unknown codes, and ``UQ`` / ``CA`` / ``RE`` without a reason, raise ``ValueError``
    before anything is sent.
    """
    code = invoice_response_code(status, INVOICE_RESPONSE_STATUSES, "status")
    if code in INVOICE_RESPONSE_REASON_REQUIRED and not reasons:
        raise ValueError(f"An invoice response {code} needs at least one reason.")
    body = {"status": _to_wire(code, INVOICE_RESPONSE_STATUSES, "status")}
    if reasons:
        body["reasons"] = {
            _to_wire(k, INVOICE_RESPONSE_REASONS, "reason"): "" if v is None else str(v)
            for k, v in reasons.items()
        }
    if actions:
        body["actions"] = {
            _to_wire(k, INVOICE_RESPONSE_ACTIONS, "action"): "" if v is None else str(v)
            for k, v in actions.items()
        }
    if note:
        body["note"] = str(note)
    return body


def takes_document_family(delivery_options):
    """(unconfirmed) Whether the answer of ``GET /peppol/deliveryOption`` (a list of delivery options) says the
    participant takes the asked document family: at least one option."""
    if isinstance(delivery_options, dict):
        delivery_options = delivery_options.get("items") or []
    return bool(delivery_options)


def capability_body(capability, enabled):
    """(unconfirmed) The minimal PUT body of the Peppol participant configuration switching one capability:
    ``{"capabilities": {capability: {"state": "on"}}}`` (``"off"``). Only what changes is sent: never a read
    echoed back (``id``, ``createdOn``, ``"inherited => ..."`` are eConnect's own). The old docs' example of the
    ``invoiceResponse`` capability is exactly this wrapper (the new docs leave out ``capabilities``)."""
    return {CAPABILITIES_KEY: {capability: {CAPABILITY_STATE_KEY: CAPABILITY_ON if enabled else CAPABILITY_OFF}}}


def capability_explicit_state(config, capability):
    """(unconfirmed) The state one capability is *set* to in a participant configuration, ``"on"`` or ``"off"``;
    None when it is inherited (``"inherited => on"``), another word, or not mentioned. A switch whose explicit state
    already is the wanted one needs no write (so it works after the administrator switched it on eConnect's
    platform, also with credentials that may not write the configuration)."""
    state = (((config or {}).get(CAPABILITIES_KEY) or {}).get(capability) or {})
    state = state.get(CAPABILITY_STATE_KEY) if isinstance(state, dict) else state
    text = str(state or "").strip().lower()
    return text if text in (CAPABILITY_ON, CAPABILITY_OFF) else None


#: (unconfirmed) Whether an end customer's credentials may write their party's participant configuration: no
#: right in ``PartyPermissions`` says. These answers to the write mean "not allowed", so the administrator switches
#: it on eConnect's platform instead (HTTP status, or eConnect's error code).
PARTICIPANT_WRITE_REFUSED_STATUSES = frozenset({401, 403, 405})
PARTICIPANT_WRITE_REFUSED_CODES = frozenset({ERROR_CODE_FORBIDDEN, "API401", "API405"})


def participant_write_refused(status, code):
    """(unconfirmed) Whether an answer to ``PUT /peppol/config/party/{party}`` means these credentials may not
    change the configuration (see :data:`PARTICIPANT_WRITE_REFUSED_STATUSES`)."""
    return status in PARTICIPANT_WRITE_REFUSED_STATUSES or code in PARTICIPANT_WRITE_REFUSED_CODES


def capability_enabled(config, capability):
    """(unconfirmed) The state of one capability in a participant configuration: True for ``"on"``, False for
    ``"off"``, for an inherited state what it inherits (``"inherited => off"``; a bare ``"inherited"`` counts as
    on). None when the configuration does not mention it."""
    state = (((config or {}).get(CAPABILITIES_KEY) or {}).get(capability) or {})
    state = state.get(CAPABILITY_STATE_KEY) if isinstance(state, dict) else state
    if state is None:
        return None
    text = str(state).strip().lower()
    if text.startswith(CAPABILITY_INHERITED):
        inherited = text[len(CAPABILITY_INHERITED):].strip().lstrip("=>").strip()
        return inherited != CAPABILITY_OFF
    return text == CAPABILITY_ON


def _event_text(raw, key):
    value = (raw or {}).get(key)
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def invoice_response_event_ids(raw):
    """(unconfirmed which shape production sends) ``(shape, invoice document id, response document id)`` of an
    ``InvoiceResponseReceived`` event (the decoded JSON). Two shapes are documented:

    * new docs: ``documentId`` = our sent invoice, ``responseDocumentId`` = the response;
    * old docs: ``documentId`` = the response, ``refToDocumentId`` = our sent invoice.

    ``responseDocumentId`` present -> new shape; else ``refToDocumentId`` present -> old shape; else the shape
    is None (and so are the ids that cannot be told apart: only ``documentId`` is returned, as the invoice).
    """
    document_id = _event_text(raw, "documentId")
    response_id = _event_text(raw, EVENT_FIELD_RESPONSE_DOCUMENT_ID)
    if response_id:
        return RESPONSE_EVENT_NEW, document_id, response_id
    ref_to = _event_text(raw, EVENT_FIELD_REF_TO_DOCUMENT_ID)
    if ref_to:
        return RESPONSE_EVENT_OLD, ref_to, document_id
    return None, document_id, None


def _codes_from_event(value, table, what):
    """``[(code, text or None)]`` from an event's ``{code: text}`` (lower-case codes and null texts allowed)."""
    if not value:
        return []
    if isinstance(value, str):
        value = {value: None}
    if isinstance(value, list):
        value = dict.fromkeys(value)
    if not isinstance(value, dict):
        raise ValueError(f"The invoice response {what}s are not an object.")
    found = []
    for key, text in value.items():
        text = None if text is None else str(text).strip() or None
        found.append((invoice_response_code(key, table, what), text))
    return found


def invoice_response_from_event(raw):
    """(unconfirmed) The answer an ``InvoiceResponseReceived`` event carries itself, as ``{"status", "reasons",
    "actions", "note"}`` (reasons / actions as ``[(code, text or None)]``), or None when it carries none (then
    the response document is downloaded).

    The old docs' event has ``details`` = ``{"note", "statusCode": "RE", "status": "Reject", "reasons": {"ref":
    ".."}, "actions": {"nin": null}}``: codes in lower case, texts that may be null. Only ``statusCode`` marks
    details that carry the answer (a ``status`` alone may be a summary without the reasons: then the document
    is downloaded). Unknown codes raise ``ValueError``.
    """
    details = (raw or {}).get("details")
    if not isinstance(details, dict):
        return None
    status = details.get("statusCode")
    if status in (None, "") or not isinstance(status, str):
        return None
    note = details.get("note")
    return {
        "status": invoice_response_code(status, INVOICE_RESPONSE_STATUSES, "status"),
        "reasons": _codes_from_event(details.get("reasons"), INVOICE_RESPONSE_REASONS, "reason"),
        "actions": _codes_from_event(details.get("actions"), INVOICE_RESPONSE_ACTIONS, "action"),
        "note": str(note).strip() or None if note not in (None, "") else None,
    }


#: Names in the sent-status history (``GET .../salesInvoice/{id}/status``, "for debugging only") and what each
#: one means, as a webhook topic (None: still under way). The canonical names are ``Pending``, ``Validated``,
#: ``Routed``, ``Delivered``, ``Rejected``, ``Failed``; the phase table also names ``Acknowledged`` (new docs
#: ``developers/api/basics/document-flow-and-status``). (unconfirmed which appear:) topic-shaped names are taken
#: too. Compared case-insensitively, spaces, ``-`` and ``_`` ignored.
SENT_STATUS_TOPICS = {
    "pending": None,
    "validated": None,
    "routed": None,
    "acknowledged": None,
    "delivered": TOPIC_INVOICE_SENT,
    "rejected": TOPIC_INVOICE_SENT_ERROR,
    "failed": TOPIC_INVOICE_SENT_ERROR,
    "invoicesent": TOPIC_INVOICE_SENT,
    "invoicesentretry": TOPIC_INVOICE_SENT_RETRY,
    "invoicesenterror": TOPIC_INVOICE_SENT_ERROR,
}


def _status_key(name):
    return "".join(ch for ch in str(name or "") if ch not in " -_").lower()


def is_known_sent_status(name):
    """Whether a sent-status name is one we know (documented, or topic-shaped), whatever it means."""
    return _status_key(name) in SENT_STATUS_TOPICS


def sent_status_topic(history):
    """The delivery result told by a sent-status history, as ``(topic, description)``, or None while eConnect is
    still working on it (or says nothing we know). The newest status that means a result wins: ``Delivered``
    is delivered, ``Failed`` / ``Rejected`` a permanent error (as ``InvoiceSentError``); ``Pending``,
    ``Validated``, ``Routed``, ``Acknowledged`` and unknown names are skipped. Newest by ``createdOn`` (any ISO
    8601 form, offsets compared as instants); without a readable ``createdOn``, by the order of the list
    (oldest first, as eConnect lists it)."""
    from .webhook import parse_timestamp  # (webhook imports this module)

    def when(indexed):
        index, status = indexed
        try:
            moment = parse_timestamp(status.get("createdOn"))
        except (TypeError, ValueError):
            moment = None
        return (moment is not None, moment.timestamp() if moment else 0.0, index)

    entries = [(i, s) for i, s in enumerate(history or []) if isinstance(s, dict)]
    for _index, status in sorted(entries, key=when, reverse=True):
        topic = SENT_STATUS_TOPICS.get(_status_key(status.get("name")))
        if topic:
            return topic, status.get("description") or ""
    return None


def received_error_topic(matches_sent_invoice):
    """What an ``InvoiceReceivedError`` means. eConnect gives ``*ReceivedError`` for the Validate phase of every
    submitted document, our own REST uploads included (new docs ``developers/api/basics/document-flow-and-status``;
    unconfirmed whether a validation failure is instead a 400 on the upload): when its ``documentId`` is one of our
    sent invoices, it is a permanent failure of that upload (as ``InvoiceSentError``); otherwise (None) a document
    eConnect rejected for us as receiver."""
    return TOPIC_INVOICE_SENT_ERROR if matches_sent_invoice else None


# =============================================================================================
# The unconfirmed points, by name: what tools/econnect_smoke.py reports eConnect's answer to, and what the README's
# Limits section lists. Each names the choice above that it stands for.
# =============================================================================================
UNCONFIRMED = {
    "party_id_form": "which form of a party id eConnect wants in paths, queries and bodies (PATH_PARTY_ID_FORM: "
    "the letter form, NL:KVK:12345678, url-encoded)",
    "domain_id_header": "whether calls need the .NET client's X-EConnect-DomainId header (SEND_DOMAIN_ID_HEADER: "
    "not sent)",
    "hook_id": "whether eConnect keeps the hook id we choose, and what it does with a hook without one (new_hook_id: "
    "we always send ours)",
    "hook_http_action": "whether eConnect refuses an http:// hook action (only https is registered)",
    "sent_status_names": "which names the sent-status history shows (SENT_STATUS_TOPICS: the documented ones in any "
    "case, and topic-shaped names)",
    "received_error_on_upload": "whether a validation failure of our upload comes as InvoiceReceivedError or as a 400 "
    "on the upload (received_error_topic: both are handled)",
    "participant_write": "whether an end customer's credentials may write their party's Peppol configuration "
    "(participant_write_refused: if not, the administrator switches receiving on eConnect's platform)",
    "participant_write_semantics": "whether a configuration write merges or replaces, and which states besides "
    "on/off/inherited it takes (capability_body: only what changes is sent)",
    "download_format_param": "the name of the download format parameter (DOWNLOAD_FORMAT_PARAM: targetFormat, or "
    "targetDocumentTypeId; none is sent: the original format)",
    "invoice_response_wire_form": "how an invoice response goes on the wire (INVOICE_RESPONSE_WIRE_FORM: codes in the "
    "object form, not the flat form of the new docs)",
    "invoice_response_event_shape": "which shape of InvoiceResponseReceived production sends "
    "(invoice_response_event_ids: both are read)",
    "invoice_response_delivery_option": "how to ask whether a seller takes invoice responses "
    "(DOCUMENT_FAMILY_INVOICE_RESPONSE, CHECK_RESPONSE_DELIVERY_OPTION)",
    "invoice_response_retry": "whether eConnect answers 409 to a repeated response document id (a response is "
    "retried under its own X-EConnect-DocumentId)",
}
