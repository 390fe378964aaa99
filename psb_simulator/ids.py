"""Party ids as the simulator keys and shows them (thin layer over ``psb.party``)."""

from psb.party import InvalidPartyId, PartyId


def key(text):
    """Normal form (``0106:12345678``) used as the dictionary key, or ``None`` when unparseable.

    Parsed with ``validate=False``: any 4-digit scheme and value are accepted, like eConnect,
    which answers unknown parties with 403 rather than 400.
    """
    if not text:
        return None
    try:
        return PartyId.parse(text, validate=False).normal
    except (InvalidPartyId, TypeError, ValueError):
        return None


def require_key(text):
    """Like :func:`key` but raises ``ValueError`` for an unparseable id (Python API callers)."""
    found = key(text)
    if found is None:
        raise ValueError("Not a party id: %r" % (text,))
    return found


def letter(text):
    """Letter form (``NL:KVK:12345678``) as eConnect answers, or the text itself when unparseable."""
    try:
        return PartyId.parse(text, validate=False).letter
    except (InvalidPartyId, TypeError, ValueError):
        return text


def is_valid(text):
    """True when the id parses and passes its scheme's checks (length, check digits, ...)."""
    try:
        PartyId.parse(text, validate=True)
    except (InvalidPartyId, TypeError, ValueError):
        return False
    return True
