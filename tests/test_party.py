"""Party ids: parsing in all three forms, normalisation, per-scheme validation, url-encoding."""

import dataclasses

import pytest

from psb import contract
from psb.party import (
    DEPRECATED_SCHEMES,
    SCHEMES,
    InvalidPartyId,
    PartyId,
    is_valid_party_id,
    parse_party_id,
    party_or_none,
    propose_party_id,
)

# (ICD, letter code, input value, normalised value)
VALID = [
    ("0106", "NL:KVK", "12345678", "12345678"),
    ("0106", "NL:KVK", "1234 5678", "12345678"),
    ("0190", "NL:OINO", "00000001820029336000", "00000001820029336000"),
    ("9944", "NL:VAT", "NL004495445B01", "NL004495445B01"),
    ("9944", "NL:VAT", "nl 0044.95.445.b01", "NL004495445B01"),
    ("9944", "NL:VAT", "004495445B01", "NL004495445B01"),
    ("0208", "BE:EN", "0403019261", "0403019261"),
    ("0208", "BE:EN", "0403.019.261", "0403019261"),
    ("0208", "BE:EN", "403019261", "0403019261"),
    ("0208", "BE:EN", "BE0403019261", "0403019261"),
    ("9925", "BE:VAT", "BE0403019261", "BE0403019261"),
    ("9925", "BE:VAT", "be 0403.019.261", "BE0403019261"),
    ("9925", "BE:VAT", "403019261", "BE0403019261"),
    ("9925", "BE:VAT", "0403019261", "BE0403019261"),
    ("0088", "GLN", "1548079098355", "1548079098355"),
    ("0088", "GLN", "5790000436101", "5790000436101"),
    ("0060", "DUNS", "812810734", "812810734"),
    ("0199", "LEI", "724500VKKSH9QOLTFR81", "724500VKKSH9QOLTFR81"),
    ("0199", "LEI", "724500vkksh9qoltfr81", "724500VKKSH9QOLTFR81"),
    ("0007", "SE:ORGNR", "2120000787", "2120000787"),
    ("0007", "SE:ORGNR", "212000-0787", "2120000787"),
    ("0192", "NO:ORG", "745707327", "745707327"),
    ("0204", "DE:LWID", "04011000-1234512345-06", "04011000-1234512345-06"),
    ("9930", "DE:VAT", "DE136695976", "DE136695976"),
    ("9930", "DE:VAT", "136695976", "DE136695976"),
    ("0009", "FR:SIRET", "78430177200025", "78430177200025"),
    ("9957", "FR:VAT", "fr40303265045", "FR40303265045"),
    ("0216", "FI:OVT2", "003704944842TST01", "003704944842TST01"),
]

