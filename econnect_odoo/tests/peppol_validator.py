#!/usr/bin/env python3
# pylint: disable=print-used
"""The official Peppol BIS Billing 3.0 validation pipeline, as a test oracle. No Odoo import.

Runs the same three steps as a Peppol Access Point (see ``<rules>/README.md``):

1. XSD: UBL 2.1 ``Invoice`` or ``CreditNote`` schema (lxml);
2. ``CEN-EN16931-UBL.xslt`` (EN 16931 rules) and
3. ``PEPPOL-EN16931-UBL.xslt`` (Peppol BIS 3 rules, national rules such as NL-R-* included),
   both XSLT 2.0, run by ``saxonche``.

A document is valid when the XSD passes and no ``svrl:failed-assert`` has ``flag="fatal"``.

The rules folder comes from the environment variable ``PEPPOL_RULES_DIR`` (default: ``<repo>/../shared/peppol``);
it is never part of the addon. Each XSLT is compiled once per process (it is slow); a process validates any
number of documents.

Use:

- command line: ``python3 econnect_odoo/tests/peppol_validator.py a.xml b.xml`` prints a JSON list of results
  (exit code 0 when all are valid, 1 when one is not, 2 when the rules or saxonche are missing);
  ``--stdin`` reads a JSON list of ``{"name": ..., "xml_b64": ...}`` instead (used by :func:`validate_batch`);
- in-process (pytest): ``PeppolValidator().validate(xml_bytes)``;
- from an Odoo test: :func:`validate_batch` runs the whole batch in ONE subprocess. Never import saxonche
  inside an Odoo process: under Odoo's ``limit_memory_hard`` (an address-space limit) it crashes the process.

A result is a dict::

    {"name": "INV_2025_00001", "root": "Invoice", "profile": "peppol-bis3" (or "nlcius"), "valid": False,
     "xsd_errors": ["line 12: Element ...: This element is not expected."],
     "fatal": ["BR-61"], "warnings": ["UBL-CR-664"],
     "asserts": [{"layer": "cen", "id": "BR-61", "flag": "fatal", "text": "[BR-61]-If the ...",
                  "location": "/*:Invoice[...][1]/*:PaymentMeans[...][1]", "test": "..."}],
     "notes": []}

Dutch NLCIUS documents (SI-UBL 2.0 CustomizationID) get the same XSD and CEN layers; their Peppol layer (with
the NL-R-* rules) runs on a copy carrying the BIS 3 CustomizationID, because PEPPOL-EN16931-R004 accepts only
that one (``profile: "nlcius"``, explained in ``notes``).
"""

import base64
import importlib.util
import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

from lxml import etree

REPO_DIR = Path(__file__).resolve().parents[2]
DEFAULT_RULES_DIR = REPO_DIR.parent / "shared" / "peppol"
RULES_RELEASE = "peppol-bis-3.0.21"
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PEPPOL_BIS3_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
NLCIUS_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0"
ROOTS = {
    f"{{{UBL_INVOICE_NS}}}Invoice": ("Invoice", "ubl-2.1-xsd/maindoc/UBL-Invoice-2.1.xsd"),
    f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote": ("CreditNote", "ubl-2.1-xsd/maindoc/UBL-CreditNote-2.1.xsd"),
}
LAYERS = {
    "cen": f"schematron/{RULES_RELEASE}/CEN-EN16931-UBL.xslt",
    "peppol": f"schematron/{RULES_RELEASE}/PEPPOL-EN16931-UBL.xslt",
}


def rules_dir():
    """The folder holding the official rules (``PEPPOL_RULES_DIR``, default ``<repo>/../shared/peppol``)."""
    return Path(os.environ.get("PEPPOL_RULES_DIR") or DEFAULT_RULES_DIR)


