"""The contract suite covers every call the client can make, and its schemas are sound.

Each ``test_contract_*.py`` module names the client methods it holds against the schemas (``CLIENT_METHODS``). A
public method of :class:`psb.client.PSBClient` that no module names fails here: a new call needs its schemas and its
test on the wire before it lands.
"""

import glob
import importlib
import inspect
import json
import os
import re

from contract_wire import REGISTRY, SCHEMA_DIR, SCHEMAS
from jsonschema import Draft202012Validator

from psb.client import PSBClient

HERE = os.path.dirname(os.path.abspath(__file__))
#: Not calls of the API: building, closing.
NOT_CALLS = {"close", "for_environment"}
#: Calls whose contract tests another piece of work adds, with who: each must leave this list when it is covered.
PENDING = {}


def covered():
    methods = {}
    for path in sorted(glob.glob(os.path.join(HERE, "test_contract_*.py"))):
        name = os.path.basename(path)[: -len(".py")]
        module = importlib.import_module(name)
        for method in getattr(module, "CLIENT_METHODS", set()):
            methods.setdefault(method, []).append(name)
    return methods


def client_calls():
    return {
        name for name, member in inspect.getmembers(PSBClient)
        if not name.startswith("_") and callable(member) and name not in NOT_CALLS
    }


def test_every_client_call_is_held_against_the_contract():
    calls, tested = client_calls(), covered()
    missing = calls - set(tested) - set(PENDING)
    assert not missing, f"client calls without a contract test on the wire: {sorted(missing)}"
    assert not set(tested) - calls, f"contract tests name calls the client does not have: {set(tested) - calls}"


def test_pending_list_is_current():
    calls, tested = client_calls(), covered()
    done = set(PENDING) & set(tested)
    assert not done, f"covered now: take {sorted(done)} off PENDING"
    assert set(PENDING) <= calls, f"no such client call: {sorted(set(PENDING) - calls)}"


def test_schemas_are_valid_and_resolve():
    assert SCHEMAS
    for name, schema in SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith("/" + name + ".json"), name
        assert schema.get("$comment"), f"{name}.json says which published model it is written from"
        REGISTRY.resolver(base_uri=schema["$id"]).lookup(schema["$id"])
    assert os.path.isdir(SCHEMA_DIR)


def test_every_schema_is_used():
    python = ""
    for path in glob.glob(os.path.join(HERE, "*.py")):
        with open(path, encoding="utf-8") as handle:
            python += handle.read()
    refs = json.dumps(list(SCHEMAS.values()))  # "$ref": "hook.json" (an "$id" has a "/" before the name)
    unused = [
        name for name in SCHEMAS
        if not re.search(r'"%s["#]' % re.escape(name), python) and f'"{name}.json' not in refs
    ]
    assert not unused, f"schemas no test uses: {unused}"


def test_readme_limits_list_every_unconfirmed_point():
    """What is unconfirmed is said where a newcomer reads it: each point of contract.UNCONFIRMED in the README's
    Limits (and the smoke test reports eConnect's answer to each)."""
    from psb import contract

    with open(os.path.join(HERE, "..", "..", "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    limits = readme[readme.index("## Limits"):]
    missing = [key for key in contract.UNCONFIRMED if f"`{key}`" not in limits]
    assert not missing, f"README Limits does not list: {missing}"
