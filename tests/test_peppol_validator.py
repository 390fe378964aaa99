"""The Peppol validation oracle (``econnect_odoo/tests/peppol_validator.py``) against the official artefacts.

The official examples must pass, the official unit tests must give the rule ids they expect, and broken
documents must fail on the layer that catches them (XSD, CEN, Peppol). Skips when the rules folder or
saxonche is absent."""

import copy
import glob
import importlib.util
import json
import os
import subprocess
import sys

import pytest
from lxml import etree

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "econnect_odoo", "tests", "peppol_validator.py")

# Loaded by path: ``econnect_odoo/tests/__init__.py`` imports the Odoo tests, which need Odoo.
_spec = importlib.util.spec_from_file_location("peppol_validator", SCRIPT)
pv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pv)

REASON = pv.unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

RULES = pv.rules_dir()
EXAMPLES = sorted(glob.glob(str(RULES / "examples" / "peppol-bis-3" / "examples" / "*.xml")))
VEFA = "{http://difi.no/xsd/vefa/validator/1.0}"
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
# The 3.0.19 unit tests expect a warning here; release 3.0.21 made DK-R-003 fatal (see the rules README).
KNOWN_STALE = {("DK_Validation_DKR003.xml", "warning", "DK-R-003")}


@pytest.fixture(scope="module")
def validator():
    return pv.PeppolValidator()


def example(name):
    with open(RULES / "examples" / "peppol-bis-3" / "examples" / name, "rb") as handle:
        return handle.read()


def unit_tests(pattern):
    """(file name, expectation kind, rule id, fragment bytes) of the official vefa unit test sets."""
    for path in sorted(glob.glob(str(RULES / "tests" / pattern))):
        test_set = etree.parse(path, pv.safe_parser()).getroot()
        for test in test_set.iter(f"{VEFA}test"):
            fragment = next(c for c in test if isinstance(c.tag, str) and not c.tag.startswith(VEFA))
            for expectation in test.find(f"{VEFA}assert"):
                kind = etree.QName(expectation).localname
                if kind in ("success", "error", "warning"):
                    yield os.path.basename(path), kind, expectation.text.strip(), etree.tostring(fragment)


def meets(results, kind, rule):
    hits = [r for r in results if r["id"] == rule]
    if kind == "success":
        return not hits
    return any(r["flag"] == ("fatal" if kind == "error" else "warning") for r in hits)


def test_official_examples_pass_with_no_fatal(validator):
    assert len(EXAMPLES) == 9
    for path in EXAMPLES:
        with open(path, "rb") as handle:
            result = validator.validate(handle.read(), os.path.basename(path))
        assert result["valid"], pv.format_failures([result])
        assert result["xsd_errors"] == [] and result["fatal"] == []
        assert result["root"] in ("Invoice", "CreditNote")


@pytest.mark.parametrize(("layer", "path", "kind", "rule"), [
    ("cen", "cen-en16931-1.3.16/Invoice-unit-UBL/BR-61.xml", "error", "BR-61"),
    ("cen", "cen-en16931-1.3.16/Invoice-unit-UBL/BR-61.xml", "success", "BR-61"),
    ("cen", "cen-en16931-1.3.16/Invoice-unit-UBL/BR-CO-15.xml", "error", "BR-CO-15"),
    ("cen", "cen-en16931-1.3.16/Invoice-unit-UBL/BR-CO-15.xml", "success", "BR-CO-15"),
    ("peppol", "peppol-bis-3/unit-UBL-PEPPOL/PEPPOL-EN16931-R010.xml", "error", "PEPPOL-EN16931-R010"),
    ("peppol", "peppol-bis-3/unit-UBL-PEPPOL/PEPPOL-EN16931-R010.xml", "success", "PEPPOL-EN16931-R010"),
    ("peppol", "peppol-bis-3/unit-UBL-NL/NL-R-001.xml", "error", "NL-R-001"),
    ("peppol", "peppol-bis-3/unit-UBL-NL/NL-R-001.xml", "success", "NL-R-001"),
])
def test_named_unit_tests_give_the_expected_rule(validator, layer, path, kind, rule):
    cases = [(k, frag) for _f, k, r, frag in unit_tests(path) if k == kind and r == rule]
    assert cases, f"no {kind} expectation for {rule} in {path}"
    for _kind, fragment in cases:
        results = validator.schematron(fragment, layer)
        assert meets(results, kind, rule), (kind, rule, [(r["id"], r["flag"]) for r in results])


