"""Peppol party ids: parse, normalise, validate, format, url-encode.

A party id is ``{scheme}:{value}`` where the scheme is a 4-digit ISO 6523 ICD code from the Peppol
"Participant identifier schemes" code list. Three input forms are accepted, case-insensitively::

    0106:12345678                         numeric ("normal") form
    NL:KVK:12345678                       letter form (eConnect answers in this form)
    iso6523-actorid-upis::0106:12345678   Peppol participant identifier with its scheme

Letter codes follow the Peppol code list (v8.7). Note: ``0192`` is ``NO:ORG``; ``NO:ORGNR`` is the
removed scheme ``9908``.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

from stdnum import ean, lei
from stdnum.be import vat as be_vat
from stdnum.de import vat as de_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.iso7064 import mod_97_10
from stdnum.nl import btw as nl_btw
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from . import contract

__all__ = [
    "DEPRECATED_SCHEMES",
    "SCHEMES",
    "InvalidPartyId",
    "PartyId",
    "is_valid_party_id",
    "parse_party_id",
    "propose_party_id",
]

#: Active schemes of the Peppol participant identifier scheme code list: ICD -> letter code.
SCHEMES = {
    "0002": "FR:SIRENE",
    "0007": "SE:ORGNR",
    "0009": "FR:SIRET",
    "0037": "FI:OVT",
    "0060": "DUNS",
    "0088": "GLN",
    "0096": "DK:P",
    "0097": "IT:FTI",
    "0106": "NL:KVK",
    "0130": "EU:NAL",
    "0135": "IT:SIA",
    "0142": "IT:SECETI",
    "0151": "AU:ABN",
    "0183": "CH:UIDB",
    "0184": "DK:DIGST",
    "0188": "JP:SST",
    "0190": "NL:OINO",
    "0191": "EE:CC",
    "0192": "NO:ORG",
    "0193": "UBLBE",
    "0195": "SG:UEN",
    "0196": "IS:KTNR",
    "0198": "DK:ERST",
    "0199": "LEI",
    "0200": "LT:LEC",
    "0201": "IT:CUUO",
    "0204": "DE:LWID",
    "0205": "IT:COD",
    "0208": "BE:EN",
    "0209": "GS1",
    "0210": "IT:CFI",
    "0211": "IT:IVA",
    "0212": "FI:ORG",
    "0213": "FI:VAT",
    "0215": "FI:NSI",
    "0216": "FI:OVT2",
    "0221": "JP:IIN",
    "0230": "MY:EIF",
    "9910": "HU:VAT",
    "9913": "EU:REID",
    "9914": "AT:VAT",
    "9915": "AT:GOV",
    "9918": "IBAN",
    "9919": "AT:KUR",
    "9920": "ES:VAT",
    "9922": "AD:VAT",
    "9923": "AL:VAT",
    "9924": "BA:VAT",
    "9925": "BE:VAT",
    "9926": "BG:VAT",
    "9927": "CH:VAT",
    "9928": "CY:VAT",
    "9929": "CZ:VAT",
    "9930": "DE:VAT",
    "9931": "EE:VAT",
    "9932": "GB:VAT",
    "9933": "GR:VAT",
    "9934": "HR:VAT",
    "9935": "IE:VAT",
    "9936": "LI:VAT",
    "9937": "LT:VAT",
    "9938": "LU:VAT",
    "9939": "LV:VAT",
    "9940": "MC:VAT",
    "9941": "ME:VAT",
    "9942": "MK:VAT",
    "9943": "MT:VAT",
    "9944": "NL:VAT",
    "9945": "PL:VAT",
    "9946": "PT:VAT",
    "9947": "RO:VAT",
    "9948": "RS:VAT",
    "9949": "SI:VAT",
    "9950": "SK:VAT",
    "9951": "SM:VAT",
    "9952": "TR:VAT",
    "9953": "VA:VAT",
    "9957": "FR:VAT",
    "9959": "US:EIN",
}

#: Deprecated or removed schemes: still parsed (old data, eConnect answers) but invalid for new use.
DEPRECATED_SCHEMES = {
    "9901": "DK:CPR",
    "9902": "DK:CVR",
    "9904": "DK:SE",
    "9905": "DK:VANS",
    "9906": "IT:VAT",
    "9907": "IT:CF",
    "9908": "NO:ORGNR",
    "9909": "NO:VAT",
    "9912": "EU:VAT",
    "9916": "AT:CID",
    "9917": "IS:KT",
    "9921": "IT:IPA",
    "9954": "NL:OIN",
    "9955": "SE:VAT",
    "9956": "BE:CBE",
    "9958": "DE:LID",
}

_ALL_SCHEMES = {**SCHEMES, **DEPRECATED_SCHEMES}
# Letter codes, longest first so that "FI:OVT2" wins over "FI:OVT".
_LETTER_TO_ICD = sorted(((v, k) for k, v in _ALL_SCHEMES.items()), key=lambda item: -len(item[0]))

#: Longest accepted value (Peppol caps participant identifier values at 50 characters).
MAX_VALUE_LENGTH = 50
_ICD_RE = re.compile(r"^[0-9]{4}$")
_PRINTABLE_RE = re.compile(r"^[\x21-\x7e]+$")
_LEITWEG_RE = re.compile(r"^[0-9]{2,12}(-[A-Z0-9]{1,30})?-[0-9]{2}$")

_REASON_MESSAGES = {
    "format": "The party id is not in a valid format.",
    "unknown_scheme": "The party id scheme is not a known Peppol identifier scheme.",
    "deprecated_scheme": "The party id scheme is deprecated and can no longer be used on Peppol.",
    "length": "The party id number has the wrong length.",
    "checksum": "The party id number has an invalid check digit.",
}


class InvalidPartyId(ValueError):
    """A party id that cannot be parsed or fails its scheme's validation.

    :attr:`reason` is one of ``format``, ``unknown_scheme``, ``deprecated_scheme``, ``length``,
    ``checksum`` (and ``missing`` where a caller finds no party id at all); :attr:`text` is the input as given.
    The messages here are technical English; users read the addon's words for the reason (``tools/messages.py``).
    """

    def __init__(self, reason, message=None, text=None):
        self.reason = reason
        self.text = text
        self.detail = message or _REASON_MESSAGES.get(reason, "Invalid party id.")
        super().__init__(self.detail if text is None else f"{self.detail} ({text!r})")


# ---------------------------------------------------------------------------------------------
# Per-scheme normalisation and validation
# ---------------------------------------------------------------------------------------------
def _strip_separators(value):
    return re.sub(r"[\s.\-/]", "", value).upper()


def _digits(length):
    def validate(value):
        if not value.isdigit() or not value.isascii():
            raise InvalidPartyId("format", f"Expected {length} digits.")
        if len(value) != length:
            raise InvalidPartyId("length", f"Expected exactly {length} digits, got {len(value)}.")

    return validate


def _stdnum(module, length=None, prefix=""):
    """Validate with a python-stdnum module, mapping its exceptions to our reasons."""

    expected = f"{prefix} and {length} digits" if prefix else f"{length} digits"

    def validate(value):
        number = value[len(prefix) :] if prefix and value.startswith(prefix) else value
        if length is not None and not (number.isdigit() and number.isascii()):
            raise InvalidPartyId("format", f"Expected {expected}.")
        if length is not None and len(number) != length:
            raise InvalidPartyId("length", f"Expected {expected}, got {len(number)} digits.")
        try:
            module.validate(value)
        except InvalidChecksum as exc:
            raise InvalidPartyId("checksum") from exc
        except InvalidLength as exc:
            raise InvalidPartyId("length") from exc
        except (InvalidFormat, InvalidComponent) as exc:
            raise InvalidPartyId("format") from exc
        except ValidationError as exc:
            raise InvalidPartyId("format") from exc

    return validate


def _be_number(value):
    """Belgian enterprise number: 10 digits, first 0 or 1, mod-97 check on the first 8."""
    _stdnum(be_vat, length=10)(value)
    if value[0] not in "01":
        raise InvalidPartyId("format", "A Belgian enterprise number starts with 0 or 1.")


def _normalise_be(value):
    return be_vat.compact(value)  # strips separators and a BE prefix, pads 9 digits with a 0


def _validate_be_vat(value):
    if not value.startswith("BE"):
        raise InvalidPartyId("format", "A Belgian VAT number starts with BE.")
    _be_number(value[2:])


def _normalise_nl_vat(value):
    value = _strip_separators(value)
    return value if value.startswith("NL") else "NL" + value


def _validate_nl_vat(value):
    if not re.fullmatch(r"NL[0-9]{9}B[0-9]{2}", value):
        if re.fullmatch(r"NL[0-9]+B[0-9]+", value):
            raise InvalidPartyId("length", "A Dutch VAT number is NL, 9 digits, B and 2 digits.")
        raise InvalidPartyId("format", "A Dutch VAT number is NL, 9 digits, B and 2 digits.")
    _stdnum(nl_btw)(value)


def _validate_gln(value):
    _digits(13)(value)
    if not ean.is_valid(value):
        raise InvalidPartyId("checksum")


def _normalise_de_vat(value):
    value = _strip_separators(value)
    return value if value.startswith("DE") else "DE" + value


def _validate_de_vat(value):
    if not value.startswith("DE"):
        raise InvalidPartyId("format")
    _stdnum(de_vat, length=9, prefix="DE")(value)


def _validate_lei(value):
    if not re.fullmatch(r"[0-9A-Z]+", value):
        raise InvalidPartyId("format", "A LEI has 20 letters and digits.")
    if len(value) != 20:
        raise InvalidPartyId("length", "A LEI has 20 letters and digits.")
    _stdnum(lei)(value)


def _normalise_leitweg(value):
    return re.sub(r"\s", "", value).upper()


def _validate_leitweg(value):
    if len(value) > 46 or not _LEITWEG_RE.fullmatch(value):
        raise InvalidPartyId("format", "A Leitweg-ID is digits-[letters/digits-]2 check digits.")
    if not mod_97_10.is_valid(value.replace("-", "")):
        raise InvalidPartyId("checksum")


def _validate_generic(value):
    if not value:
        raise InvalidPartyId("format", "The party id value is empty.")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidPartyId("length", f"The party id value is longer than {MAX_VALUE_LENGTH} characters.")
    if not _PRINTABLE_RE.fullmatch(value):
        raise InvalidPartyId("format", "The party id value contains spaces or invalid characters.")


def _normalise_generic(value):
    return value.strip().upper()


# ICD -> (normalise(value) -> value, validate(value) raising InvalidPartyId)
_RULES = {
    "0106": (_strip_separators, _digits(8)),
    "0190": (_strip_separators, _digits(20)),
    "0208": (_normalise_be, _be_number),
    "9925": (lambda v: "BE" + _normalise_be(v), _validate_be_vat),
    "9944": (_normalise_nl_vat, _validate_nl_vat),
    "0088": (_strip_separators, _validate_gln),
    "0060": (_strip_separators, _digits(9)),
    "0199": (_strip_separators, _validate_lei),
    "0007": (_strip_separators, _stdnum(se_orgnr, length=10)),
    "0192": (_strip_separators, _stdnum(no_orgnr, length=9)),
    "0204": (_normalise_leitweg, _validate_leitweg),
    "9930": (_normalise_de_vat, _validate_de_vat),
}


# ---------------------------------------------------------------------------------------------
# PartyId
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PartyId:
    """A Peppol party id: ``scheme`` (4-digit ICD) and normalised ``value``.

    Equal ids compare equal whatever form they were parsed from. ``str(pid)`` is the normal form.
    """

    scheme: str
    value: str

    def __post_init__(self):
        if not isinstance(self.scheme, str) or not _ICD_RE.fullmatch(self.scheme):
            raise InvalidPartyId("format", "The scheme must be a 4-digit ICD code.", self.scheme)
        if not isinstance(self.value, str) or not self.value:
            raise InvalidPartyId("format", "The party id value is empty.", self.value)

    # -- parsing -------------------------------------------------------------------------------
    @classmethod
    def parse(cls, text, validate=True):
        """Parse ``text`` in numeric, letter or iso6523 form; a :class:`PartyId` is returned as is
        (validated when ``validate``).

        Raises :class:`InvalidPartyId`. With ``validate=False`` only the form is checked: any
        4-digit scheme and any non-empty value are accepted (normalised when the scheme is known).
        """
        if isinstance(text, PartyId):
            if validate:
                text.validate()
            return text
        if not isinstance(text, str):
            raise InvalidPartyId("format", "A party id must be text.", text)
        raw = text
        text = text.strip()
        if text.lower().startswith(contract.ISO6523_PREFIX):
            text = text[len(contract.ISO6523_PREFIX) :]
        scheme, value = _split(text, raw)
        value = value.strip()
        if not value:
            raise InvalidPartyId("format", "The party id value is empty.", raw)
        normalise = _RULES.get(scheme, (_normalise_generic, None))[0]
        try:
            value = normalise(value)
        except Exception as exc:  # stdnum compact never should, but be safe: a bad value is a format error
            raise InvalidPartyId("format", text=raw) from exc
        if not value:
            raise InvalidPartyId("format", "The party id value is empty.", raw)
        party = cls(scheme, value)
        if validate:
            try:
                party.validate()
            except InvalidPartyId as exc:
                raise InvalidPartyId(exc.reason, exc.detail, raw) from None
        return party

    def validate(self):
        """Check the scheme is a known active Peppol scheme and the value passes its rules."""
        if self.scheme in DEPRECATED_SCHEMES:
            raise InvalidPartyId("deprecated_scheme", text=self.normal)
        if self.scheme not in SCHEMES:
            raise InvalidPartyId("unknown_scheme", text=self.normal)
        _validate_generic(self.value)
        validator = _RULES.get(self.scheme, (None, None))[1]
        if validator is not None:
            validator(self.value)
        return self

    @property
    def is_valid(self):
        """True when :meth:`validate` passes."""
        try:
            self.validate()
        except InvalidPartyId:
            return False
        return True

    # -- forms ---------------------------------------------------------------------------------
    @property
    def normal(self):
        """Numeric form, e.g. ``0106:12345678``."""
        return f"{self.scheme}:{self.value}"

    @property
    def scheme_code(self):
        """The letter code of the scheme (``NL:KVK``), or None when the list has none."""
        return _ALL_SCHEMES.get(self.scheme)

    @property
    def letter(self):
        """Letter form, e.g. ``NL:KVK:12345678``; the normal form when no letter code is known."""
        code = self.scheme_code
        return f"{code}:{self.value}" if code else self.normal

    @property
    def iso6523(self):
        """Peppol participant identifier form: ``iso6523-actorid-upis::0106:12345678``."""
        return contract.ISO6523_PREFIX + self.normal

    @property
    def wire(self):
        """The form sent to eConnect (see ``contract.PATH_PARTY_ID_FORM``)."""
        return contract.party_id_wire_form(self)

    @property
    def url_encoded(self):
        """The wire form url-encoded for a path segment (``NL%3AKVK%3A12345678``)."""
        return quote(self.wire, safe="")

    @property
    def endpoint_id(self):
        """``(schemeID, value)`` as in UBL ``<cbc:EndpointID schemeID="0106">12345678</...>``."""
        return self.scheme, self.value

    def __str__(self):
        return self.normal


def _split(text, raw):
    """Split into (ICD, value) from numeric or letter form."""
    head, sep, tail = text.partition(":")
    head = head.strip()
    if not sep:
        raise InvalidPartyId("format", "A party id looks like 0106:12345678.", raw)
    if head.isdigit():
        if not _ICD_RE.fullmatch(head):
            raise InvalidPartyId("format", "The scheme must be a 4-digit ICD code.", raw)
        return head, tail
    upper = text.upper()
    for code, icd in _LETTER_TO_ICD:
        if upper.startswith(code + ":"):
            return icd, text[len(code) + 1 :]
    raise InvalidPartyId("unknown_scheme", text=raw)


def parse_party_id(text, validate=True):
    """Parse a party id (see :meth:`PartyId.parse`)."""
    return PartyId.parse(text, validate=validate)


def party_or_none(text):
    """The party id in ``text`` by its form alone (any scheme, the value normalised when the scheme is known), or
    None when there is none or it does not parse: for comparing ids from outside (events, documents, partners)."""
    if not text:
        return None
    try:
        return PartyId.parse(text, validate=False)
    except InvalidPartyId:
        return None


def is_valid_party_id(text):
    """True when ``text`` parses and passes its scheme's validation."""
    try:
        PartyId.parse(text, validate=True)
    except InvalidPartyId:
        return False
    return True


def propose_party_id(country_code, company_registry, vat):
    """A party id for an organisation from its registry or VAT number (a :class:`PartyId`), or None.

    Dutch organisations: ``0106`` + KvK number (the company registry). Belgian ones: ``0208`` + enterprise number
    (the 10 digits of the company registry, else of the VAT number). Only a proposal: a person confirms it.
    """
    registry = "".join(ch for ch in (company_registry or "") if ch.isalnum())
    vat_digits = "".join(ch for ch in (vat or "") if ch.isdigit())
    candidates = []
    if country_code == "NL" and registry:
        candidates.append(f"0106:{registry}")
    elif country_code == "BE":
        if registry.isdigit():
            candidates.append(f"0208:{registry.zfill(10)}")
        if vat_digits:
            candidates.append(f"0208:{vat_digits.zfill(10)}")
    for candidate in candidates:
        try:
            return PartyId.parse(candidate)
        except InvalidPartyId:
            continue
    return None