# (text, reason)
INVALID = [
    # 0106 KvK: exactly 8 digits
    ("0106:1234567", "length"),
    ("0106:123456789", "length"),
    ("0106:1234567X", "format"),
    # 0190 OIN: exactly 20 digits
    ("0190:0000000182002933600", "length"),
    ("0190:0000000182002933600A", "format"),
    # 9944 NL VAT
    ("9944:NL004495446B01", "checksum"),
    ("9944:NL12345678B01", "length"),
    ("9944:NL004495445X01", "format"),
    # 0208 BE enterprise number
    ("0208:0403019262", "checksum"),
    ("0208:04030192", "length"),
    ("0208:040301926A", "format"),
    ("0208:2000000042", "format"),  # valid check digits, but enterprise numbers start with 0 or 1
    # 9925 BE VAT
    ("9925:BE0403019262", "checksum"),
    ("9925:BE04030192", "length"),
    # 0088 GLN
    ("0088:1548079098356", "checksum"),
    ("0088:154807909835", "length"),
    ("0088:15480790983AB", "format"),
    # 0060 DUNS
    ("0060:81281073", "length"),
    ("0060:81281073A", "format"),
    # 0199 LEI
    ("0199:724500VKKSH9QOLTFR82", "checksum"),
    ("0199:724500VKKSH9QOLTFR8", "length"),
    ("0199:724500VKKSH9QOLTF_81", "format"),
    # 0007 SE organisation number
    ("0007:2120000788", "checksum"),
    ("0007:212000078", "length"),
    # 0192 NO organisation number
    ("0192:745707328", "checksum"),
    ("0192:74570732", "length"),
    # 0204 Leitweg-ID
    ("0204:04011000-1234512345-07", "checksum"),
    ("0204:abc", "format"),
    # 9930 DE VAT
    ("9930:DE136695977", "checksum"),
    ("9930:DE13669597", "length"),
    # generic schemes
    ("0009:7843 0177", "format"),
    ("0009:" + "1" * 51, "length"),
    ("0009:abc\u00e9", "format"),
    # scheme problems
    ("0001:123", "unknown_scheme"),
    ("9999:abc", "unknown_scheme"),
    ("XX:YY:1", "unknown_scheme"),
    ("9954:00000001820029336000", "deprecated_scheme"),
    ("NO:ORGNR:745707327", "deprecated_scheme"),  # 9908, removed; 0192 is NO:ORG
    # form problems
    ("", "format"),
    ("12345678", "format"),
    ("106:12345678", "format"),
    ("01060:12345678", "format"),
    ("0106:", "format"),
    ("0106:   ", "format"),
    ("iso6523-actorid-upis::", "format"),
]


@pytest.mark.parametrize(("icd", "letter", "value", "normal"), VALID)
def test_valid_ids_in_all_forms(icd, letter, value, normal):
    expected = PartyId(icd, normal)
    forms = [
        f"{icd}:{value}",
        f"{letter}:{value}",
        f"{letter.lower()}:{value}",
        f"iso6523-actorid-upis::{icd}:{value}",
        f"ISO6523-ACTORID-UPIS::{icd}:{value}",
        f"  {icd}:{value}  ",
    ]
    for text in forms:
        party = PartyId.parse(text)
        assert party == expected, text
        assert party.normal == str(party) == f"{icd}:{normal}"
        assert party.letter == f"{letter}:{normal}"
        assert party.iso6523 == f"iso6523-actorid-upis::{icd}:{normal}"
        assert party.scheme_code == letter
        assert party.endpoint_id == (icd, normal)
        assert is_valid_party_id(text)
        assert parse_party_id(text) == expected


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_ids(text, reason):
    with pytest.raises(InvalidPartyId) as info:
        PartyId.parse(text)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)
    assert str(info.value)  # an English message
    assert not is_valid_party_id(text)


def test_every_required_scheme_is_listed_with_its_peppol_letter_code():
    required = {
        "0106": "NL:KVK",
        "0190": "NL:OINO",
        "9944": "NL:VAT",
        "0208": "BE:EN",
        "9925": "BE:VAT",
        "0088": "GLN",
        "0060": "DUNS",
        "0199": "LEI",
        "0007": "SE:ORGNR",
        "0192": "NO:ORG",
        "0204": "DE:LWID",
        "9930": "DE:VAT",
    }
    for icd, letter in required.items():
        assert SCHEMES[icd] == letter
    assert DEPRECATED_SCHEMES["9908"] == "NO:ORGNR"
    assert not set(SCHEMES) & set(DEPRECATED_SCHEMES)
    assert all(len(icd) == 4 and icd.isdigit() for icd in {**SCHEMES, **DEPRECATED_SCHEMES})
    letters = list(SCHEMES.values()) + list(DEPRECATED_SCHEMES.values())
    assert len(letters) == len(set(letters))


def test_validate_false_only_checks_the_form():
    assert PartyId.parse("9999:whatever", validate=False) == PartyId("9999", "WHATEVER")
    assert PartyId.parse("0106:1234", validate=False).normal == "0106:1234"
    assert PartyId.parse("9954:123", validate=False).letter == "NL:OIN:123"
    assert PartyId.parse("NL:VAT:004495445B01", validate=False).value == "NL004495445B01"
    for text in ("", "0106", "0106:", "XX:1", None, 12345678):
        with pytest.raises(InvalidPartyId):
            PartyId.parse(text, validate=False)


