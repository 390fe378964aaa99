"""Parsing XML that comes from outside (uploads, received e-invoices, invoice responses).

* a size cap;
* no DTD at all: a document declaring a DOCTYPE or an ENTITY (in any common encoding) is refused *before*
  any parser sees it, so neither an external entity (XXE) nor an entity expansion bomb is ever expanded;
* the parser itself resolves no entities, loads no DTD, touches no network and refuses huge trees.
"""

from lxml import etree

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
    for encoding in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)


class XMLRefused(ValueError):
    """The bytes are refused; ``str()`` is a plain English sentence, :attr:`reason` a stable word:
    ``dtd`` and ``too_large`` (unsafe), ``empty`` and ``syntax`` (unreadable)."""

    def __init__(self, message, reason, detail=None):
        super().__init__(message)
        self.reason = reason
        self.detail = detail

    @property
    def unsafe(self):
        return self.reason in ("dtd", "too_large")


def declares_dtd(data):
    """True when the bytes declare a DOCTYPE or an ENTITY (UTF-8/ASCII, UTF-16 or UTF-32)."""
    return any(marker in data for marker in _MARKERS)


def parser():
    """A fresh parser (lxml parsers are not safe to share between threads)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        collect_ids=False,
    )


def parse(data, max_bytes=DEFAULT_MAX_BYTES):
    """The root element of untrusted XML bytes; raises :class:`XMLRefused`."""
    if not isinstance(data, bytes | bytearray):
        raise XMLRefused("The document is not a file (bytes).", "empty")
    if max_bytes and len(data) > max_bytes:
        raise XMLRefused(
            f"The document is {len(data)} bytes; the limit is {max_bytes} bytes.", "too_large", (len(data), max_bytes)
        )
    if not bytes(data).strip():
        raise XMLRefused("The document is empty.", "empty")
    if declares_dtd(data):
        raise XMLRefused(
            "The document declares a DTD or entities (<!DOCTYPE or <!ENTITY). E-invoices never need them and "
            "they can be used to read files from the server or to exhaust its memory; it was refused without "
            "being expanded.",
            "dtd",
        )
    try:
        root = etree.fromstring(bytes(data), parser=parser())
    except etree.XMLSyntaxError as exc:
        raise XMLRefused(f"The document is not well-formed XML ({exc}).", "syntax", str(exc)) from None
    if root is None:
        raise XMLRefused("The document has no root element.", "syntax")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # belt and braces: the byte check catches these
        raise XMLRefused("The document declares a DTD; it was refused without being expanded.", "dtd")
    return root
