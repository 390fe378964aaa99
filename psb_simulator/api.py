"""The PSB REST API routes (``/api/v1/...``) of the simulator."""

import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from psb import contract

from . import ids, ubl
from .state import Hook, InvoiceResponse, PeppolConfig
from .wire import ApiError, Reply, empty_reply, json_reply, now_iso, parse_multipart

DOCUMENT_ID_HEADER = "X-EConnect-DocumentId"
MAX_DOCUMENT_ID_LENGTH = 256
HOOK_ACTION_SCHEMES = ("http://", "https://", "mailto:", "mailfrom:")
#: Hook ids as the published Hook model declares them (OAS/PHP ``lib/Model/Hook.php``: required, length 1-64,
#: pattern ``[A-Za-z0-9-=]+``), matched whole. Written here from the model, not taken from the client's contract.
HOOK_ID_MAX_LENGTH = 64
HOOK_ID_RE = re.compile(r"[A-Za-z0-9\-=]{1,%d}" % HOOK_ID_MAX_LENGTH)
#: The properties of the published Hook model (OAS ``docs/Model/Hook.md``, NET ``Models/Hook.cs``).
HOOK_FIELDS = frozenset(
    {"id", "name", "action", "topics", "publishTopics", "init", "filter", "isActive", "createdOn", "changedOn"}
)


@dataclass
class Context:
    sim: object
    method: str
    segments: list  # decoded path segments after /api/v1/
    query: dict
    headers: object  # case-insensitive mapping
    body: bytes
    principal: object
    entry: object  # reqlog.LoggedRequest
    extra: dict = field(default_factory=dict)

    @property
    def state(self):
        return self.sim.state

    def json_body(self):
        try:
            return json.loads(self.body.decode("utf-8")) if self.body.strip() else None
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "The request body is not valid JSON.") from None

    def party(self, text, permission=None):
        """Resolve a party path segment for this token: 403 ``API403`` when it may not use it."""
        key = ids.key(text)
        perms = self.principal.permissions_for(key) if key else None
        if perms is None:
            raise ApiError(403, "The party %r is not authorised for this user." % text, "API403")
        if permission and not perms.get(permission):
            raise ApiError(
                403,
                "The user lacks the permission %s for party %s." % (permission, ids.letter(key)),
                "API403",
            )
        if self.sim.demo:
            with self.state.lock:
                self.state.demo_seen.setdefault(key, None)
        self.entry.extra["party"] = key
        return key

    def document_id_header(self, generate=True):
        value = (self.headers.get(DOCUMENT_ID_HEADER) or "").strip()
        if not value:
            if not generate:
                return None
            value = str(uuid.uuid4())
        if len(value) > MAX_DOCUMENT_ID_LENGTH:
            raise ApiError(400, "%s is longer than %d characters." % (DOCUMENT_ID_HEADER, MAX_DOCUMENT_ID_LENGTH))
        self.entry.document_id = value
        return value


# -- me ----------------------------------------------------------------------------------------
def me_party(ctx):
    principal, st = ctx.principal, ctx.state
    keys = list(principal.parties)
    if ctx.sim.demo:
        with st.lock:
            keys = list(dict.fromkeys(ctx.sim.demo_parties + keys + list(st.demo_seen)))
    with st.lock:
        return json_reply(
            [{"id": ids.letter(k), "name": st.name_of(k), "permissions": principal.permissions_for(k)} for k in keys]
        )


# -- sales invoices ----------------------------------------------------------------------------
def query_recipient(ctx, party):
    ctx.party(party, "canSendDocument")
    body = ctx.json_body()
    if isinstance(body, str):
        body = [body]
    if not isinstance(body, list) or not body or not all(isinstance(c, str) for c in body):
        raise ApiError(400, "The body must be a JSON array of receiver party ids.")
    st = ctx.state
    with st.lock:
        for candidate in body:
            key = ids.key(candidate)
            participant = st.participants.get(key) if key else None
            if participant is not None and participant.receiving:
                return json_reply(participant.as_dict())
        if ctx.sim.demo:
            for candidate in body:
                if ids.is_valid(candidate):
                    key = ids.key(candidate)
                    return json_reply({"id": ids.letter(key), "channel": "peppol", "description": st.name_of(key)})
    raise ApiError(404, "None of the receivers %s was found on Peppol." % ", ".join(body), "API404")


