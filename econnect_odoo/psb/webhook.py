"""Webhook events from eConnect: signature check, time-window check, parsing; and whether eConnect can call an address.

eConnect POSTs a JSON event and signs the raw body::

    X-EConnect-Signature: sha256=<lowercase hex HMAC-SHA256(key=secret, message=raw body)>

:func:`verify_event` does every check in the right order (signature first, on the raw bytes,
before anything is parsed) and returns a :class:`WebhookEvent`.
"""

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from . import contract

__all__ = [
    "SIGNATURE_HEADER",
    "BadSignature",
    "InvalidEvent",
    "StaleEvent",
    "WebhookError",
    "WebhookEvent",
    "check_sent_on",
    "is_loopback_host",
    "parse_event",
    "parse_timestamp",
    "sign_body",
    "verify_event",
    "verify_signature",
    "webhook_address_problem",
]

SIGNATURE_HEADER = contract.HEADER_SIGNATURE
_PREFIX = contract.SIGNATURE_ALGORITHM + "="
_HEX_RE = re.compile(r"^[0-9a-fA-F]{64}$")
# Events are flat (details is an object of texts): anything nested deeper is not an event.
MAX_NESTING = 32


class WebhookError(Exception):
    """Base class of webhook check failures; :attr:`reason` is a short stable string."""

    def __init__(self, reason, message=""):
        super().__init__(message or reason)
        self.reason = reason
        self.message = message or reason


class BadSignature(WebhookError):
    """Signature missing (``missing``), malformed (``malformed``), of another algorithm
    (``algorithm``), not matching (``mismatch``), or no secret configured (``no_secret``)."""


class StaleEvent(WebhookError):
    """``sentOn`` too far in the ``past`` or the ``future``, or ``missing``."""


class InvalidEvent(WebhookError):
    """The body is not an event: ``json`` (not JSON/UTF-8), ``shape`` (not an object),
    ``topic`` (missing topic), ``timestamp`` (unreadable date), ``field`` (wrong field type),
    ``nesting`` (nested deeper than :data:`MAX_NESTING`), ``text`` (a NUL or a lone surrogate in a text)."""


@dataclass
class WebhookEvent:
    """One webhook event. Datetimes are timezone-aware (UTC when eConnect sent none)."""

    topic: str
    party_id: str | None = None
    hook_id: str | None = None
    document_id: str | None = None
    message: str | None = None
    details: dict = field(default_factory=dict)
    created_on: dt.datetime | None = None
    sent_on: dt.datetime | None = None
    response_document_id: str | None = None
    #: the old docs' InvoiceResponseReceived: ``documentId`` is the response, this is our invoice
    ref_to_document_id: str | None = None
    raw: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------------------------
def _key(secret):
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def _body(body):
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def sign_body(secret, body):
    """Return the header value for ``body``: ``"sha256=<lowercase hex HMAC-SHA256>"``."""
    return _PREFIX + hmac.new(_key(secret), _body(body), hashlib.sha256).hexdigest()


def _check_signature(secret, body, header_value):
    """Raise :class:`BadSignature` unless ``header_value`` signs ``body`` with ``secret``."""
    if not secret:
        raise BadSignature("no_secret", "No webhook secret is configured.")
    if header_value is None or not str(header_value).strip():
        raise BadSignature("missing", "The signature header is missing.")
    value = str(header_value).strip()
    algorithm, sep, digest = value.partition("=")
    if not sep:
        raise BadSignature("malformed", "The signature header is not 'sha256=<hex>'.")
    if algorithm.strip().lower() != contract.SIGNATURE_ALGORITHM:
        raise BadSignature("algorithm", "The signature uses another algorithm than sha256.")
    digest = digest.strip()
    if not _HEX_RE.fullmatch(digest):
        raise BadSignature("malformed", "The signature is not 64 hexadecimal characters.")
    expected = sign_body(secret, body)[len(_PREFIX) :]
    if not hmac.compare_digest(expected.encode("ascii"), digest.lower().encode("ascii")):
        raise BadSignature("mismatch", "The signature does not match the body.")


