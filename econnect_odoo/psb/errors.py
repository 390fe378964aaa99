"""Exceptions raised by the PSB client.

Every error is a :class:`PSBError`. Callers branch on :attr:`PSBError.kind` (a short stable string the addon
maps to translated user messages, ``tools/messages.py``) and on :attr:`PSBError.retryable` (the one definition of
what may be tried again, used by the client's own retries and by every queue of the addon).

Classification (what the client raises for what):

============================  ===========================  =====================================
class                         ``kind``                      raised for
============================  ===========================  =====================================
``AuthenticationError``       ``authentication``            token refused by the identity server
                                                            (401, or 400 ``invalid_grant`` /
                                                            ``invalid_client`` ...), or an API 401
                                                            again right after one token renewal
``ForbiddenError``            ``forbidden``                 403 / ``API403`` (party not authorised)
                              ``payment_required``          402 (e.g. negative prepaid balance)
``NotFoundError``             ``not_found``                 404 / ``API404``
``AlreadySentError``          ``already_sent``              409 on send or invoice response: that
                                                            document id was sent
                                                            before (also after our own retry: the
                                                            first attempt landed; treat as sent)
``TemporaryError``            ``temporary``                 408, 425, 429, 5xx, read/connect
                                                            timeouts; ``retry_after`` in seconds
                              ``network``                   connection refused/reset/dropped, DNS
``TLSError``                  ``tls``                       certificate / TLS handshake failure.
                                                            NOT temporary and never retried: it
                                                            needs an administrator (or means an
                                                            attack), so it is a sibling of
                                                            ``TemporaryError``, not a subclass
``InvalidResponseError``      ``invalid_response``          2xx with a body that is not JSON where
                                                            JSON is due, the wrong JSON shape, a
                                                            redirect, a download above the limit
``RequestRejectedError``      ``rejected``                  400, 409 (other calls), 410, 413,
(subclass of                                                415, 422 and any other 4xx with an
``InvalidResponseError``)                                   error body: eConnect refused the request
                                                            as such; repeating it unchanged cannot
                                                            help, so it is never retried
``ConfigurationError``        ``configuration``             bad URL (explicit URLs must be https
                                                            unless the host is loopback), unknown
                                                            environment, missing credentials
============================  ===========================  =====================================

Messages never contain credentials: the client builds them from the status, eConnect's error
``code``/``message`` and the request id only.
"""

__all__ = [
    "RETRYABLE_KINDS",
    "TRANSIENT_KINDS",
    "AlreadySentError",
    "AuthenticationError",
    "ConfigurationError",
    "ForbiddenError",
    "InvalidResponseError",
    "NotFoundError",
    "PSBError",
    "RequestRejectedError",
    "TLSError",
    "TemporaryError",
]

#: The kinds of error that may go away while the request stays the same: the addon's queues try it again later
#: (after the backoff of :mod:`.retry`). ``temporary`` and ``network`` go away by themselves (``transient``: the
#: client also retries them inside the call); ``authentication`` and ``payment_required`` need an administrator once
#: (keys, balance) for every document alike, after which the same document goes through. Every other kind needs
#: the document or the configuration changed (or means an attack, ``tls``): repeating cannot help.
RETRYABLE_KINDS = frozenset({"temporary", "network", "authentication", "payment_required"})
TRANSIENT_KINDS = frozenset({"temporary", "network"})


class PSBError(Exception):
    """Base class of every error raised by the PSB client.

    :param message: technical English description (no secrets).
    :param status: HTTP status, or None when no HTTP answer was received.
    :param code: eConnect's error code (e.g. ``API403``), or None.
    :param request_id: eConnect's ``requestId``, to quote to eConnect support.
    :param help_link: eConnect's ``helpLink``, or None.
    :param kind: overrides the class default :attr:`kind`.
    """

    kind = "error"
    retry_after = None

    def __init__(self, message="", *, status=None, code=None, request_id=None, help_link=None, kind=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.help_link = help_link
        if kind is not None:
            self.kind = kind

    @property
    def retryable(self):
        """Whether the same request may succeed later: then it is tried again (see ``RETRYABLE_KINDS``)."""
        return self.kind in RETRYABLE_KINDS

    @property
    def transient(self):
        """Whether the failure may go away within seconds: then the client tries again inside the call."""
        return self.kind in TRANSIENT_KINDS

    def __str__(self):
        parts = [self.message or f"eConnect error ({self.kind})"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(f"code {self.code}")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return " | ".join(parts)

    def __repr__(self):
        return (
            f"{type(self).__name__}(kind={self.kind!r}, status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(PSBError):
    """The identity server refused the credentials, or the API kept answering 401."""

    kind = "authentication"


class ForbiddenError(PSBError):
    """403 / ``API403``: not authorised for this party or action (402: balance used up)."""

    kind = "forbidden"


class NotFoundError(PSBError):
    """404 / ``API404``: document not found, or receiver not found on Peppol."""

    kind = "not_found"


class AlreadySentError(PSBError):
    """409 on send: eConnect already has a document with this id. The caller treats it as sent.

    :attr:`after_retry` is True when the 409 answered a retry of the same call, i.e. our own
    earlier attempt reached eConnect although its answer was lost.
    """

    kind = "already_sent"
    after_retry = False


class TemporaryError(PSBError):
    """A failure that may go away by itself: 429, 5xx, timeouts, dropped connections.

    :attr:`retry_after` is the number of seconds the server asked us to wait (``Retry-After``),
    or None when it did not say.
    """

    kind = "temporary"

    def __init__(self, message="", *, retry_after=None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TLSError(PSBError):
    """TLS certificate or handshake failure: never retried, needs an administrator."""

    kind = "tls"


class InvalidResponseError(PSBError):
    """The answer could not be used: not JSON, wrong shape, too large, or a redirect."""

    kind = "invalid_response"


class RequestRejectedError(InvalidResponseError):
    """eConnect refused the request as such (400, 422, ... with an error body); not retried."""

    kind = "rejected"


class ConfigurationError(PSBError):
    """The client is configured wrongly (URL not https, unknown environment, no credentials)."""

    kind = "configuration"