def send(ctx, party):
    key = ctx.party(party, "canSendDocument")
    document_id = ctx.document_id_header()
    try:
        parts = parse_multipart(ctx.headers.get("Content-Type"), ctx.body)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    file_part = next((p for p in parts if p.name == "file"), None)
    if file_part is None:
        names = ", ".join(repr(p.name) for p in parts) or "none"
        raise ApiError(400, "The multipart request has no 'file' part (parts: %s)." % names)
    try:
        info = ubl.inspect_sent(file_part.data, ctx.sim.max_upload_bytes)
    except ubl.UBLError as exc:
        raise ApiError(400, "The document was refused: %s" % exc) from None
    receiver_text = ctx.query.get("receiverId") or info.buyer_id
    if ctx.query.get("receiverId") and ids.key(receiver_text) is None:
        raise ApiError(400, "receiverId %r is not a party id." % receiver_text)
    doc = ctx.sim.register_sent(
        key, document_id, file_part.data, file_part.filename, receiver_text, ctx.query.get("channel"), info
    )
    if doc is None:
        raise ApiError(409, "A document with id %r was already sent." % document_id, "API409")
    return json_reply({"id": document_id})


def sent_status(ctx, party, document_id):
    key = ctx.party(party)
    ctx.entry.document_id = document_id
    st = ctx.state
    with st.lock:
        doc = st.sent.get(document_id)
        if doc is None or doc.party != key:
            raise ApiError(404, "Sales invoice %r was not found." % document_id, "API404")
        return json_reply([h.as_dict() for h in doc.history])


# -- purchase invoices -------------------------------------------------------------------------
def _inbox_document(ctx, key, document_id, kind=None):
    doc = ctx.state.received.get(document_id)
    if doc is None or doc.party != key or doc.deleted or (kind and doc.kind != kind):
        raise ApiError(404, "Purchase document %r was not found." % document_id, "API404")
    return doc


def download(ctx, party, document_id):
    """A received invoice (not a customer's answer: those have their own documented paths)."""
    key = ctx.party(party, "canReceiveDocument")
    # targetFormat / targetDocumentTypeId are accepted and ignored: the original is returned.
    with ctx.state.lock:
        doc = _inbox_document(ctx, key, document_id, kind="invoice")
        doc.downloads += 1
    ctx.entry.document_id = document_id
    return _xml_reply(doc)


def delete_purchase(ctx, party, document_id):
    key = ctx.party(party, "canRemoveDocument")
    with ctx.state.lock:
        _inbox_document(ctx, key, document_id, kind="invoice").deleted = True
    ctx.entry.document_id = document_id
    return empty_reply()


