"""Request/answer plumbing shared by the API and the control API: replies, errors, multipart."""

import datetime
import json
import uuid
from dataclasses import dataclass, field
from email.message import Message
from email.utils import collapse_rfc2231_value

HELP_LINK = "https://psb.econnect.eu/docs/errors"
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml"

# HTTP status -> default eConnect-style error code
_CODES = {
    400: "API400",
    401: "API401",
    403: "API403",
    404: "API404",
    405: "API405",
    409: "API409",
    413: "API413",
    415: "API415",
    429: "API429",
}


def now_iso():
    """Current UTC time, ISO 8601 with offset (``2025-01-01T12:00:00.123456+00:00``)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def error_code(status):
    return _CODES.get(status) or ("API%d" % status)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: dict = field(default_factory=dict)
    error_code: str | None = None


def json_reply(data, status=200, headers=None):
    return Reply(status, json.dumps(data).encode("utf-8"), JSON_TYPE, dict(headers or {}))


def empty_reply(status=200):
    return Reply(status, b"", None)


def error_body(status, message, code=None):
    """eConnect's error JSON: ``{"helpLink","message","code","requestId","dateTime"}``."""
    code = code or error_code(status)
    return {
        "helpLink": "%s#%s" % (HELP_LINK, code),
        "message": message,
        "code": code,
        "requestId": str(uuid.uuid4()),
        "dateTime": now_iso(),
    }


def error_reply(status, message, code=None, headers=None):
    body = error_body(status, message, code)
    reply = json_reply(body, status, headers)
    reply.error_code = body["code"]
    return reply


class ApiError(Exception):
    """Raised by handlers; turned into :func:`error_reply`."""

    def __init__(self, status, message, code=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or error_code(status)
        self.headers = headers or {}

    def reply(self):
        return error_reply(self.status, self.message, self.code, self.headers)


@dataclass
class Part:
    name: str | None
    filename: str | None
    content_type: str | None
    data: bytes


def _header_params(value):
    msg = Message()
    msg["content-type"] = value
    return msg


def _param(message, name):
    value = message.get_param(name, header="content-disposition")
    return None if value is None else collapse_rfc2231_value(value)


def parse_multipart(content_type, body):
    """Parse a ``multipart/form-data`` body into a list of :class:`Part` (raises ``ValueError``)."""
    header = _header_params(content_type or "")
    if header.get_content_type() != "multipart/form-data":
        raise ValueError("The request is not multipart/form-data (Content-Type: %s)." % (content_type or "none"))
    boundary = header.get_param("boundary")
    if not boundary:
        raise ValueError("The multipart Content-Type has no boundary.")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        raise ValueError("The multipart body has no parts.")
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        elif chunk.startswith(b"\n"):
            chunk = chunk[1:]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = chunk.partition(b"\n\n")
            if not sep:
                raise ValueError("A multipart part has no header/body separator.")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        headers = {}
        for line in head.decode("latin-1").splitlines():
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        disposition = Message()
        disposition["content-disposition"] = headers.get("content-disposition", "")
        parts.append(
            Part(
                name=_param(disposition, "name"),
                filename=_param(disposition, "filename"),
                content_type=headers.get("content-type"),
                data=data,
            )
        )
    return parts
