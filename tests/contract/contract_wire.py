"""What the contract suite shares: the JSON Schemas (``schemas/*.json``, written from eConnect's published models),
a validator for them, and the checks of one HTTP exchange as it went over the wire.

The wire is the PSB simulator's request log: the method, the raw path (url-encoding and all), the query, the headers
and the body as the simulator received them, and its answer as it went out. Each test module of the suite covers one
API area: it makes the client's calls against the strict simulator and hands every exchange to :func:`check`, which
holds the request and the answer against the schemas. Every public call of the client is named by some module's
``CLIENT_METHODS`` (``test_contract_coverage.py`` checks that).
"""

import email.parser
import email.policy
import json
import os
import re
from urllib.parse import parse_qsl, unquote, urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from psb.party import PartyId

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
BASE_URI = "https://schemas.econnect-odoo.invalid/contract/"


def _load():
    schemas = {}
    for name in sorted(os.listdir(SCHEMA_DIR)):
        if name.endswith(".json"):
            with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as handle:
                schemas[name[: -len(".json")]] = json.load(handle)
    return schemas


SCHEMAS = _load()
REGISTRY = Registry().with_resources(
    (BASE_URI + name + ".json", Resource.from_contents(schema)) for name, schema in SCHEMAS.items()
)


def validator(name):
    """A Draft 2020-12 validator for ``schemas/<name>.json`` (``name#/$defs/x`` for one of its definitions)."""
    name, _, pointer = name.partition("#")
    schema = SCHEMAS[name]
    if pointer:
        schema = {"$ref": BASE_URI + name + ".json#" + pointer}
    return Draft202012Validator(schema, registry=REGISTRY)


def errors(name, instance):
    """The schema's complaints about ``instance``, one line each (empty when it is valid)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


def assert_valid(name, instance, what=""):
    problems = errors(name, instance)
    assert not problems, f"{what or name} leaves the published contract ({name}.json):\n  " + "\n  ".join(problems)


def assert_invalid(name, instance):
    assert errors(name, instance), f"{name}.json should refuse {instance!r}"


# ---------------------------------------------------------------------------------------------
# One exchange on the wire
# ---------------------------------------------------------------------------------------------
def headers(exchange):
    """The request headers, names lower-cased."""
    return {name.lower(): value for name, value in exchange.headers.items()}


def raw_path(exchange):
    return urlsplit(exchange.raw_path).path


def raw_query(exchange):
    return dict(parse_qsl(urlsplit(exchange.raw_path).query, keep_blank_values=True))


def multipart_parts(exchange):
    """The parts of a multipart/form-data body, read by the standard library's MIME parser (not the simulator's)."""
    content_type = headers(exchange).get("content-type", "")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + exchange.body
    )
    assert message.is_multipart(), f"not a multipart body: {content_type!r}"
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True) or b""
        parts.append({
            "name": part.get_param("name", header="content-disposition"),
            "filename": part.get_filename(),
            "contentType": part.get_content_type() if part.get("Content-Type") else None,
            "size": len(payload),
            "_payload": payload,
        })
    return parts


def check_party_segment(segment, party):
    """A party id in a path: url-encoded on the wire (no raw ``:``), and the party meant."""
    assert_valid("defs#/$defs/urlEncodedPathSegment", segment, f"the path segment {segment!r}")
    assert PartyId.parse(unquote(segment), validate=False) == PartyId.parse(party, validate=False), (
        f"{unquote(segment)!r} is not {party!r}"
    )


def check(exchange, *, method, path, headers_schema, parties=None, request=None, query=None, answer=None,
          status=200):
    """Hold one exchange against the contract.

    ``path``: a regex of the raw path with named groups; ``parties``: ``{group: party id}`` for the party ids in it
    (each url-encoded and the right one); ``headers_schema``: a definition of ``headers.json``; ``request``: the
    schema of the JSON body (None: no body); ``query``: the schema of the query (None: no query); ``answer``: the
    schema of the JSON answer (None: not JSON, e.g. a download or an empty answer); ``status``: the HTTP status
    (error answers are held against ``error.json``)."""
    assert exchange.method == method, (exchange.method, method)
    match = re.fullmatch(path, raw_path(exchange))
    assert match, f"{raw_path(exchange)!r} is not {path!r}"
    for group, party in (parties or {}).items():
        check_party_segment(match[group], party)
    assert_valid("headers#/$defs/" + headers_schema, headers(exchange), f"the headers of {method} {path}")
    if request is None:
        assert not exchange.body, f"{method} {path} sends no body"
    elif request != "multipart":
        assert_valid(request, json.loads(exchange.body), f"the body of {method} {path}")
    if query is None:
        assert not raw_query(exchange), f"{method} {path} takes no query ({raw_query(exchange)})"
    else:
        assert_valid(query, raw_query(exchange), f"the query of {method} {path}")
    assert exchange.status == status, (exchange.status, status, exchange.response_body[:300])
    if status >= 400:
        assert_valid("error", exchange.response_json(), f"the error answer of {method} {path}")
    elif answer is not None:
        assert_valid(answer, exchange.response_json(), f"the answer of {method} {path}")
    return match


class Wire:
    """The exchanges of one simulator since the last :meth:`take`."""

    def __init__(self, sim):
        self.sim = sim
        self._seen = 0

    def take(self):
        """The exchanges since the last call (the simulator's log, token calls included)."""
        entries = self.sim.requests
        new, self._seen = entries[self._seen:], len(entries)
        return new

    def api(self):
        """The API exchanges since the last call (token calls left out)."""
        return [e for e in self.take() if e.path.startswith("/api/")]

    def one(self):
        """The one API exchange since the last call."""
        exchanges = self.api()
        assert len(exchanges) == 1, [f"{e.method} {e.raw_path}" for e in exchanges]
        return exchanges[0]
