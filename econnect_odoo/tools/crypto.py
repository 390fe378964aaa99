"""The master key and the encryption of eConnect secrets at rest.

Secrets (client secret, password, subscription key, webhook secrets) are stored as Fernet tokens
(AES-128-CBC + HMAC-SHA256, from ``cryptography``). The key never lives in the database, so a dump
alone reveals nothing. Where the key comes from, first match wins:

1. the ``econnect_master_key`` option of the Odoo configuration file;
2. the ``ECONNECT_MASTER_KEY`` environment variable;
3. a key file ``econnect_master.key`` in Odoo's data directory, created once with mode 0600.

A key is either a Fernet key (``Fernet.generate_key()``) or any passphrase of 16+ characters (stretched
with HKDF-SHA256). Several keys may be given, comma-separated: the first encrypts, all of them decrypt.
That is how a key is rotated: put the new key first, run ``odoo-bin --addons-path=<path> econnect_rotate_key -d <db>``
(which re-encrypts every secret with it), then drop the old one.
"""

import base64
import contextlib
import logging
import os
import threading

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from odoo.tools import config

_logger = logging.getLogger(__name__)

CONFIG_OPTION = "econnect_master_key"
ENV_VARIABLE = "ECONNECT_MASTER_KEY"
KEY_FILE_NAME = "econnect_master.key"
MIN_PASSPHRASE = 16

_lock = threading.Lock()
_cache = {}


class SecretError(Exception):
    """A stored secret cannot be decrypted with the configured key(s)."""


def _fernet_key(text):
    """A Fernet key from a Fernet key or a passphrase."""
    raw = text.strip().encode()
    with contextlib.suppress(ValueError, TypeError):
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    if len(raw) < MIN_PASSPHRASE:
        raise SecretError(
            f"The eConnect master key must be a Fernet key or a passphrase of at least {MIN_PASSPHRASE} characters."
        )
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"econnect_odoo", info=b"master-key", backend=default_backend()
    )
    return base64.urlsafe_b64encode(hkdf.derive(raw))


def key_file_path():
    return os.path.join(config["data_dir"], KEY_FILE_NAME)


def _read_or_create_key_file():
    """The key file's key; created when missing. Several workers may start at once: the file appears complete or
    not at all (written under a name of its own, then linked to its place, which fails when another was faster)."""
    path = key_file_path()
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        draft = f"{path}.{os.getpid()}.{threading.get_ident()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(Fernet.generate_key().decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            with contextlib.suppress(FileExistsError):  # another worker was faster: its key is the one
                os.link(draft, path)
                _logger.info("Created the eConnect master key file %s (keep it with your backups, not in them).", path)
        finally:
            os.unlink(draft)
    with open(path, encoding="ascii") as handle:
        return handle.read().strip()


def configured_keys():
    """The raw master key text, from configuration, environment, or the key file."""
    value = config.get(CONFIG_OPTION) or os.environ.get(ENV_VARIABLE)
    if not value:
        value = _read_or_create_key_file()
    return value


def get_fernet():
    """A MultiFernet over the configured key(s); the first key encrypts."""
    text = configured_keys()
    with _lock:
        if text not in _cache:
            keys = [part for part in text.split(",") if part.strip()]
            _cache.clear()
            _cache[text] = MultiFernet([Fernet(_fernet_key(part)) for part in keys])
        return _cache[text]


def encrypt(plaintext):
    """The Fernet token (str) of a secret; '' and None stay empty."""
    if not plaintext:
        return False
    return get_fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token):
    """The secret from its token; raises SecretError when no configured key fits."""
    if not token:
        return ""
    try:
        return get_fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise SecretError(
            "A stored eConnect secret cannot be decrypted with the configured master key. "
            "Was the key changed without running the rotation command?"
        ) from exc


def rotate(token):
    """The same secret re-encrypted with the first (newest) key."""
    if not token:
        return token
    try:
        return get_fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise SecretError("A stored eConnect secret cannot be decrypted with any configured key.") from exc
