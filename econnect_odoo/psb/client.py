"""HTTP client for eConnect's PSB REST API: one class, one method per API call.

* One ``requests.Session`` per client (connection reuse, a pool for concurrent sends), TLS
  verification always on, a ``(connect, read)`` timeout on every call, no redirects followed.
* OAuth2 token (``password`` grant when a username is set, else ``client_credentials``), cached
  until 60 s before it expires, shared by threads, renewed once when the API answers 401.
* Transient failures (``PSBError.transient``: 429, 5xx, timeouts, dropped connections) of calls that are
  safe to repeat are retried inside the call after the one backoff policy (:mod:`.retry`, ``WITHIN_CALL``),
  honouring ``Retry-After``, within a bounded total time. Sends and invoice responses are safe to repeat,
  because eConnect deduplicates on ``X-EConnect-DocumentId`` (a later 409 means "already there"), and so
  are hook PUTs, which carry the id we chose (add-or-update by id).
* Errors are mapped to :mod:`.errors` classes. Nothing secret is ever logged or put in messages.
"""

import email.utils
import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from . import contract
from .errors import (
    AlreadySentError,
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    InvalidResponseError,
    NotFoundError,
    PSBError,
    RequestRejectedError,
    TemporaryError,
    TLSError,
)
from .party import PartyId
from .retry import WITHIN_CALL, Backoff

