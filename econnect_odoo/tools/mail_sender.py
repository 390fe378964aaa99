"""Who sent a mail, judged on its raw ``From`` header as it arrived (framework-free).

The mail parsing on the way reads ``alice@company.example <attacker@evil.example>`` as Alice's address, and takes
the first of two mailboxes. What is trusted here instead:

* exactly one ``From`` header with exactly one mailbox;
* the address is the one in angle brackets (or the bare address, with at most a comment without an address);
* a display name, or a comment, that contains an address (also encoded, or with a full-width at sign) is refused:
  people read the name, not the address (unless it is the sender's own address: some mail programs write that).
"""

import re
from email.header import decode_header, make_header

# What a mailbox address may hold: no spaces, brackets, quotes, commas or a second at sign.
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+$")
# A bare address, with a comment before or after it: "alice@example.com (Alice)"
_BARE = re.compile(
    r"^(?:\((?P<before>[^()]*)\)\s*)?(?P<address>[^\s<>()]+)\s*(?:\((?P<comment>[^()]*)\))?$"
)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
# "@", FULLWIDTH COMMERCIAL AT, SMALL COMMERCIAL AT: all read as an at sign
_AT_SIGNS = ("@", "\uff20", "\ufe6b")

SEVERAL = "several"  # no From, several From headers, several mailboxes, a group: not one sender
NAME_ADDRESS = "name_address"  # a display name or comment holding an address
MALFORMED = "malformed"  # no address Odoo could reply to


def raw_from_headers(message):
    """The raw values of the ``From`` headers of an ``email.message.Message``, unparsed."""
    values = [str(value) for name, value in message.raw_items() if name.lower() == "from"]
    # 8-bit header bytes come out of the parser as surrogate escapes: read them as the UTF-8 they nearly always are
    return [value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for value in values]


def _decoded(text):
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError):
        return text


_NAMED_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"'@\uff20\ufe6b]+[@\uff20\ufe6b][^\s<>()\[\],;:\"'@\uff20\ufe6b]+")


def _has_address(text, own=None):
    """Whether ``text`` (a display name or a comment) holds an address, other than ``own`` itself (some mail
    programs write the sender's own address as its name: that deceives nobody)."""
    for candidate in (text, _decoded(text)):
        if not any(sign in candidate for sign in _AT_SIGNS):
            continue
        named = _NAMED_ADDRESS.findall(candidate)
        if not own or not named or any(address.lower() != own.lower() for address in named):
            return True
        if sum(candidate.count(sign) for sign in _AT_SIGNS) != len(named):
            return True
    return False


def judge(raw_values):
    """``(address, None)`` for the one sender of these raw ``From`` values, else ``(reply_to, refusal)``: the
    refusal is one of SEVERAL, NAME_ADDRESS, MALFORMED, and ``reply_to`` the address the mail really names (in
    angle brackets), or None when it names no single one."""
    if len(raw_values) != 1:
        return None, SEVERAL
    raw = re.sub(r"\r?\n[ \t]+", " ", raw_values[0]).strip()
    if raw.count("<") + raw.count(">") > 2:
        return None, SEVERAL
    if "<" in raw or ">" in raw:
        display, _sep, rest = raw.partition("<")
        address, sep, after = rest.partition(">")
        address = address.strip()
        if not sep or after.strip():  # unclosed, or more after the address (another mailbox, a group's end)
            return None, SEVERAL
        if not _ADDRESS.match(address):
            return None, MALFORMED
        unquoted = _QUOTED.sub("", display)
        if any(separator in unquoted for separator in ",;:"):  # "Bob, Alice <alice@...>": two mailboxes
            return address, SEVERAL
        if _has_address(display, own=address):
            return address, NAME_ADDRESS
        return address, None
    bare = _BARE.match(raw)
    if not bare or not _ADDRESS.match(bare["address"]):
        return None, SEVERAL if any(separator in raw for separator in ",;:") else MALFORMED
    if any(part and _has_address(part, own=bare["address"]) for part in (bare["before"], bare["comment"])):
        return bare["address"], NAME_ADDRESS
    return bare["address"], None
