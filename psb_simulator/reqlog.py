"""The request log (``sim.requests``): every API and token request the simulator answered."""

import json
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

REDACTED = "***"
_SECRET_FORM_FIELDS = ("password", "client_secret")


@dataclass
class LoggedRequest:
    method: str
    path: str  # decoded path, no query string
    query: dict  # {name: last value}
    headers: dict  # Authorization redacted to "Bearer ***"
    body: bytes  # token requests: password and client_secret redacted
    status: int | None = None  # None when the connection was dropped on purpose
    document_id: str | None = None  # X-EConnect-DocumentId, or the id the simulator assigned
    time: float = 0.0  # epoch seconds when the request arrived
    duration: float = 0.0
    raw_path: str = ""
    client: str = ""
    dropped: bool = False
    error_code: str | None = None
    extra: dict = field(default_factory=dict)
    #: the answer as it went out (token answers: the access token redacted)
    response_headers: dict = field(default_factory=dict)
    response_body: bytes = b""

    def json(self):
        """Decode the body as JSON (``None`` when it is not JSON)."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def response_json(self):
        """Decode the answer as JSON (``None`` when it is not JSON)."""
        try:
            return json.loads(self.response_body or b"null")
        except ValueError:
            return None

    def as_dict(self, with_body=False):
        data = {
            "method": self.method,
            "path": self.path,
            "rawPath": self.raw_path,
            "query": self.query,
            "headers": self.headers,
            "status": self.status,
            "dropped": self.dropped,
            "documentId": self.document_id,
            "errorCode": self.error_code,
            "time": self.time,
            "duration": self.duration,
            "bodySize": len(self.body or b""),
        }
        if with_body:
            data["body"] = (self.body or b"").decode("utf-8", "replace")
        return data


def redact_headers(headers):
    """Copy of a header mapping with credentials masked."""
    out = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower == "authorization":
            scheme = value.split(" ", 1)[0] if value else ""
            value = "%s %s" % (scheme, REDACTED) if scheme else REDACTED
        elif lower in ("subscription-key", "ocp-apim-subscription-key"):
            value = REDACTED
        out[name] = value
    return out


def redact_token_answer(body):
    """Mask the access token in a token answer (the rest stays as sent)."""
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return body
    if isinstance(data, dict) and "access_token" in data:
        data["access_token"] = REDACTED
        return json.dumps(data).encode()
    return body


def redact_form(body):
    """Mask secrets in a form-encoded token request body."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return b""
    return urlencode([(k, REDACTED if k in _SECRET_FORM_FIELDS else v) for k, v in pairs]).encode()


class RequestLog:
    """Thread-safe append-only list of :class:`LoggedRequest`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def append(self, entry):
        with self._lock:
            self._entries.append(entry)

    def snapshot(self):
        with self._lock:
            return list(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        with self._lock:
            return len(self._entries)