def verify_signature(secret, body, header_value):
    """True when ``header_value`` is a valid ``sha256=`` HMAC of ``body`` (constant-time compare).

    False for a missing, malformed or other-algorithm header, and when ``secret`` is empty.
    """
    try:
        _check_signature(secret, body, header_value)
    except BadSignature:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------------------------
_TS_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:[.,](?P<frac>\d+))?\s*(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_timestamp(value):
    """Parse an eConnect timestamp into an aware UTC datetime.

    Lenient: ISO 8601 with ``Z`` or an offset (``+02:00``, ``+0200``, ``+02``), ``T`` or a space,
    any number of fractional digits (.NET emits 7; extra digits are truncated to microseconds),
    naive timestamps taken as UTC, and numbers as Unix seconds. Raises ``ValueError``.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, bool):
        raise ValueError("not a timestamp")
    elif isinstance(value, int | float):
        try:
            parsed = dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:  # 1e300, NaN: no date at all
            raise ValueError("timestamp out of range") from exc
    elif isinstance(value, str):
        match = _TS_RE.match(value.strip())
        if not match:
            raise ValueError(f"unreadable timestamp {value!r}")
        time = match["time"] if match["time"].count(":") == 2 else match["time"] + ":00"
        frac = (match["frac"] or "")[:6].ljust(6, "0")
        tz = match["tz"] or "+00:00"
        if tz in ("Z", "z"):
            tz = "+00:00"
        elif len(tz) == 3:
            tz += ":00"
        elif ":" not in tz:
            tz = tz[:3] + ":" + tz[3:]
        parsed = dt.datetime.fromisoformat(f"{match['date']}T{time}.{frac}{tz}")
    else:
        raise ValueError("not a timestamp")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError as exc:  # 9999-12-31T23:00:00-05:00 is in the year 10000
        raise ValueError("timestamp out of range") from exc


def check_sent_on(event_or_datetime, now=None, window_seconds=contract.WEBHOOK_MAX_AGE_SECONDS):
    """Raise :class:`StaleEvent` unless the event's ``sentOn`` is within ``window_seconds`` of now.

    Accepts a :class:`WebhookEvent`, a datetime (naive = UTC) or a timestamp string. ``now``
    defaults to the current UTC time. Both past and future are checked (clock skew either way).
    """
    sent_on = event_or_datetime.sent_on if isinstance(event_or_datetime, WebhookEvent) else event_or_datetime
    if sent_on is None:
        raise StaleEvent("missing", "The event has no sentOn timestamp.")
    try:
        sent_on = parse_timestamp(sent_on)
    except ValueError as exc:
        raise InvalidEvent("timestamp", "The sentOn timestamp cannot be read.") from exc
    now = dt.datetime.now(dt.UTC) if now is None else parse_timestamp(now)
    delta = (now - sent_on).total_seconds()
    if delta > window_seconds:
        raise StaleEvent("past", f"The event was sent {int(delta)} s ago (limit {window_seconds} s).")
    if -delta > window_seconds:
        raise StaleEvent("future", f"The event is dated {int(-delta)} s ahead (limit {window_seconds} s).")
    return sent_on


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------
def _opt_str(data, key):
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidEvent("field", f"The field {key!r} is not text.")
    return str(value)


def _opt_time(data, key):
    value = data.get(key)
    if value is None or value == "":
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise InvalidEvent("timestamp", f"The field {key!r} is not a readable timestamp.") from exc


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def _check_values(data):
    """Refuse what no event holds and what the database cannot store: nesting deeper than MAX_NESTING, and texts
    (keys included) with a NUL character or a lone surrogate (JSON can write both: ``\\u0000``, ``\\ud800``)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_NESTING:
            raise InvalidEvent("nesting", f"The body is nested deeper than {MAX_NESTING} levels.")
        if isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if "\x00" in value:
                raise InvalidEvent("text", "A text of the event holds a NUL character.")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InvalidEvent("text", "A text of the event is not valid Unicode.") from exc


def parse_event(body):
    """Parse a webhook body (bytes) into a :class:`WebhookEvent`; raises :class:`InvalidEvent`.

    Only ``topic`` is required here; :func:`verify_event` additionally requires ``sentOn``.
    """
    try:
        data = json.loads(_body(body).decode("utf-8"), parse_constant=_no_constant)
    except RecursionError as exc:  # nested too deep for the decoder itself
        raise InvalidEvent("nesting", f"The body is nested deeper than {MAX_NESTING} levels.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidEvent("json", "The body is not UTF-8 JSON.") from exc
    _check_values(data)
    if not isinstance(data, dict):
        raise InvalidEvent("shape", "The body is not a JSON object.")
    topic = data.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        raise InvalidEvent("topic", "The event has no topic.")
    details = data.get("details")
    if details is None:
        details = {}
    if not isinstance(details, dict):
        raise InvalidEvent("field", "The field 'details' is not an object.")
    return WebhookEvent(
        topic=topic.strip(),
        party_id=_opt_str(data, "partyId"),
        hook_id=_opt_str(data, "hookId"),
        document_id=_opt_str(data, "documentId"),
        message=_opt_str(data, "message"),
        details=details,
        created_on=_opt_time(data, "createdOn"),
        sent_on=_opt_time(data, "sentOn"),
        response_document_id=_opt_str(data, contract.EVENT_FIELD_RESPONSE_DOCUMENT_ID),
        ref_to_document_id=_opt_str(data, contract.EVENT_FIELD_REF_TO_DOCUMENT_ID),
        raw=data,
    )


def verify_event(secret, body, signature_header, now=None, window_seconds=contract.WEBHOOK_MAX_AGE_SECONDS):
    """Check signature, parse, check ``sentOn``; return the :class:`WebhookEvent`.

    Raises :class:`BadSignature`, :class:`InvalidEvent` or :class:`StaleEvent` (all
    :class:`WebhookError`). The signature is checked on the raw bytes before parsing.
    """
    _check_signature(secret, body, signature_header)
    event = parse_event(body)
    check_sent_on(event, now=now, window_seconds=window_seconds)
    return event


# ---------------------------------------------------------------------------------------------
# The address eConnect calls
# ---------------------------------------------------------------------------------------------
#: Name suffixes that never resolve on the internet (RFC 6761, RFC 8375, common private zones).
PRIVATE_NAME_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home", ".home.arpa", ".corp", ".intranet",
                         ".test", ".example", ".invalid", ".localdomain")


def is_loopback_host(host):
    """Whether ``host`` (a name or an address) is this machine."""
    host = (host or "").strip("[]").rstrip(".").lower()
    if host in contract.LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_address_problem(url, loopback_allowed=False):
    """Why eConnect could not call ``url`` (a webhook address), or None when it can.

    Hook actions are ``https`` addresses that eConnect reaches from the internet (PSB-API.md, "Hooks"): the secret is
    in them and events carry invoice data. Reasons: ``"invalid"`` (no http(s) URL with a host), ``"not_https"``,
    ``"not_public"`` (loopback, a private, link-local or reserved address, a name without a dot or in a private
    zone). ``loopback_allowed`` (tests: eConnect itself is a simulator on this machine) lets a loopback host through,
    over http too."""
    try:
        parts = urlsplit(str(url or "").strip())
        host = (parts.hostname or "").rstrip(".").lower()
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return "invalid"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return "invalid"
    if is_loopback_host(host):
        return None if loopback_allowed else "not_public"
    if scheme != "https":
        return "not_https"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if "." not in host or host.endswith(PRIVATE_NAME_SUFFIXES):
            return "not_public"
        return None
    return None if address.is_global else "not_public"