def unavailable_reason(folder=None):
    """Why the official rules can not run here (a sentence), or None when they can."""
    folder = Path(folder) if folder else rules_dir()
    needed = [*LAYERS.values(), *(xsd for _root, xsd in ROOTS.values())]
    missing = [rel for rel in needed if not (folder / rel).is_file()]
    if missing:
        return (
            f"Peppol rules folder {folder} is absent or incomplete (missing {missing[0]}); "
            f"set PEPPOL_RULES_DIR to a copy of the official Peppol BIS 3.0.21 artefacts"
        )
    if importlib.util.find_spec("saxonche") is None:
        return "saxonche is not installed (pip install -r requirements-test.txt): the Peppol XSLT rules need it"
    return None


def safe_parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse(xml):
    """Parse untrusted XML (bytes or str): no entities, DTD or network; a DOCTYPE is refused (``ValueError``)."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if len(xml) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"document larger than {MAX_DOCUMENT_BYTES} bytes")
    tree = etree.fromstring(xml, parser=safe_parser())
    if tree.getroottree().docinfo.doctype:
        raise ValueError("a DOCTYPE is not allowed in a UBL document")
    return tree


class PeppolValidator:
    """XSD + CEN + Peppol validation of UBL documents. Compiles everything once; reuse the instance."""

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder else rules_dir()
        reason = unavailable_reason(self.folder)
        if reason:
            raise RuntimeError(reason)
        from saxonche import PySaxonProcessor  # only ever loaded in a process that validates

        self._processor = PySaxonProcessor(license=False)
        xslt = self._processor.new_xslt30_processor()
        self._executables = {
            layer: xslt.compile_stylesheet(stylesheet_file=str(self.folder / path)) for layer, path in LAYERS.items()
        }
        self._schemas = {}

    def _schema(self, root_tag):
        if root_tag not in self._schemas:
            _name, path = ROOTS[root_tag]
            self._schemas[root_tag] = etree.XMLSchema(etree.parse(str(self.folder / path)))
        return self._schemas[root_tag]

    def schematron(self, xml, layer):
        """The failed asserts (and successful reports) of one rule set (``cen`` or ``peppol``) on ``xml``.

        Works on fragments too (the official unit tests are not XSD-valid)."""
        tree = xml if isinstance(xml, etree._Element) else parse(xml)
        # Saxon gets lxml's re-serialisation: no DOCTYPE, no entity, no declaration to disagree with a str.
        node = self._processor.parse_xml(xml_text=etree.tostring(tree, encoding="unicode"))
        svrl = self._executables[layer].transform_to_string(xdm_node=node)
        tree = etree.fromstring(svrl.encode("utf-8"), parser=safe_parser())
        results = []
        for item in tree.iter(f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}successful-report"):
            results.append({
                "layer": layer,
                "id": item.get("id"),
                "flag": item.get("flag") or "fatal",
                "text": " ".join("".join(item.findtext(f"{{{SVRL_NS}}}text") or "").split()),
                "location": item.get("location"),
                "test": item.get("test"),
            })
        return results

    @staticmethod
    def _as_peppol_bis3(tree, result):
        """Dutch NLCIUS (SI-UBL 2.0) is its own specification: its CustomizationID fails PEPPOL-EN16931-R004,
        which accepts only the BIS 3 one. Its Peppol layer (Peppol and NL-R-* rules) runs on a copy that carries
        the BIS 3 identifier, and the result says so (``profile``)."""
        customization = tree.find(f"{{{CBC_NS}}}CustomizationID")
        if customization is None or (customization.text or "").strip() != NLCIUS_CUSTOMIZATION:
            return tree
        result["profile"] = "nlcius"
        result["notes"].append(
            "NLCIUS: Peppol/NL rules run with the BIS 3 CustomizationID (R004 checks the BIS 3 identifier only); "
            "SI-UBL 2.0's own BR-NL rules are not part of this rule set"
        )
        copy = etree.fromstring(etree.tostring(tree), parser=safe_parser())
        copy.find(f"{{{CBC_NS}}}CustomizationID").text = PEPPOL_BIS3_CUSTOMIZATION
        return copy

    def validate(self, xml, name="document"):
        """Full pipeline on one document (bytes or str). Returns the result dict described in the module doc."""
        if isinstance(xml, str):
            xml = xml.encode("utf-8")
        result = {"name": name, "root": None, "profile": "peppol-bis3", "valid": False, "xsd_errors": [],
                  "fatal": [], "warnings": [], "asserts": [], "notes": []}
        try:
            tree = parse(xml)
        except (etree.XMLSyntaxError, ValueError) as error:
            result["xsd_errors"].append(f"not well-formed XML: {error}")
            return result
        if tree.tag not in ROOTS:
            result["xsd_errors"].append(f"root element {tree.tag} is neither a UBL Invoice nor a UBL CreditNote")
            return result
        result["root"] = ROOTS[tree.tag][0]
        schema = self._schema(tree.tag)
        if not schema.validate(tree):
            result["xsd_errors"] = [f"line {e.line}: {e.message}" for e in schema.error_log]
        result["asserts"].extend(self.schematron(tree, "cen"))
        result["asserts"].extend(self.schematron(self._as_peppol_bis3(tree, result), "peppol"))
        result["fatal"] = [a["id"] for a in result["asserts"] if a["flag"] == "fatal"]
        result["warnings"] = [a["id"] for a in result["asserts"] if a["flag"] != "fatal"]
        result["valid"] = not result["xsd_errors"] and not result["fatal"]
        return result


def format_failures(results):
    """A readable report of the invalid documents in ``results`` ('' when all are valid)."""
    lines = []
    for result in results:
        if result["valid"]:
            continue
        lines.append(f"{result['name']} ({result['root'] or '?'}):")
        lines.extend(f"  XSD: {error}" for error in result["xsd_errors"])
        for item in result["asserts"]:
            if item["flag"] == "fatal":
                lines.append(f"  {item['id']} [{item['layer']}] {item['text']}  @ {item['location']}")
    return "\n".join(lines)


def validate_batch(documents, timeout=600, skip=True):
    """Validate many documents in ONE subprocess; for Odoo tests (saxonche must not load in the Odoo process).

    :param documents: ``{name: xml_bytes}`` or an iterable of ``(name, xml_bytes)``.
    :param skip: when the rules folder or saxonche is missing, raise ``unittest.SkipTest`` with the reason
        (else ``RuntimeError``).
    :return: the list of result dicts, in the order given (see the module doc).
    """
    reason = unavailable_reason()
    if reason:
        if skip:
            raise unittest.SkipTest(reason)
        raise RuntimeError(reason)
    items = list(documents.items()) if isinstance(documents, dict) else list(documents)
    payload = json.dumps([
        {"name": name, "xml_b64": base64.b64encode(xml if isinstance(xml, bytes) else xml.encode()).decode()}
        for name, xml in items
    ])
    process = subprocess.run(  # noqa: S603 (our own script, run by the same interpreter)
        [sys.executable, str(Path(__file__).resolve()), "--stdin"],
        input=payload, capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, "PEPPOL_RULES_DIR": str(rules_dir())},
    )
    if process.returncode not in (0, 1):
        raise RuntimeError(
            f"Peppol validator subprocess failed (exit {process.returncode}): {process.stderr.strip()[-2000:]}"
        )
    return json.loads(process.stdout)


def _lift_memory_limit():
    """A child of an Odoo process inherits its address-space limit (``limit_memory_hard``): lift it."""
    try:
        import resource  # POSIX only
    except ImportError:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    _lift_memory_limit()
    reason = unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    if argv[0] == "--stdin":
        documents = [(item["name"], base64.b64decode(item["xml_b64"])) for item in json.load(sys.stdin)]
    else:
        documents = [(path, Path(path).read_bytes()) for path in argv]
    validator = PeppolValidator()
    results = [validator.validate(xml, name) for name, xml in documents]
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0 if all(r["valid"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