@pytest.mark.parametrize(("layer", "pattern", "expected"), [
    ("cen", "cen-en16931-1.3.16/*-unit-UBL/*.xml", 1133),
    ("peppol", "peppol-bis-3/unit-UBL-*/*.xml", 552),
])
def test_all_official_unit_tests(validator, layer, pattern, expected):
    passed, failed = 0, []
    for name, kind, rule, fragment in unit_tests(pattern):
        if meets(validator.schematron(fragment, layer), kind, rule):
            passed += 1
        elif (name, kind, rule) not in KNOWN_STALE:
            failed.append((name, kind, rule))
        else:
            passed += 1  # counted: the rule fires, as fatal since 3.0.21
    assert not failed
    assert passed == expected


def test_each_layer_catches_its_own_breakage(validator):
    # XSD: an element out of order
    tree = etree.fromstring(example("base-example.xml"))
    issue_date = tree.find("cbc:IssueDate", NS)
    tree.remove(issue_date)
    tree.append(issue_date)
    result = validator.validate(etree.tostring(tree), "xsd")
    assert not result["valid"] and result["xsd_errors"]

    # CEN: credit transfer without an account (BR-61)
    tree = etree.fromstring(example("base-example.xml"))
    means = tree.find("cac:PaymentMeans", NS)
    means.remove(means.find("cac:PayeeFinancialAccount", NS))
    result = validator.validate(etree.tostring(tree), "br61")
    assert not result["valid"] and "BR-61" in result["fatal"] and result["xsd_errors"] == []
    br61 = next(a for a in result["asserts"] if a["id"] == "BR-61")
    assert br61["layer"] == "cen" and br61["flag"] == "fatal" and "PaymentMeans" in br61["location"]
    assert "Payment account identifier" in br61["text"]

    # Peppol: no buyer endpoint (R010)
    tree = etree.fromstring(example("base-example.xml"))
    party = tree.find("cac:AccountingCustomerParty/cac:Party", NS)
    party.remove(party.find("cbc:EndpointID", NS))
    result = validator.validate(etree.tostring(tree), "r010")
    assert "PEPPOL-EN16931-R010" in result["fatal"]
    assert next(a for a in result["asserts"] if a["id"] == "PEPPOL-EN16931-R010")["layer"] == "peppol"

    # not XML, not UBL
    assert validator.validate(b"<Invoice", "broken")["xsd_errors"][0].startswith("not well-formed")
    assert "neither" in validator.validate(b"<Order/>", "order")["xsd_errors"][0]


def test_entities_are_not_resolved(validator):
    evil = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&e;</Invoice>')
    result = validator.validate(evil, "evil")
    assert not result["valid"] and "DOCTYPE" in result["xsd_errors"][0]
    assert "root:" not in json.dumps(result)


def test_command_line_prints_json_per_file(tmp_path):
    broken = tmp_path / "broken.xml"
    tree = etree.fromstring(example("base-example.xml"))
    tree.remove(tree.find("cbc:BuyerReference", NS))  # base-example has no OrderReference
    broken.write_bytes(etree.tostring(tree))
    good = str(RULES / "examples" / "peppol-bis-3" / "examples" / "base-example.xml")
    process = subprocess.run(  # noqa: S603
        [sys.executable, SCRIPT, good, str(broken)], capture_output=True, text=True, check=False, timeout=300,
    )
    assert process.returncode == 1, process.stderr
    results = json.loads(process.stdout)
    assert [r["valid"] for r in results] == [True, False]
    assert "PEPPOL-EN16931-R003" in results[1]["fatal"]


