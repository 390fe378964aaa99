"""OAuth2 token endpoint and bearer-token checks of the simulated identity server.

Token endpoint (``POST /connect/token``, form-encoded), errors per RFC 6749 section 5.2:

* unknown client or wrong client secret: ``invalid_client``. Sent in the form body (as eConnect's
  clients do) it is answered **400**, like IdentityServer (eConnect's identity server) does; sent
  with HTTP Basic it is answered **401** with ``WWW-Authenticate: Basic``, as the RFC requires when
  the client authenticated through the ``Authorization`` header.
* wrong/missing username or password (``password`` grant): 400 ``invalid_grant``.
* missing ``grant_type`` or a malformed request: 400 ``invalid_request``; another grant:
  400 ``unsupported_grant_type``; a scope other than ``ap`` (missing scope means ``ap``):
  400 ``invalid_scope``.

Checks run in that order: client, grant type, scope, user.
"""

import base64
import binascii
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from .state import normalize_parties, permissions
from .wire import json_reply

SCOPE = "ap"


@dataclass
class Account:
    kind: str  # "user" / "client"
    name: str
    secret: str
    parties: dict = field(default_factory=dict)  # key -> permissions


@dataclass
class Token:
    value: str
    kind: str  # "user" / "client"
    subject: str
    client_id: str
    issued_at: float
    expires_at: float
    revoked: bool = False


@dataclass
class Principal:
    """Who an API call acts as."""

    kind: str
    subject: str
    client_id: str
    parties: dict  # key -> permissions
    demo: bool = False

    def permissions_for(self, key):
        if self.demo:
            return permissions()
        return self.parties.get(key)


class AuthError(Exception):
    def __init__(self, description):
        super().__init__(description)
        self.description = description


def _oauth_error(error, description, status=400, headers=None):
    reply = json_reply({"error": error, "error_description": description}, status, headers)
    reply.error_code = error
    reply.headers.setdefault("Cache-Control", "no-store")
    reply.headers.setdefault("Pragma", "no-cache")
    return reply


class Auth:
    """Clients, users and issued tokens. Thread-safe."""

    def __init__(self, demo=False, token_lifetime=3600):
        self.demo = demo
        self.token_lifetime = token_lifetime
        self._lock = threading.Lock()
        self.clients = {}  # client id -> Account
        self.users = {}  # username -> Account
        self._tokens = {}  # value -> Token

    def add_client(self, client_id, secret, parties=None):
        with self._lock:
            self.clients[client_id] = Account("client", client_id, secret, normalize_parties(parties))

    def add_user(self, username, password, parties=None):
        with self._lock:
            self.users[username] = Account("user", username, password, normalize_parties(parties))

    def accounts(self):
        with self._lock:
            return list(self.users.values()) + list(self.clients.values())

    def expire_all(self):
        with self._lock:
            for token in self._tokens.values():
                token.revoked = True

    @property
    def tokens(self):
        with self._lock:
            return list(self._tokens.values())

    # -- token endpoint ------------------------------------------------------------------------
    def token_endpoint(self, headers, body):
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _oauth_error("invalid_request", "The token request must be application/x-www-form-urlencoded.")
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return _oauth_error("invalid_request", "The token request is not UTF-8.")
        client_id, client_secret, basic = form.get("client_id"), form.get("client_secret"), False
        authorization = headers.get("Authorization") or ""
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return _oauth_error(
                    "invalid_client",
                    "Malformed Basic credentials.",
                    401,
                    {"WWW-Authenticate": 'Basic realm="identity"'},
                )
            user, _, password = decoded.partition(":")
            client_id, client_secret, basic = unquote(user), unquote(password), True

        with self._lock:
            client = self.clients.get(client_id or "")
            client_ok = self.demo and bool(client_id)
            if client is not None and secrets.compare_digest(client.secret.encode(), (client_secret or "").encode()):
                client_ok = True
        if not client_ok:
            if basic:
                return _oauth_error(
                    "invalid_client",
                    "Unknown client or wrong client secret.",
                    401,
                    {"WWW-Authenticate": 'Basic realm="identity"'},
                )
            return _oauth_error("invalid_client", "Unknown client or wrong client secret.")

        grant = form.get("grant_type")
        if not grant:
            return _oauth_error("invalid_request", "grant_type is missing.")
        if grant not in ("password", "client_credentials"):
            return _oauth_error("unsupported_grant_type", "Grant type %r is not supported." % grant)
        scope = form.get("scope")
        if scope is not None and scope.split() != [SCOPE]:
            return _oauth_error("invalid_scope", "Only the scope 'ap' is available.")

        if grant == "password":
            username, password = form.get("username"), form.get("password")
            if not username or password is None:
                return _oauth_error("invalid_request", "username and password are required.")
            with self._lock:
                user = self.users.get(username)
                user_ok = self.demo or (
                    user is not None and secrets.compare_digest(user.secret.encode(), password.encode())
                )
            if not user_ok:
                return _oauth_error("invalid_grant", "Invalid username or password.")
            kind, subject = "user", username
        else:
            kind, subject = "client", client_id

        lifetime = float(self.token_lifetime)
        now = time.time()
        token = Token(secrets.token_urlsafe(32), kind, subject, client_id, now, now + lifetime)
        with self._lock:
            self._tokens[token.value] = token
        answer = {
            "access_token": token.value,
            "expires_in": int(lifetime) if lifetime >= 1 else lifetime,
            "token_type": "Bearer",
            "scope": SCOPE,
        }
        reply = json_reply(answer)
        reply.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
        return reply

    # -- API calls -----------------------------------------------------------------------------
    def principal(self, authorization):
        """Resolve an ``Authorization`` header to a :class:`Principal` or raise :class:`AuthError`."""
        if not authorization:
            raise AuthError("No access token was sent.")
        scheme, _, value = authorization.partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            raise AuthError("The Authorization header is not a Bearer token.")
        with self._lock:
            token = self._tokens.get(value)
            if token is None:
                raise AuthError("The access token is not valid.")
            if token.revoked or time.time() >= token.expires_at:
                raise AuthError("The access token expired.")
            account = (self.users if token.kind == "user" else self.clients).get(token.subject)
            parties = dict(account.parties) if account else {}
        return Principal(token.kind, token.subject, token.client_id, parties, demo=self.demo)