def test_letter_form_falls_back_to_normal_for_schemes_without_code():
    party = PartyId.parse("9999:ABC", validate=False)
    assert party.scheme_code is None
    assert party.letter == "9999:ABC"


def test_longest_letter_code_wins():
    assert PartyId.parse("FI:OVT2:003704944842TST01").scheme == "0216"
    assert PartyId.parse("FI:OVT:003712345678", validate=False).scheme == "0037"


def test_url_encoded_uses_contract_form(monkeypatch):
    party = PartyId.parse("0106:12345678")
    assert contract.PATH_PARTY_ID_FORM == "letter"
    assert party.wire == "NL:KVK:12345678"
    assert party.url_encoded == "NL%3AKVK%3A12345678"
    monkeypatch.setattr(contract, "PATH_PARTY_ID_FORM", "normal")
    assert party.url_encoded == "0106%3A12345678"
    monkeypatch.setattr(contract, "PATH_PARTY_ID_FORM", "iso6523")
    assert party.url_encoded == "iso6523-actorid-upis%3A%3A0106%3A12345678"


def test_url_encoding_escapes_everything_unsafe():
    party = PartyId.parse("0209:A/B?C#D E", validate=False)
    assert party.value == "A/B?C#D E"
    assert party.url_encoded == "GS1%3AA%2FB%3FC%23D%20E"


def test_party_id_is_frozen_hashable_and_checks_scheme():
    party = PartyId("0106", "12345678")
    with pytest.raises(dataclasses.FrozenInstanceError):
        party.value = "x"
    assert {party, PartyId.parse("NL:KVK:12345678")} == {party}
    with pytest.raises(InvalidPartyId):
        PartyId("106", "12345678")
    with pytest.raises(InvalidPartyId):
        PartyId("0106", "")


def test_parse_accepts_a_party_id_instance():
    party = PartyId("0106", "12345678")
    assert PartyId.parse(party) is party
    with pytest.raises(InvalidPartyId) as info:
        PartyId.parse(PartyId("0106", "1"))
    assert info.value.reason == "length"
    assert PartyId("0106", "1").is_valid is False
    assert party.is_valid is True


def test_error_message_is_english_and_names_the_input():
    with pytest.raises(InvalidPartyId) as info:
        parse_party_id("0088:1548079098356")
    assert info.value.reason == "checksum"
    assert "check digit" in str(info.value)
    assert "0088:1548079098356" in str(info.value)
    assert info.value.text == "0088:1548079098356"


# -- the one party-id proposal (companies and partners alike) ---------------------------------------
@pytest.mark.parametrize(
    ("country", "registry", "vat", "expected"),
    [
        ("NL", "1234 5678", None, "0106:12345678"),
        ("BE", None, "BE0477.472.701", "0208:0477472701"),
        ("BE", "0477472701", None, "0208:0477472701"),
        ("BE", "12", "BE0477472701", "0208:0477472701"),  # a registry number that fails its check digit: the VAT
        ("DE", "HRB 1234", "DE123456789", None),
        ("NL", None, "NL123456789B01", None),
    ],
)
def test_party_id_proposal(country, registry, vat, expected):
    proposed = propose_party_id(country, registry, vat)
    assert (str(proposed) if proposed else None) == expected


def test_party_or_none_compares_ids_from_outside_by_their_form():
    # eConnect writes the letter form, a vendor's Peppol e-address the numeric one: the same party
    assert party_or_none("NL:KVK:12345678") == party_or_none("0106:12345678")
    # any 4-digit scheme by its form alone (no checksum), as events and documents may name them
    assert party_or_none("9999:anything") is not None
    for nothing in (None, "", "not a party id", "0106:", 42):
        assert party_or_none(nothing) is None
