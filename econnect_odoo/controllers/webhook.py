"""The webhook inbox: ``POST /econnect/webhook/<token>``.

It verifies the call, stores the event and triggers the pull; nothing else (no download, no bill, no HTTP call),
so it answers at once. Refused calls get a 4xx and store nothing:

=====  =====================================================================================
411    a form (url-encoded or multipart) without Content-Length: Odoo would read it whole before any check
404    no company has this token (checked before the body is read)
413    body larger than 1 MB (refused on Content-Length before reading; a chunked body after reading at most
       1 MB + 1 byte, known token only)
401    ``X-EConnect-Signature`` missing or not the HMAC-SHA256 of the raw body with the company's secret
400    not an event (JSON object with a topic; nothing nested deeper than 32 levels, no NUL in a text), or ``sentOn``
       missing, no date at all (1e300, the year 10000) or more than 5 minutes off
403    the event's ``partyId`` is not the company's party id
=====  =====================================================================================

A repeated event (same company, topic, document id and creation time) answers 200 and changes nothing.
"""

import logging
import re

from odoo import http
from odoo.http import request

from ..psb import webhook as psb_webhook
from ..psb.party import party_or_none
from ..tools import crypto

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Bodies Odoo's dispatcher reads and parses whole before any controller runs.
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
# Where the body read once is kept for the request (Odoo runs a controller again after a serialization failure).
_BODY_KEY = "econnect_odoo.webhook_body"


def _answer(http_status, **payload):
    return request.make_json_response(payload, status=http_status)


def _token_for_log(token):
    """What the log may say of a token from the URL: the start of a well-formed one, else its repr (a token is
    anything the caller typed: a line break in it must not start a line of the log)."""
    token = str(token or "")
    return f"{token[:6]}..." if _TOKEN_RE.fullmatch(token) else repr(token[:64])


def _refuse(http_status, reason, token=""):
    # INFO: refused calls are expected (probes, replays, clock skew); only the start of the token is logged
    _logger.info("eConnect webhook refused (%s %s) for token %s", http_status, reason, _token_for_log(token))
    return _answer(http_status, status="refused", reason=reason)


def _read_body(httprequest):
    """The body, read once and at most MAX_BODY_BYTES + 1 bytes of it, whatever the headers say (a chunked body
    announces no length: reading it whole would let anybody who knows a token fill the server's memory)."""
    environ = httprequest.environ
    if _BODY_KEY not in environ:
        # Odoo's request hides werkzeug's stream (Odoo reaches inside the same way for what it does not pass on)
        stream = getattr(httprequest, "_HTTPRequest__wrapped", httprequest).stream
        chunks, size = [], 0
        while size <= MAX_BODY_BYTES:
            chunk = stream.read(MAX_BODY_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        environ[_BODY_KEY] = b"".join(chunks)
    return environ[_BODY_KEY]


def _same_party(event_party, company_party):
    event = party_or_none(event_party)
    return event is not None and event == party_or_none(company_party)


def _refuse_unread_body(httprequest, args):
    """The refusal of a body too large (or of a form of unknown length), decided on the headers alone: nothing is
    read.

    Odoo calls it before it dispatches the request (``ir.http._pre_dispatch``): its dispatcher reads and parses
    form-encoded bodies before any controller runs, whatever their size.
    """
    token = str(args.get("token") or "")
    length = httprequest.content_length
    if length is not None and length > MAX_BODY_BYTES:
        return _refuse(413, "too_large", token)
    if length is None and httprequest.mimetype in _FORM_TYPES:
        # A form of unknown length (chunked): Odoo would read all of it. Events are JSON, so whether eConnect
        # sends a Content-Length or not (its documentation does not say), an event is never refused here.
        return _refuse(411, "length_required", token)
    return None


class EconnectWebhookController(http.Controller):
    @http.route(
        "/econnect/webhook/<string:token>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
        econnect_refuse_unread=_refuse_unread_body,
    )
    def econnect_webhook(self, token, **_kwargs):
        # Bodies too large by their headers were refused before dispatch (ir.http._pre_dispatch).
        httprequest = request.httprequest
        if not _TOKEN_RE.fullmatch(token or ""):
            return _refuse(404, "unknown_token", token or "")
        Event = request.env["econnect.event"].sudo()
        target = Event._econnect_webhook_target(token)
        if target is None:
            return _refuse(404, "unknown_token", token)
        # Known lengths were checked on the headers; a chunked body announces none: read for a known token only.
        body = _read_body(httprequest)
        if len(body) > MAX_BODY_BYTES:
            return _refuse(413, "too_large", token)
        company, encrypted_secret, party_id = target
        try:
            secret = crypto.decrypt(encrypted_secret)
        except crypto.SecretError:
            _logger.warning("eConnect webhook: the secret of company %s cannot be decrypted", company.id)
            return _answer(503, status="unavailable", reason="secret")
        if not psb_webhook.verify_signature(secret, body, httprequest.headers.get(psb_webhook.SIGNATURE_HEADER)):
            return _refuse(401, "signature", token)
        try:
            event = psb_webhook.parse_event(body)
            psb_webhook.check_sent_on(event)
        except psb_webhook.StaleEvent as error:
            return _refuse(400, f"stale_{error.reason}", token)
        except psb_webhook.WebhookError as error:
            return _refuse(400, f"invalid_{error.reason}", token)
        if not event.party_id or not _same_party(event.party_id, party_id or ""):
            return _refuse(403, "party", token)

        _event_id, created = Event._econnect_store_webhook_event(company, event, body)
        return _answer(200, status="accepted" if created else "duplicate")
