"""Untrusted XML: elements and attributes counted before any parser sees them (lxml 4.9.3 spends minutes on an
element with 200,000 attributes)."""

import codecs
import time

import pytest

from psb import safexml

INVOICE = b"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID schemeID="x">INV-1</cbc:ID><cbc:Note>a &lt; b &gt; c</cbc:Note>
</Invoice>"""


def attributes_on_one_element(count):
    return b"<a " + b" ".join(b'a%d="1"' % n for n in range(count)) + b"/>"


def test_an_ordinary_invoice_passes():
    assert safexml.markup_problem(INVOICE) is None
    assert safexml.parse(INVOICE).tag.endswith("Invoice")


def test_200000_attributes_on_one_element_are_refused_at_once():
    data = attributes_on_one_element(200_000)
    assert len(data) > 2_000_000
    started = time.monotonic()
    with pytest.raises(safexml.XMLRefused) as refused:
        safexml.parse(data)
    assert time.monotonic() - started < 5
    assert refused.value.reason == "too_complex"
    assert refused.value.unsafe


def test_the_limits():
    assert safexml.markup_problem(attributes_on_one_element(safexml.MAX_ATTRIBUTES_PER_ELEMENT)) is None
    assert safexml.markup_problem(attributes_on_one_element(safexml.MAX_ATTRIBUTES_PER_ELEMENT + 1)) is not None
    many = b"<r>" + b"<e/>" * (safexml.MAX_ELEMENTS + 1) + b"</r>"
    assert safexml.markup_problem(many).reason == "too_complex"
    assert safexml.markup_problem(b"<r>" + b"<e/>" * 1000 + b"</r>") is None


def test_quoted_greater_than_signs_do_not_hide_attributes():
    data = b"<a " + b" ".join(b'a%d=">"' % n for n in range(500)) + b"/>"
    assert safexml.markup_problem(data).reason == "too_complex"


def test_equal_signs_inside_values_are_not_attributes():
    data = b'<a href="' + b"x=1&amp;" * 500 + b'"/>'
    assert safexml.markup_problem(data) is None


@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-16-le", b""), ("utf-16-be", b""), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-32-be", codecs.BOM_UTF32_BE)],
)
def test_wide_encodings_are_counted_too(encoding, bom):
    data = bom + attributes_on_one_element(500).decode().encode(encoding)
    assert safexml.markup_problem(data).reason == "too_complex"


def test_a_declared_encoding_is_honoured():
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>' + attributes_on_one_element(500).decode()
    assert safexml.markup_problem(text.encode("latin-1")).reason == "too_complex"


def test_what_does_not_start_with_markup_in_a_known_encoding_is_not_parsed():
    ebcdic = '<?xml version="1.0" encoding="cp037"?><a/>'.encode("cp037")
    assert safexml.markup_problem(ebcdic).reason == "syntax"
    assert safexml.markup_problem(b"not xml").reason == "syntax"
    assert safexml.markup_problem(b'<?xml version="1.0" encoding="no-such-codec"?><a/>').reason == "syntax"