__all__ = ["PSBClient", "parse_retry_after", "validate_base_url"]

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5, 30)
DEFAULT_MAX_RETRY_SECONDS = 20.0
DEFAULT_MAX_ATTEMPTS = WITHIN_CALL.tries
DEFAULT_BACKOFF_BASE = WITHIN_CALL.first
DEFAULT_BACKOFF_MAX = WITHIN_CALL.cap
DEFAULT_POOL_SIZE = 32
DEFAULT_MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024
USER_AGENT = "econnect_odoo-psb/1.0"
_TEMPORARY_STATUSES = frozenset({408, 425, 429})
# calls made idempotent by X-EConnect-DocumentId: a 409 means "that id was done already"
_IDEMPOTENT_OPERATIONS = frozenset({"send", "invoice_response"})
_MAX_MESSAGE = 500
_MAX_ERROR_BODY = 64 * 1024


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def validate_base_url(url, what="URL"):
    """Return ``url`` without a trailing slash; raise :class:`ConfigurationError` unless it is
    ``https://host[:port][/path]`` (plain ``http`` only for 127.0.0.1, ::1 and localhost)."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(f"The {what} is empty.")
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise ConfigurationError(f"The {what} is not a valid URL.") from exc
    if not host:
        raise ConfigurationError(f"The {what} has no host name.")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(f"The {what} must not contain a user name or password.")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"The {what} must not contain a query or fragment.")
    scheme = parts.scheme.lower()
    if scheme == "https":
        pass
    elif scheme == "http":
        if host.lower() not in contract.LOOPBACK_HOSTS:
            raise ConfigurationError(
                f"The {what} must use https (plain http is only allowed for 127.0.0.1, ::1 and localhost)."
            )
    else:
        raise ConfigurationError(f"The {what} must start with https://.")
    return url.rstrip("/")


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        now = now or datetime.now(UTC)
        seconds = (when - now).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(0.0, seconds)


def _check_timeout(timeout):
    """``timeout`` as given to requests: seconds > 0, or ``(connect, read)`` seconds > 0 each.
    Anything else (None above all: no timeout at all) is a :class:`ConfigurationError`."""
    parts = tuple(timeout) if isinstance(timeout, list | tuple) else (timeout,)
    if len(parts) not in (1, 2) or not all(
        isinstance(p, int | float) and not isinstance(p, bool) and p > 0 for p in parts
    ):
        raise ConfigurationError("The timeout must be a number of seconds above 0, or (connect, read) seconds.")
    return parts if isinstance(timeout, list | tuple) else timeout


def _quote(text):
    return quote(str(text), safe="")


def _check_id(value, what):
    if value is None or not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"A {what} is required.")
    value = str(value).strip()
    if not value:
        raise ValueError(f"A {what} is required.")
    if len(value) > contract.MAX_DOCUMENT_ID_LENGTH:
        raise ValueError(f"The {what} is longer than {contract.MAX_DOCUMENT_ID_LENGTH} characters.")
    return value


def _party(party_id):
    """A :class:`PartyId` from text or a PartyId (form only: eConnect is the judge of validity)."""
    return PartyId.parse(party_id, validate=False)


def _environment_settings(base_url):
    """What ``requests`` would take from the environment for calls to ``base_url``: the proxies (``HTTPS_PROXY``,
    ``NO_PROXY``, ...) and a CA bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``); TLS verification stays on."""
    return {
        "proxies": requests.utils.get_environ_proxies(base_url),
        "verify": os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True,
    }


class _BearerAuth(requests.auth.AuthBase):
    """Sets the bearer token; as an ``auth`` object it also stops requests from using ~/.netrc."""

    def __init__(self, token):
        self._token = token

    def __call__(self, request):
        if self._token:
            request.headers[contract.HEADER_AUTHORIZATION] = "Bearer " + self._token
        return request

    def __repr__(self):
        return "<_BearerAuth ***>"


class _Attempt:
    """What one HTTP attempt produced: the response, its body, and the download when streaming."""

    __slots__ = ("body", "response", "result")

    def __init__(self, response, body=b"", result=None):
        self.response = response
        self.body = body
        self.result = result


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------
class PSBClient:
    """Client of one eConnect PSB environment for one set of credentials.

    :param api_url: base URL of the API (``https://psb.econnect.eu``).
    :param identity_url: base URL of the identity server (``https://identity.econnect.eu``).
    :param client_id: OAuth2 client id (per software vendor and environment).
    :param client_secret: OAuth2 client secret.
    :param username: PSB user; when set, the ``password`` grant is used.
    :param password: password of ``username``.
    :param subscription_key: optional legacy ``Subscription-Key`` header value.
    :param timeout: ``(connect, read)`` seconds (or one number) for every HTTP call.
    :param max_retry_seconds: bound on the total time spent retrying one call.
    :param max_attempts: attempts per call, the first one included.
    :param session: a ``requests.Session`` to use (then not closed by :meth:`close`).
    :param user_agent: ``User-Agent`` header.
    :param sleep: ``sleep(seconds)``, injectable for tests.
    :param clock: monotonic ``clock() -> seconds``, injectable for tests (token expiry, budget).
    :param backoff_base: first backoff delay in seconds (doubled per attempt, with jitter: :class:`.retry.Backoff`).
    :param backoff_max: largest backoff delay in seconds.
    :param pool_maxsize: connections kept per host (concurrent sends).
    """

    def __init__(
        self,
        api_url,
        identity_url,
        client_id,
        client_secret,
        username=None,
        password=None,
        subscription_key=None,
        timeout=DEFAULT_TIMEOUT,
        max_retry_seconds=DEFAULT_MAX_RETRY_SECONDS,
        max_attempts=DEFAULT_MAX_ATTEMPTS,
        session=None,
        user_agent=USER_AGENT,
        *,
        sleep=time.sleep,
        clock=time.monotonic,
        backoff_base=DEFAULT_BACKOFF_BASE,
        backoff_max=DEFAULT_BACKOFF_MAX,
        pool_maxsize=DEFAULT_POOL_SIZE,
        environment=None,
    ):
        self.api_url = validate_base_url(api_url, "API URL")
        self.identity_url = validate_base_url(identity_url, "identity URL")
        if not client_id or not client_secret:
            raise ConfigurationError("The client id and client secret are required.")
        if username and not password:
            raise ConfigurationError("A password is required with a user name.")
        self.client_id = client_id
        self._client_secret = client_secret
        self.username = username or None
        self._password = password
        self._subscription_key = subscription_key or None
        self.timeout = _check_timeout(timeout)
        self.max_retry_seconds = float(max_retry_seconds)
        self.backoff = Backoff(first=backoff_base, cap=backoff_max, tries=max_attempts)
        self.user_agent = user_agent
        self.environment = environment
        self._sleep = sleep
        self._clock = clock
        self._own_session = session is None
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        session.verify = True
        self.session = session
        # Proxy and CA-bundle variables of the environment, read once per host rather than on every call
        # (requests scans the whole environment twice per request otherwise); a given session keeps its own ways.
        self._environment = {}
        if self._own_session:
            session.trust_env = False
            self._environment = {base: _environment_settings(base) for base in (self.api_url, self.identity_url)}
        self._token_lock = threading.Lock()
        self._token = None
        self._token_expires_at = 0.0

    @classmethod
    def for_environment(cls, environment, **credentials):
        """A client for ``"acceptance"`` or ``"production"`` using the contract's hosts.

        ``credentials`` are the constructor's keyword arguments (``client_id``, ...); explicit
        ``api_url`` / ``identity_url`` override the hosts (and are validated).
        """
        hosts = contract.HOSTS.get(environment)
        if hosts is None:
            raise ConfigurationError(
                f"Unknown eConnect environment {environment!r} (use one of {', '.join(contract.ENVIRONMENTS)})."
            )
        credentials.setdefault("api_url", hosts["api"])
        credentials.setdefault("identity_url", hosts["identity"])
        credentials.setdefault("environment", environment)
        return cls(**credentials)

    def __repr__(self):
        return f"<PSBClient {self.api_url} client_id={self.client_id!r} user={self.username!r}>"

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self):
        """Close the HTTP session (if this client created it) and forget the token."""
        with self._token_lock:
            self._token = None
        if self._own_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- token ---------------------------------------------------------------------------------
    def fetch_token(self):
        """Get a new access token from the identity server (always a network call), cache it,
        and return it. Raises :class:`AuthenticationError` when the credentials are refused."""
        with self._token_lock:
            return self._renew_token(None)

    def _renew_token(self, deadline):
        """Fetch and cache a token; the caller holds ``_token_lock``."""
        token, lifetime = self._request_token(deadline)
        margin = min(contract.TOKEN_EXPIRY_MARGIN, lifetime / 2)
        self._token = token
        self._token_expires_at = self._clock() + lifetime - margin
        return token

    def _get_token(self, deadline):
        with self._token_lock:
            if self._token and self._clock() < self._token_expires_at:
                return self._token
            return self._renew_token(deadline)

    def _invalidate_token(self, token):
        with self._token_lock:
            if self._token == token:
                self._token = None

    def _request_token(self, deadline):
        if self.username:
            data = {
                "grant_type": contract.GRANT_PASSWORD,
                "username": self.username,
                "password": self._password,
            }
        else:
            data = {"grant_type": contract.GRANT_CLIENT_CREDENTIALS}
        data.update(client_id=self.client_id, client_secret=self._client_secret, scope=contract.TOKEN_SCOPE)
        answer = self._call(
            "POST",
            contract.TOKEN_PATH,
            base=self.identity_url,
            data=data,
            auth=False,
            operation="token",
            deadline=deadline,
        )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise InvalidResponseError("The token answer has no access_token.")
        try:
            lifetime = float(answer.get("expires_in") or contract.TOKEN_DEFAULT_LIFETIME)
        except (TypeError, ValueError):
            lifetime = contract.TOKEN_DEFAULT_LIFETIME
        if lifetime <= 0:
            lifetime = contract.TOKEN_DEFAULT_LIFETIME
        return token, lifetime

    # -- API calls -----------------------------------------------------------------------------
    def get_my_parties(self):
        """``GET /me/party``: the parties (organisations) this user may act for, with permissions."""
        answer = self._call("GET", contract.PATH_ME_PARTY, operation="me")
        return self._expect_list(answer, "party list")

    def query_recipient_party(self, party_id, candidate_ids):
        """Ask whether a receiver can receive: returns ``{"id", "channel", "description"}``.

        ``candidate_ids`` are all the receiver's known party ids. Raises :class:`NotFoundError`
        when none of them is reachable (404 / ``API404``).
        """
        candidates = [_party(c).wire for c in candidate_ids]
        if not candidates:
            raise ValueError("At least one candidate receiver id is required.")
        path = contract.PATH_QUERY_RECIPIENT.format(party=_party(party_id).url_encoded)
        answer = self._call("POST", path, json_body=candidates, operation="query_recipient")
        return self._expect_dict(answer, "recipient party")

    def send_invoice(self, party_id, xml, document_id, filename="invoice.xml", receiver_id=None, channel=None):
        """Send a UBL/CII document; returns ``{"id": <documentId>}``.

        ``document_id`` (a uuid4 chosen by the caller, stored before sending) makes the send
        idempotent: retries reuse it and eConnect answers 409 for a duplicate, raised as
        :class:`AlreadySentError` (the caller treats it as sent).
        """
        document_id = _check_id(document_id, "document id")
        if isinstance(xml, str):
            xml = xml.encode("utf-8")
        if not xml:
            raise ValueError("The document to send is empty.")
        params = {}
        if receiver_id:
            params[contract.PARAM_RECEIVER_ID] = _party(receiver_id).wire
        if channel:
            params[contract.PARAM_CHANNEL] = channel
        path = contract.PATH_SEND_INVOICE.format(party=_party(party_id).url_encoded)
        answer = self._call(
            "POST",
            path,
            params=params or None,
            files={contract.SEND_FILE_PART: (filename or "invoice.xml", bytes(xml), contract.MIME_XML)},
            headers={contract.HEADER_DOCUMENT_ID: document_id},
            operation="send",
            lenient=True,
        )
        if not isinstance(answer, dict):
            # The send was accepted (2xx); an unreadable answer must not make it look failed.
            answer = {}
        answer.setdefault("id", document_id)
        return answer

    def get_sent_status(self, party_id, document_id):
        """Statuses of a sent invoice, ``[{"id", "name", "description", "createdOn"}]`` (debug/fallback)."""
        path = contract.PATH_SENT_STATUS.format(
            party=_party(party_id).url_encoded, document=_quote(_check_id(document_id, "document id"))
        )
        return self._expect_list(self._call("GET", path, operation="sent_status"), "status list")

    def download_purchase_invoice(
        self, party_id, document_id, target_format=None, max_bytes=DEFAULT_MAX_DOWNLOAD_BYTES
    ):
        """Download a received invoice (the original XML unless ``target_format``, a document
        type id, is given). Streams; raises :class:`InvalidResponseError` beyond ``max_bytes``."""
        path = contract.PATH_DOWNLOAD_PURCHASE.format(
            party=_party(party_id).url_encoded, document=_quote(_check_id(document_id, "document id"))
        )
        params = {contract.DOWNLOAD_FORMAT_PARAM: target_format} if target_format else None
        return self._call(
            "GET",
            path,
            params=params,
            accept=f"{contract.MIME_XML}, {contract.MIME_JSON}",
            operation="download",
            max_bytes=int(max_bytes),
        )

    def delete_purchase_invoice(self, party_id, document_id):
        """Delete a received invoice on eConnect now (else kept 90 days, or 7 days after download)."""
        path = contract.PATH_PURCHASE_INVOICE.format(
            party=_party(party_id).url_encoded, document=_quote(_check_id(document_id, "document id"))
        )
        self._call("DELETE", path, operation="delete_purchase", lenient=True)

    def send_invoice_response(
        self, party_id, document_id, status, reasons=None, actions=None, note=None, *, response_document_id
    ):
        """Answer a received invoice (status ``AB``, ``IP``, ``UQ``, ``CA``, ``RE``, ``AP``, ``PD`` or their
        names; ``reasons`` / ``actions`` map codes to texts); sent with codes (``contract.invoice_response_body``).

        ``response_document_id`` (a uuid4 chosen by the caller, stored before the call) goes in
        ``X-EConnect-DocumentId``: it makes the call safe to repeat, so it is retried like a send, and a 409
        (that id was answered before) is raised as :class:`AlreadySentError` (the caller treats it as sent).
        Returns ``{"id": ...}``."""
        body = contract.invoice_response_body(status, reasons=reasons, actions=actions, note=note)
        response_document_id = _check_id(response_document_id, "response document id")
        path = contract.PATH_INVOICE_RESPONSE.format(
            party=_party(party_id).url_encoded, document=_quote(_check_id(document_id, "document id"))
        )
        answer = self._call(
            "POST",
            path,
            json_body=body,
            headers={contract.HEADER_DOCUMENT_ID: response_document_id},
            operation="invoice_response",
            lenient=True,
        )
        answer = answer if isinstance(answer, dict) else {}
        answer.setdefault("id", response_document_id)
        return answer

    def download_invoice_response(
        self, party_id, invoice_document_id, response_document_id, max_bytes=DEFAULT_MAX_DOWNLOAD_BYTES
    ):
        """Download a customer's answer (Peppol Invoice Response) to one of our sent invoices, by the invoice's
        and the response's document ids (the new docs' path)."""
        path = contract.PATH_SALES_RESPONSE_DOWNLOAD.format(
            party=_party(party_id).url_encoded,
            document=_quote(_check_id(invoice_document_id, "document id")),
            response=_quote(_check_id(response_document_id, "response document id")),
        )
        return self._call(
            "GET", path, accept=f"{contract.MIME_XML}, {contract.MIME_JSON}", operation="download",
            max_bytes=int(max_bytes),
        )

    def download_document(self, party_id, document_id, max_bytes=DEFAULT_MAX_DOWNLOAD_BYTES):
        """Download any document by its id through the beta API's generic path (the old docs' way to fetch a
        customer's answer announced with ``refToDocumentId``)."""
        path = contract.PATH_GENERIC_DOWNLOAD.format(
            party=_party(party_id).url_encoded, document=_quote(_check_id(document_id, "document id"))
        )
        return self._call(
            "GET", path, accept=f"{contract.MIME_XML}, {contract.MIME_JSON}", operation="download",
            max_bytes=int(max_bytes),
        )

    def get_delivery_options(self, party_ids, document_family=None):
        """``GET /peppol/deliveryOption``: how the participant (all its known ids) can be reached, optionally for
        one document family (``contract.DOCUMENT_FAMILY_INVOICE_RESPONSE``). A list; 404 raises NotFoundError."""
        candidates = [_party(p).wire for p in (party_ids if isinstance(party_ids, list | tuple) else [party_ids])]
        if not candidates:
            raise ValueError("At least one party id is required.")
        params = [(contract.PARAM_PARTY_IDS, candidate) for candidate in candidates]
        if document_family:
            params.append((contract.PARAM_DOCUMENT_FAMILY, document_family))
        answer = self._call("GET", contract.PATH_DELIVERY_OPTIONS, params=params, operation="delivery_options")
        return self._expect_list(answer if answer is not None else [], "delivery option list")

    def get_peppol_config(self, party_id):
        """The Peppol participant configuration (capabilities, business card) of a party."""
        path = contract.PATH_PEPPOL_CONFIG.format(party=_party(party_id).url_encoded)
        return self._expect_dict(self._call("GET", path, operation="peppol_config"), "Peppol configuration")

    def put_peppol_config(self, party_id, config):
        """Register / update the Peppol participant configuration of a party."""
        if not isinstance(config, dict):
            raise ValueError("The Peppol configuration must be a dict.")
        path = contract.PATH_PEPPOL_CONFIG.format(party=_party(party_id).url_encoded)
        answer = self._call("PUT", path, json_body=config, operation="peppol_config", lenient=True)
        return answer if isinstance(answer, dict) else {}

    def set_capability(self, party_id, capability, enabled):
        """Switch one capability of the party's Peppol participant configuration (``"invoices"`` = receiving,
        ``"invoiceResponse"``, ...), sending only what changes (``contract.capability_body``): nothing read is
        ever echoed back, and the configuration is never DELETEd (that unregisters the party).

        Reads first, to decide: a capability already set to the wanted state is not written again; switching off a
        party eConnect has no configuration for (404) is a no-op. When eConnect refuses the write
        (``contract.participant_write_refused``) but the capability already is in the wanted state by inheritance
        (``"inherited => on"``), that is taken as done; otherwise the refusal is raised. Returns the configuration
        (as read, or as eConnect answered the write), or ``{}``."""
        if not isinstance(capability, str) or not capability.strip():
            raise ValueError("A capability name is required.")
        capability, enabled = capability.strip(), bool(enabled)
        wanted = contract.CAPABILITY_ON if enabled else contract.CAPABILITY_OFF
        try:
            current = self.get_peppol_config(party_id)
        except NotFoundError:
            if not enabled:
                return {}
            current = None
        if current is not None and contract.capability_explicit_state(current, capability) == wanted:
            return current
        try:
            return self.put_peppol_config(party_id, contract.capability_body(capability, enabled))
        except PSBError as error:
            refused = contract.participant_write_refused(error.status, error.code)
            if refused and current is not None and contract.capability_enabled(current, capability) is enabled:
                _logger.info("PSB: %s is %s by inheritance; eConnect refused to pin it", capability, wanted)
                return current
            raise

    def set_receiving(self, party_id, enabled):
        """Switch receiving (the ``invoices`` capability) on or off: :meth:`set_capability`."""
        return self.set_capability(party_id, contract.CAPABILITY_INVOICES, enabled)

    def list_hooks(self, party_id=None):
        """Hooks of a party, or the environment's hooks when ``party_id`` is None."""
        if party_id is None:
            path = contract.PATH_ENV_HOOKS
        else:
            path = contract.PATH_PARTY_HOOKS.format(party=_party(party_id).url_encoded)
        answer = self._call("GET", path, operation="hooks")
        if answer is None:
            return []
        if isinstance(answer, dict):  # a single hook
            return [answer]
        return self._expect_list(answer, "hook list")

    def put_hook(self, party_id, hook):
        """Add or update a hook (``{"id", "name", "action", "topics", "isActive", ...}``); ``party_id`` None means
        an environment hook. Returns the stored hook.

        eConnect's Hook model requires ``id`` (chosen by us: :func:`contract.new_hook_id`, stored before the first
        PUT), ``name`` and ``action``; a PUT is add-or-update by that id, so it is safe to repeat and retried like
        any call that is. A hook without a valid id is refused here, before anything is sent."""
        if not isinstance(hook, dict):
            raise ValueError("The hook must be a dict.")
        if not contract.is_valid_hook_id(hook.get("id")):
            raise ValueError(
                f"A hook needs an id of 1 to {contract.HOOK_ID_MAX_LENGTH} letters, digits, '-' or '=' "
                "(chosen and stored before the first PUT)."
            )
        for key in ("name", "action"):
            if not isinstance(hook.get(key), str) or not hook[key].strip():
                raise ValueError(f"A hook needs a {key}.")
        if party_id is None:
            path = contract.PATH_ENV_HOOKS
        else:
            path = contract.PATH_PARTY_HOOKS.format(party=_party(party_id).url_encoded)
        answer = self._call("PUT", path, json_body=hook, operation="hooks", lenient=True)
        return answer if isinstance(answer, dict) else {}

    def delete_hook(self, party_id, hook_id):
        """Delete a hook of a party (or of the environment when ``party_id`` is None)."""
        hook = _quote(_check_id(hook_id, "hook id"))
        if party_id is None:
            path = contract.PATH_ENV_HOOK.format(hook=hook)
        else:
            path = contract.PATH_PARTY_HOOK.format(party=_party(party_id).url_encoded, hook=hook)
        self._call("DELETE", path, operation="hooks", lenient=True)

    def ping_hook(self, party_id):
        """Ask eConnect to send a test event to the party's hooks (environment when None)."""
        if party_id is None:
            path = contract.PATH_ENV_HOOK_PING
        else:
            path = contract.PATH_PARTY_HOOK_PING.format(party=_party(party_id).url_encoded)
        return self._call("GET", path, operation="hook_ping", lenient=True)

    # -- shape checks --------------------------------------------------------------------------
    @staticmethod
    def _expect_list(answer, what):
        if isinstance(answer, dict) and isinstance(answer.get("items"), list):
            answer = answer["items"]  # paged result
        if not isinstance(answer, list):
            raise InvalidResponseError(f"Expected a {what} (JSON array) from eConnect.")
        return answer

    @staticmethod
    def _expect_dict(answer, what):
        if not isinstance(answer, dict):
            raise InvalidResponseError(f"Expected a {what} (JSON object) from eConnect.")
        return answer

    # -- the engine ----------------------------------------------------------------------------
    def _call(
        self,
        method,
        path,
        *,
        base=None,
        params=None,
        json_body=None,
        data=None,
        files=None,
        headers=None,
        accept=contract.MIME_JSON,
        auth=True,
        retry=True,
        operation="",
        max_bytes=None,
        lenient=False,
        deadline=None,
    ):
        """Perform one API call with token handling, retries and error mapping.

        Returns the decoded JSON (None for an empty body; with ``lenient`` a non-JSON 2xx body
        also gives None), or the raw bytes when ``max_bytes`` is set (download).
        """
        url = (base or self.api_url) + path
        if deadline is None:
            deadline = self._clock() + self.max_retry_seconds
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            token = None
            request_headers = {contract.HEADER_ACCEPT: accept}
            if self.user_agent:
                request_headers["User-Agent"] = self.user_agent
            if headers:
                request_headers.update(headers)
            if auth:
                if self._subscription_key:
                    request_headers[contract.HEADER_SUBSCRIPTION_KEY] = self._subscription_key
                token = self._get_token(deadline)
            try:
                outcome = self._attempt(
                    method,
                    url,
                    base or self.api_url,
                    path,
                    params=params,
                    json_body=json_body,
                    data=data,
                    files=files,
                    headers=request_headers,
                    token=token,
                    attempt=attempt,
                    max_bytes=max_bytes,
                )
                status = outcome.response.status_code
                if 200 <= status < 300:
                    if max_bytes is not None:
                        return outcome.result
                    return self._decode(outcome.response, outcome.body, lenient)
                if status == 401 and auth and not renewed:
                    # The token may have been revoked or expired early: renew once, then retry.
                    renewed = True
                    attempt -= 1
                    self._invalidate_token(token)
                    _logger.debug("PSB %s %s: 401, renewing the token once", method, path)
                    continue
                raise self._error_from(outcome.response, outcome.body, operation, auth, retried=attempt > 1)
            except PSBError as error:
                if not (retry and error.transient) or self.backoff.exhausted(attempt):
                    raise
                delay = error.retry_after if error.retry_after is not None else self.backoff.delay(attempt)
                remaining = deadline - self._clock()
                if delay > remaining:
                    _logger.debug(
                        "PSB %s %s: giving up, a wait of %.1f s exceeds the retry budget (%.1f s left)",
                        method,
                        path,
                        delay,
                        max(0.0, remaining),
                    )
                    if error.retry_after is None:
                        error.retry_after = delay
                    raise
                _logger.debug(
                    "PSB %s %s: %s, attempt %d failed, retrying in %.2f s",
                    method,
                    path,
                    error.kind,
                    attempt,
                    delay,
                )
                self._sleep(delay)

    def _attempt(
        self, method, url, base, path, *, params, json_body, data, files, headers, token, attempt, max_bytes
    ):
        """One HTTP exchange; requests exceptions become TemporaryError / TLSError."""
        started = time.monotonic()
        kwargs = {
            "params": params,
            "headers": headers,
            "timeout": self.timeout,
            "verify": True,
            "allow_redirects": False,
            "auth": _BearerAuth(token),
            "stream": max_bytes is not None,
            **self._environment.get(base, {}),
        }
        if json_body is not None:
            kwargs["data"] = json.dumps(json_body).encode("utf-8")
            headers["Content-Type"] = contract.MIME_JSON
        elif data is not None:
            kwargs["data"] = data
        if files is not None:
            kwargs["files"] = files
        response = None
        try:
            response = self.session.request(method, url, **kwargs)
            # The body is read inside the try: a connection dropped while reading is temporary.
            if max_bytes is None:
                return _Attempt(response, response.content)
            if 200 <= response.status_code < 300:
                return _Attempt(response, result=self._read_limited(response, max_bytes))
            return _Attempt(response, self._read_limited(response, _MAX_ERROR_BODY, truncate=True))
        except requests.exceptions.SSLError as exc:
            raise TLSError(f"TLS failure talking to eConnect ({type(exc).__name__}).") from exc
        except requests.exceptions.Timeout as exc:
            raise TemporaryError(f"Timeout talking to eConnect ({type(exc).__name__}).") from exc
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            raise TemporaryError(
                f"Network failure talking to eConnect ({type(exc).__name__}).", kind="network"
            ) from exc
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
            raise ConfigurationError("The eConnect URL is not valid.") from exc
        except requests.exceptions.RequestException as exc:
            raise TemporaryError(f"Failure talking to eConnect ({type(exc).__name__}).", kind="network") from exc
        finally:
            if response is not None:
                if max_bytes is not None:
                    response.close()
                _logger.debug(
                    "PSB %s %s -> %s in %.0f ms (attempt %d, request id %s)",
                    method,
                    path,
                    response.status_code,
                    (time.monotonic() - started) * 1000,
                    attempt,
                    self._request_id(response, None),
                )
            else:
                _logger.debug(
                    "PSB %s %s -> no answer after %.0f ms (attempt %d)",
                    method,
                    path,
                    (time.monotonic() - started) * 1000,
                    attempt,
                )

    @staticmethod
    def _read_limited(response, max_bytes, truncate=False):
        """Read a streamed body; beyond ``max_bytes`` raise (or cut it off with ``truncate``)."""
        length = response.headers.get("Content-Length")
        if not truncate and length and length.isdigit() and int(length) > max_bytes:
            raise InvalidResponseError(
                f"The document is larger than the limit of {max_bytes} bytes.", status=response.status_code
            )
        chunks = []
        total = 0
        for chunk in response.iter_content(chunk_size=64 * 1024):
            total += len(chunk)
            if total > max_bytes:
                if truncate:
                    chunks.append(chunk[: max_bytes - total + len(chunk)])
                    break
                raise InvalidResponseError(
                    f"The document is larger than the limit of {max_bytes} bytes.",
                    status=response.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _decode(response, body, lenient):
        if not body or not body.strip():
            return None
        try:
            return json.loads(body.decode(response.encoding or "utf-8"))
        except (UnicodeDecodeError, LookupError, ValueError) as exc:
            if lenient:
                return None
            raise InvalidResponseError(
                "eConnect answered with something that is not JSON "
                f"(content type {response.headers.get('Content-Type', 'unknown')!r}, {len(body)} bytes).",
                status=response.status_code,
                request_id=PSBClient._request_id(response, None),
            ) from exc

    @staticmethod
    def _error_body(body):
        """eConnect's error JSON (or an OAuth2 / ProblemDetails body) as a dict, else {}."""
        try:
            data = json.loads((body or b"").decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _request_id(response, body):
        if body:
            for key in (contract.ERROR_FIELD_REQUEST_ID, "traceId"):
                if body.get(key):
                    return str(body[key])
        for header in contract.REQUEST_ID_HEADERS:
            value = response.headers.get(header)
            if value:
                return value
        return None

    def _error_from(self, response, raw_body, operation, auth, retried=False):
        """Map a non-2xx response to a :class:`PSBError` (never containing secrets)."""
        status = response.status_code
        body = self._error_body(raw_body)
        code = body.get(contract.ERROR_FIELD_CODE)
        code = str(code) if code not in (None, "") else None
        text = body.get(contract.ERROR_FIELD_MESSAGE) or body.get("detail") or body.get("title")
        oauth_error = body.get("error") if isinstance(body.get("error"), str) else None
        if not auth and oauth_error:
            code = code or oauth_error
            text = text or body.get("error_description")
        said = f" eConnect said: {str(text)[:_MAX_MESSAGE]}" if text else ""
        text = str(text)[:_MAX_MESSAGE] if text else f"eConnect answered HTTP {status} ({operation or 'call'})."
        info = {
            "status": status,
            "code": code,
            "request_id": self._request_id(response, body),
            "help_link": body.get(contract.ERROR_FIELD_HELP_LINK) or None,
        }
        retry_after = parse_retry_after(response.headers.get(contract.HEADER_RETRY_AFTER))

        if status in _TEMPORARY_STATUSES or status >= 500:
            return TemporaryError(text, retry_after=retry_after, **info)
        refused = status in (401, 403) or (status == 400 and oauth_error in contract.TOKEN_AUTH_ERRORS)
        if not auth and refused:  # the token endpoint
            return AuthenticationError("eConnect refused the connection keys." + said, **info)
        if not auth and (status in (404, 405) or 300 <= status < 400):
            return ConfigurationError(f"The identity URL has no token endpoint (HTTP {status}).", **info)
        if status == 401:
            return AuthenticationError("eConnect refused the access token, also after renewing it." + said, **info)
        if status == 402:
            return ForbiddenError(text, kind="payment_required", **info)
        if status == 403 or code == contract.ERROR_CODE_FORBIDDEN:
            return ForbiddenError(text, **info)
        if status == 404 or code == contract.ERROR_CODE_NOT_FOUND:
            return NotFoundError(text, **info)
        if status == 409 and operation in _IDEMPOTENT_OPERATIONS:
            error = AlreadySentError(
                "This document id was already sent"
                + (" (an earlier attempt of this call reached eConnect)." if retried else "."),
                **info,
            )
            error.after_retry = retried
            return error
        if 300 <= status < 400:
            return InvalidResponseError(f"eConnect answered with a redirect (HTTP {status}).", **info)
        if 400 <= status < 500:
            return RequestRejectedError(text, **info)
        return InvalidResponseError(f"Unexpected HTTP {status} from eConnect.", **info)


# Re-exported for convenience: ``from psb.client import PSBError``.
__all__ += ["PSBError"]