def _exact_codes(value, table, what):
    """``{code: text}`` of reasons or actions as eConnect takes them: codes (``"REF"``), never names
    (``"ReferencesIncorrect"``), texts or null."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "%s must be an object of code: text." % what.capitalize())
    out = {}
    for code, text in value.items():
        if code not in table:
            hint = " (send codes, not names)" if any(code == name for name in table.values()) else ""
            raise ApiError(400, "Unknown %s code %r%s." % (what[:-1], code, hint))
        if text is not None and not isinstance(text, str):
            raise ApiError(400, "The text of %s %s must be text." % (what[:-1], code))
        out[code] = "" if text is None else text
    return out


def invoice_response(ctx, party, document_id):
    """Answer a received invoice: ``{"status": code, "reasons": {code: text}, "actions": {code: text},
    "note"}``, codes only, with the response's own id in ``X-EConnect-DocumentId`` (required; a repeated id
    is 409)."""
    key = ctx.party(party, "canChangeDocumentStatus")
    body = ctx.json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object {status, reasons, actions, note}.")
    statuses = contract.INVOICE_RESPONSE_STATUSES
    code = body.get("status")
    if not isinstance(code, str) or code not in statuses:
        hint = " (send the code, not the name)" if code in statuses.values() else ""
        raise ApiError(400, "Invalid status %r%s; expected one of %s." % (code, hint, ", ".join(statuses)))
    reasons = _exact_codes(body.get("reasons"), contract.INVOICE_RESPONSE_REASONS, "reasons")
    actions = _exact_codes(body.get("actions"), contract.INVOICE_RESPONSE_ACTIONS, "actions")
    if code in contract.INVOICE_RESPONSE_REASON_REQUIRED and not reasons:
        raise ApiError(400, "A response %s needs at least one reason." % code)
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise ApiError(400, "note must be text.")
    response_id = ctx.document_id_header(generate=False)
    if response_id is None:
        raise ApiError(400, "%s is required: the response's own document id." % DOCUMENT_ID_HEADER)
    st = ctx.state
    with st.lock:
        if response_id in st.responses:
            raise ApiError(409, "A document with id %r was already sent." % response_id, "API409")
        doc = _inbox_document(ctx, key, document_id)
        if doc.kind != "invoice":
            raise ApiError(400, "Document %r is not an invoice." % document_id)
        info = ubl.inspect_lenient(doc.xml)
        xml = ubl.application_response(
            response_id,
            code,
            getattr(info, "number", None) or document_id,
            sender_id=key,
            receiver_id=doc.sender or "0106:00000000",
            sender_name=st.name_of(key),
            receiver_name=st.name_of(doc.sender) if doc.sender else None,
            reasons=reasons,
            actions=actions,
            note=note,
            document_type_code="381" if getattr(info, "root", "") == "CreditNote" else "380",
        )
        response = InvoiceResponse(response_id, key, document_id, code, reasons, actions, note, xml, body)
        st.responses[response_id] = response
        doc.responses.append(response)
        sender = doc.sender
        loop_back = sender is not None and document_id in st.sent and st.sent[document_id].party == sender
    if ctx.sim.loopback and loop_back:
        ctx.sim.scheduler.call_later(
            ctx.sim.delivery_delay,
            ctx.sim.inject_invoice_response,
            sender,
            document_id,
            code,
            reasons,
            actions,
            note,
            None,
            key,
        )
    return json_reply({"id": response_id})


def _xml_reply(document):
    return Reply(
        200,
        document.xml,
        "application/xml",
        {"Content-Disposition": 'attachment; filename="%s.xml"' % document.id.replace('"', "")},
    )


def sales_response_download(ctx, party, document_id, response_id):
    """A customer's answer to one of our invoices (the new docs' path)."""
    key = ctx.party(party)
    ctx.entry.document_id = response_id
    with ctx.state.lock:
        doc = ctx.state.received.get(response_id)
        if (
            doc is None or doc.party != key or doc.kind != "response" or doc.deleted
            or doc.source_document_id != document_id
        ):
            raise ApiError(404, "Response %r to sales invoice %r was not found." % (response_id, document_id), "API404")
        doc.downloads += 1
        return _xml_reply(doc)


def generic_download(ctx, party, document_id):
    """Any document of the party's inbox by its id (the beta API; the old docs' way to fetch an answer)."""
    key = ctx.party(party, "canReceiveDocument")
    ctx.entry.document_id = document_id
    with ctx.state.lock:
        doc = _inbox_document(ctx, key, document_id)
        doc.downloads += 1
        return _xml_reply(doc)


def delivery_options(ctx):
    """``GET /peppol/deliveryOption?partyIds=..&partyIds=..&documentFamily=..``: how a participant is reached,
    for one document family (``Invoice``, ``InvoiceResponse``; any case). 404 for a participant nobody knows."""
    raw = parse_qs(urlsplit(ctx.entry.raw_path or "").query, keep_blank_values=True)
    candidates = [c for c in raw.get("partyIds", []) if c.strip()]
    if not candidates:
        raise ApiError(400, "partyIds is required.")
    family = (raw.get("documentFamily") or [""])[-1].strip()
    families = {"invoice": "Invoice", "invoiceresponse": "InvoiceResponse"}
    if family and family.lower() not in families:
        raise ApiError(400, "Unknown documentFamily %r." % family)
    family = families.get(family.lower(), "Invoice")
    st = ctx.state
    with st.lock:
        for candidate in candidates:
            key = ids.key(candidate)
            if key is None:
                continue
            participant = st.participants.get(key)
            hosted = key in st.peppol_configs
            if participant is None and not hosted and not (ctx.sim.demo and ids.is_valid(candidate)):
                continue
            if family == "InvoiceResponse":
                if hosted:
                    takes = st.capability_on(key, "invoiceResponse")
                else:
                    takes = participant.invoice_responses if participant is not None else True
                doc_type, process = ubl.IMR_DOCUMENT_TYPE, ubl.IMR_PROFILE
            else:
                takes = participant.receiving if participant is not None else st.receiving_state(key) == "on"
                doc_type, process = contract.DOCTYPE_BIS3_INVOICE, "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
            if not takes:
                return json_reply([])
            return json_reply([{
                "partyId": ids.letter(key),
                "documentTypeId": doc_type,
                "processId": process,
                "family": family,
                "protocol": "As4",
                "url": "https://psb-simulator.invalid/as4",
                "accessPoint": "PSB simulator",
                "certificate": "",
            }])
    raise ApiError(404, "None of %s is known on Peppol." % ", ".join(candidates), "API404")


# -- Peppol participant configuration -----------------------------------------------------------
def config_list(ctx):
    st = ctx.state
    with st.lock:
        keys = [k for k in st.peppol_configs if ctx.principal.permissions_for(k) is not None]
    return json_reply([{"id": ids.letter(k)} for k in keys])


def config_get(ctx, party):
    key = ctx.party(party)
    st = ctx.state
    with st.lock:
        if key in st.unregistered:
            raise ApiError(404, "The party %s is not registered on Peppol." % ids.letter(key), "API404")
        return json_reply(st.render_config(key))


# The published PUT model (OAS/PHP ``lib/Model/PeppolPartyConfig.php`` and the models it names). ``id``,
# ``createdOn`` and ``changedOn`` are eConnect's own (a read shows them; the PUT schema has no ``id``), and so are the
# computed ``"inherited => on"`` states: a write carrying any of them is refused, as a read echoed back.
CONFIG_READ_ONLY = ("id", "createdOn", "changedOn")
CONFIG_FIELDS = frozenset({"capabilities", "businessCard", "verification", "migration"})
CAPABILITY_FIELDS = frozenset({"state", "description"})
BUSINESS_CARD_PROPERTIES = ("names", "address", "emailAddress")
BUSINESS_CARD_PROPERTY_FIELDS = frozenset({"state", "value", "description"})
WRITABLE_STATES = ("on", "off", "inherited")


def _object(value, what):
    if not isinstance(value, dict):
        raise ApiError(400, "%s must be an object." % what)
    return value


def _only(value, allowed, what):
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ApiError(400, "%s has unknown field(s): %s." % (what, ", ".join(unknown)))


def _written_state(value, what):
    """A state as a write may set it: ``on``, ``off`` or ``inherited``; never a computed ``"inherited => on"``."""
    if not isinstance(value, str) or value not in WRITABLE_STATES:
        hint = " (a computed state, as a read shows it: send on, off or inherited)" if isinstance(
            value, str) and "=>" in value else ""
        raise ApiError(400, "%s must be one of %s, got %r%s." % (what, ", ".join(WRITABLE_STATES), value, hint))
    return value


def _config_write(body):
    """``(capabilities, business card)`` to merge from a PUT body, after checking it against the published model."""
    body = _object(body, "The body (a PeppolPartyConfig)")
    read_only = [name for name in CONFIG_READ_ONLY if name in body]
    if read_only:
        raise ApiError(
            400, "Read-only field(s) in the write: %s. Send only what changes, not a read." % ", ".join(read_only)
        )
    _only(body, CONFIG_FIELDS, "The configuration")
    capabilities = {}
    for name, value in _object(body.get("capabilities") or {}, "capabilities").items():
        what = "Capability %r" % name
        _only(_object(value, what), CAPABILITY_FIELDS, what)
        if "state" in value:
            capabilities[name] = {"state": _written_state(value["state"], what + " state")}
    card = {}
    for name, value in _object(body.get("businessCard") or {}, "businessCard").items():
        if name == "state":
            card[name] = _written_state(value, "businessCard state")
            continue
        what = "Business card property %r" % name
        if name not in BUSINESS_CARD_PROPERTIES:
            raise ApiError(400, "%s is unknown (use %s)." % (what, ", ".join(BUSINESS_CARD_PROPERTIES)))
        _only(_object(value, what), BUSINESS_CARD_PROPERTY_FIELDS, what)
        stored = {}
        if "state" in value:
            stored["state"] = _written_state(value["state"], what + " state")
        if "value" in value:
            if not isinstance(value["value"], str):
                raise ApiError(400, "%s value must be text." % what)
            stored["value"] = value["value"]
        card[name] = stored
    verification = body.get("verification")
    if verification is not None:
        _only(_object(verification, "verification"), {"notes", "verifiedOn"}, "verification")
        if not isinstance(verification.get("notes"), str) or not verification["notes"] or not verification.get(
            "verifiedOn"
        ):
            raise ApiError(400, "verification needs notes and verifiedOn.")
    migration = body.get("migration")
    if migration is not None:
        _only(_object(migration, "migration"), {"key"}, "migration")
    return capabilities, card


def config_put(ctx, party):
    key = ctx.party(party)
    st = ctx.state
    with st.lock:
        refusal = st.config_refusals.get(key)
    if refusal is not None:
        status, code, message = refusal
        raise ApiError(status, message, code)
    body = ctx.json_body()
    new_caps, new_card = _config_write(body)
    with st.lock:
        config = st.peppol_configs.get(key)
        if config is None:
            config = st.peppol_configs[key] = PeppolConfig(key, created_on=now_iso())
        for name, value in new_caps.items():
            config.capabilities.setdefault(name, {}).update(value)
        for name, value in new_card.items():
            if isinstance(value, dict):
                config.business_card.setdefault(name, {}).update(value)
            else:
                config.business_card[name] = value
        config.changed_on = now_iso()
        st.unregistered.discard(key)
        st.config_writes.append({"partyId": ids.letter(key), "body": body, "time": now_iso()})
        ctx.sim._sync_registration(key)
        return json_reply(st.render_config(key))


def config_delete(ctx, party):
    key = ctx.party(party)
    st = ctx.state
    with st.lock:
        st.config_deletions.append({"partyId": ids.letter(key), "time": now_iso(), "subject": ctx.principal.subject})
        st.peppol_configs.pop(key, None)
        st.unregistered.add(key)
        ctx.sim._sync_registration(key)
    return empty_reply()


# -- hooks -------------------------------------------------------------------------------------
def _scope(ctx, party):
    if party is not None:
        return ctx.party(party, "canManageHook")
    principal = ctx.principal
    if (
        principal.demo
        or principal.kind == "client"
        or any(perms.get("canManageHook") for perms in principal.parties.values())
    ):
        return None
    raise ApiError(403, "The user may not manage environment hooks.", "API403")


def hooks_list(ctx, party=None):
    scope = _scope(ctx, party)
    with ctx.state.lock:
        return json_reply([h.as_dict() for h in ctx.state.hooks_for(scope)])


def _string_list(value, what):
    if value is None:
        return []
    if isinstance(value, str):
        value = [t.strip() for t in value.split(",") if t.strip()]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ApiError(400, "%s must be a list of strings." % what)
    return value


def _required_text(body, name, what):
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "The hook's %s is required (%s)." % (name, what))
    return value.strip()


def hooks_put(ctx, party=None):
    """Add or update a hook by its id (OAS ``HookApi``: "Use the hookId to identity the hook if you want to
    update"). The Hook model requires ``id`` (1-64 characters of ``[A-Za-z0-9-=]``), ``name`` and ``action``:
    the simulator never makes up an id the client should have sent. An unknown id creates the hook."""
    scope = _scope(ctx, party)
    body = ctx.json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a hook object {id, name, action, topics, isActive}.")
    hook_id = body.get("id")
    if not isinstance(hook_id, str) or not HOOK_ID_RE.fullmatch(hook_id):
        raise ApiError(
            400,
            "The hook's id is required: 1 to %d characters of A-Z, a-z, 0-9, '-' and '=' (got %r)."
            % (HOOK_ID_MAX_LENGTH, hook_id),
        )
    name = _required_text(body, "name", "a display name")
    action = _required_text(body, "action", "a URL, optionally followed by #secret, or mailto:")
    if not action.lower().startswith(HOOK_ACTION_SCHEMES):
        raise ApiError(400, "The hook action must start with http://, https://, mailto: or mailfrom:.")
    if "$token$" in action:
        action = action.replace("$token$", uuid.uuid4().hex[:12])
    unknown = sorted(set(body) - HOOK_FIELDS)
    if unknown:
        raise ApiError(400, "Unknown hook field(s): %s." % ", ".join(unknown))
    topics = _string_list(body.get("topics"), "topics")
    publish_topics = _string_list(body.get("publishTopics"), "publishTopics")
    is_active = body.get("isActive", True)
    if not isinstance(is_active, bool):
        raise ApiError(400, "isActive must be true or false.")
    hook_filter = body.get("filter")
    if hook_filter is not None and not isinstance(hook_filter, str):
        raise ApiError(400, "filter must be text.")
    init = body.get("init")
    if init is not None and not isinstance(init, dict):
        raise ApiError(400, "init must be an object.")
    st = ctx.state
    with st.lock:
        existing = st.hooks.get((scope, hook_id))
        now = now_iso()
        hook = Hook(
            hook_id,
            scope,
            action,
            name,
            topics,
            is_active,
            hook_filter,
            publish_topics,
            init=init,
            created_on=existing.created_on if existing else now,
            changed_on=now,
        )
        st.hooks[(scope, hook_id)] = hook
        return json_reply(hook.as_dict())


def hooks_delete(ctx, hook_id, party=None):
    scope = _scope(ctx, party)
    st = ctx.state
    with st.lock:
        if st.hooks.pop((scope, hook_id), None) is None:
            raise ApiError(404, "Hook %r was not found." % hook_id, "API404")
    return empty_reply()


def hooks_ping(ctx, party=None):
    scope = _scope(ctx, party)
    ctx.sim.ping(scope)
    return json_reply({"id": ids.letter(scope) if scope else None})


# -- routing -----------------------------------------------------------------------------------
# (pattern, {method: handler}); "{}" segments are passed to the handler in order.
ROUTES = [
    (("me", "party"), {"GET": me_party}),
    (("hook",), {"GET": hooks_list, "PUT": hooks_put}),
    (("hook", "ping"), {"GET": hooks_ping, "DELETE": lambda ctx: hooks_delete(ctx, "ping")}),
    (("hook", "{}"), {"DELETE": hooks_delete}),
    (("peppol", "config", "party"), {"GET": config_list}),
    (("peppol", "deliveryOption"), {"GET": delivery_options}),
    (("peppol", "config", "party", "{}"), {"GET": config_get, "PUT": config_put, "DELETE": config_delete}),
    (("{}", "salesInvoice", "queryRecipientParty"), {"POST": query_recipient}),
    (("{}", "salesInvoice", "send"), {"POST": send}),
    (("{}", "salesInvoice", "{}", "status"), {"GET": sent_status}),
    (("{}", "salesInvoice", "{}", "response", "{}", "download"), {"GET": sales_response_download}),
    (("{}", "purchaseInvoice", "{}", "download"), {"GET": download}),
    (("{}", "purchaseInvoice", "{}", "response"), {"POST": invoice_response}),
    (("{}", "purchaseInvoice", "{}"), {"DELETE": delete_purchase}),
    (("{}", "hook"), {"GET": lambda ctx, p: hooks_list(ctx, p), "PUT": lambda ctx, p: hooks_put(ctx, p)}),
    (
        ("{}", "hook", "ping"),
        {"GET": lambda ctx, p: hooks_ping(ctx, p), "DELETE": lambda ctx, p: hooks_delete(ctx, "ping", p)},
    ),
    (("{}", "hook", "{}"), {"DELETE": lambda ctx, p, h: hooks_delete(ctx, h, p)}),
]


def _match(pattern, segments):
    if len(pattern) != len(segments):
        return None
    args = []
    for want, got in zip(pattern, segments, strict=True):
        if want == "{}":
            if not got:
                return None
            args.append(got)
        elif want.lower() != got.lower():
            return None
    return args


# The beta API (``/api/v1-beta/``): only what the contract names from it.
BETA_ROUTES = [
    (("{}", "generic", "{}", "download"), {"GET": generic_download}),
]


def resolve(segments, routes=None):
    """``(handlers, args)`` for a path, or ``(None, None)``. Literal routes win over placeholders."""
    for pattern, handlers in ROUTES if routes is None else routes:
        args = _match(pattern, segments)
        if args is not None:
            return handlers, args
    return None, None


def dispatch(ctx, beta=False):
    handlers, args = resolve(ctx.segments, BETA_ROUTES if beta else ROUTES)
    if handlers is None:
        prefix = "/api/v1-beta/" if beta else "/api/v1/"
        raise ApiError(404, "No API route %s %s%s." % (ctx.method, prefix, "/".join(ctx.segments)), "API404")
    handler = handlers.get(ctx.method)
    if handler is None:
        raise ApiError(
            405,
            "Method %s is not allowed here." % ctx.method,
            "API405",
            {"Allow": ", ".join(sorted(handlers))},
        )
    return handler(ctx, *args)