def test_validate_batch_runs_one_subprocess_and_keeps_order():
    documents = {"b": example("base-creditnote-correction.xml"), "a": example("vat-category-E.xml")}
    tree = etree.fromstring(example("base-example.xml"))
    tree.remove(tree.find("cbc:BuyerReference", NS))  # no buyer reference nor order reference
    documents["c"] = etree.tostring(tree)
    results = pv.validate_batch(documents)
    assert [r["name"] for r in results] == ["b", "a", "c"]
    assert [r["root"] for r in results] == ["CreditNote", "Invoice", "Invoice"]
    assert [r["valid"] for r in results] == [True, True, False]
    report = pv.format_failures(results)
    assert report.startswith("c (Invoice):") and "PEPPOL-EN16931-R003 [peppol]" in report


def test_missing_rules_give_a_clear_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("PEPPOL_RULES_DIR", str(tmp_path))
    reason = pv.unavailable_reason()
    assert str(tmp_path) in reason and "PEPPOL_RULES_DIR" in reason
    with pytest.raises(pv.unittest.SkipTest, match="PEPPOL_RULES_DIR"):
        pv.validate_batch({"x": b"<x/>"})
    with pytest.raises(RuntimeError, match="PEPPOL_RULES_DIR"):
        pv.validate_batch({"x": b"<x/>"}, skip=False)
    process = subprocess.run(  # noqa: S603
        [sys.executable, SCRIPT, str(tmp_path / "x.xml")], capture_output=True, text=True, check=False,
        env={**os.environ, "PEPPOL_RULES_DIR": str(tmp_path)},
    )
    assert process.returncode == 2 and "PEPPOL_RULES_DIR" in process.stderr


def test_fragment_copy_is_not_mutated(validator):
    # schematron() accepts str and bytes alike
    xml = example("base-example.xml")
    assert validator.schematron(xml.decode(), "cen") == validator.schematron(copy.copy(xml), "cen")


def test_nlcius_documents_get_the_peppol_and_nl_rules_but_not_the_bis3_identifier(validator):
    tree = etree.fromstring(example("base-example.xml"))
    tree.find("cbc:CustomizationID", NS).text = pv.NLCIUS_CUSTOMIZATION
    result = validator.validate(etree.tostring(tree), "nlcius")
    assert result["valid"] and result["profile"] == "nlcius" and "R004" in result["notes"][0]
    # the NL rules still run: a Dutch supplier's credit note needs its invoice reference (NL-R-001)
    tree = etree.fromstring(example("base-creditnote-correction.xml"))
    tree.find("cbc:CustomizationID", NS).text = pv.NLCIUS_CUSTOMIZATION
    supplier = tree.find("cac:AccountingSupplierParty/cac:Party", NS)
    supplier.find("cac:PartyTaxScheme/cbc:CompanyID", NS).text = "NL000099998B57"
    supplier.find("cac:PostalAddress/cac:Country/cbc:IdentificationCode", NS).text = "NL"
    for reference in tree.findall("cac:BillingReference", NS):
        tree.remove(reference)
    result = validator.validate(etree.tostring(tree), "nlcius-cn")
    assert "NL-R-001" in result["fatal"] and "PEPPOL-EN16931-R004" not in result["fatal"]
    # a BIS 3 document keeps its own profile, and a wrong identifier still fails R004
    tree.find("cbc:CustomizationID", NS).text = "urn:example:other"
    result = validator.validate(etree.tostring(tree), "other")
    assert result["profile"] == "peppol-bis3" and "PEPPOL-EN16931-R004" in result["fatal"]


def test_validate_batch_works_under_odoo_memory_limit():
    """Odoo's ``limit_memory_hard`` (2560 MB by default) is a soft address-space limit that children inherit;
    saxonche can not start under it. ``validate_batch`` lifts it in its subprocess."""
    code = (
        "import resource, sys\n"
        "_soft, hard = resource.getrlimit(resource.RLIMIT_AS)\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2560 * 1024 * 1024, hard))\n"
        f"sys.path.insert(0, {os.path.dirname(SCRIPT)!r})\n"
        "import peppol_validator as pv\n"
        f"xml = open({str(RULES / 'examples' / 'peppol-bis-3' / 'examples' / 'base-example.xml')!r}, 'rb').read()\n"
        "print(pv.validate_batch({'a': xml})[0]['valid'])\n"
    )
    process = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300,
    )
    assert process.stdout.strip() == "True", process.stderr[-2000:]
