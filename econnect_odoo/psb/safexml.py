"""Parsing XML that comes from outside (uploads, received e-invoices, invoice responses).

* a size cap;
* no DTD at all: a document declaring a DOCTYPE or an ENTITY (in any common encoding) is refused *before*
  any parser sees it, so neither an external entity (XXE) nor an entity expansion bomb is ever expanded;
* elements and attributes counted *before* any parser sees the document (a scan of the text, not lxml): the
  libxml2 of lxml 4.9.3, which Odoo 18 pins, checks an element's attributes against each other one by one, so
  200,000 attributes on one element cost minutes of CPU;
* the parser itself resolves no entities, loads no DTD, touches no network and refuses huge trees.
"""

import codecs
import re

from lxml import etree

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# E-invoices have a few attributes per element (currencyID, schemeID, ... and the namespaces of the root) and
# rarely more than some tens of thousands of elements (a line is about 30).
MAX_ATTRIBUTES_PER_ELEMENT = 100
MAX_ELEMENTS = 500_000

# A start tag and its attributes, exactly as XML writes them (a quoted value may hold ">" but never "<").
_START_TAG = re.compile(r"<[^\s<>!?/][^\s<>/]*((?:\s+[^\s<>=/]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)")
_ATTRIBUTE = re.compile(r"=\s*(?:\"[^\"<]*\"|'[^'<]*')")
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
# (byte order mark or first bytes of "<" in the encoding, encoding)
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"),
)

_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
    for encoding in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)


class XMLRefused(ValueError):
    """The bytes are refused; ``str()`` is a plain English sentence, :attr:`reason` a stable word:
    ``dtd``, ``too_large`` and ``too_complex`` (unsafe), ``empty`` and ``syntax`` (unreadable)."""

    def __init__(self, message, reason, detail=None):
        super().__init__(message)
        self.reason = reason
        self.detail = detail

    @property
    def unsafe(self):
        return self.reason in ("dtd", "too_large", "too_complex")


def declares_dtd(data):
    """True when the bytes declare a DOCTYPE or an ENTITY (UTF-8/ASCII, UTF-16 or UTF-32)."""
    return any(marker in data for marker in _MARKERS)


def _text_for_scan(data):
    """The document as text, decoded the way an XML parser would (byte order mark, first bytes, declaration), or
    None when it does not start with markup in any encoding the scan can read (the parser is then not asked)."""
    data = bytes(data)
    encoding = None
    for start, name in _WIDE_ENCODINGS:
        if data.startswith(start):
            encoding = name
            break
    if encoding is None:
        head = data[3:] if data.startswith(codecs.BOM_UTF8) else data
        declared = _DECLARED_ENCODING.match(head.lstrip()[:512])
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:  # an encoding Python does not know: neither does anything we would pass it to
        return None
    text = text.lstrip("\ufeff \t\r\n")
    return text if text.startswith("<") else None


def markup_problem(data, max_elements=MAX_ELEMENTS, max_attributes=MAX_ATTRIBUTES_PER_ELEMENT):
    """Why the markup of ``data`` is refused before parsing (an :class:`XMLRefused`), or None.

    Counts start tags and the attributes of each without an XML parser (one pass of a regular expression, linear
    in the size): comments and CDATA are counted as if they were markup, which only ever counts more.
    """
    text = _text_for_scan(data)
    if text is None:
        return XMLRefused("The document is not well-formed XML (it does not start with XML markup).", "syntax")
    for elements, match in enumerate(_START_TAG.finditer(text), start=1):
        attributes = match.group(1)
        if attributes.count("=") > max_attributes and len(_ATTRIBUTE.findall(attributes)) > max_attributes:
            return XMLRefused(
                f"An element of the document has more than {max_attributes} attributes; it was refused unread.",
                "too_complex", (max_attributes, max_elements),
            )
        if elements > max_elements:
            return XMLRefused(
                f"The document has more than {max_elements} elements; it was refused unread.",
                "too_complex", (max_attributes, max_elements),
            )
    return None


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
    problem = markup_problem(data)
    if problem is not None:
        raise problem
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
