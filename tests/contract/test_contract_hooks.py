"""Hooks on the wire: add-or-update by the id we chose, list, ping, delete; party and environment hooks."""

import pytest
from contract_wire import assert_invalid, assert_valid, check
from psb_support import OWN

from psb import contract
from psb.errors import NotFoundError

CLIENT_METHODS = {"put_hook", "list_hooks", "ping_hook", "delete_hook"}
PARTY = r"/api/v1/(?P<party>[^/]+)"


def hook(**values):
    return dict({
        "id": contract.new_hook_id(),
        "name": "Odoo contract - Seller BV",
        "action": "https://odoo.example.com/econnect/webhook/token#secret",
        "topics": contract.hook_topics(True),
        "isActive": True,
    }, **values)


@pytest.mark.parametrize("party", [OWN, "iso6523-actorid-upis::0106:12345678"])
def test_party_hook_lifecycle(client, wire, party):
    chosen = hook()
    stored = client.put_hook(party, chosen)
    put = wire.one()
    check(put, method="PUT", path=PARTY + r"/hook", parties={"party": party}, headers_schema="jsonBody",
          request="hook-write", answer="hook")
    assert put.json()["id"] == chosen["id"] == stored["id"]
    # the same PUT again (a retry, a new secret): the same call, the same hook
    client.put_hook(party, dict(chosen, action=chosen["action"] + "2"))
    check(wire.one(), method="PUT", path=PARTY + r"/hook", parties={"party": party}, headers_schema="jsonBody",
          request="hook-write", answer="hook")
    assert [h["id"] for h in client.list_hooks(party)] == [chosen["id"]]
    check(wire.one(), method="GET", path=PARTY + r"/hook", parties={"party": party}, headers_schema="noBody",
          answer="hook-list")
    client.ping_hook(party)
    check(wire.one(), method="GET", path=PARTY + r"/hook/ping", parties={"party": party}, headers_schema="noBody",
          answer="document")
    client.delete_hook(party, chosen["id"])
    match = check(wire.one(), method="DELETE", path=PARTY + r"/hook/(?P<hook>[^/]+)", parties={"party": party},
                  headers_schema="noBody")
    assert match["hook"] == chosen["id"]


def test_environment_hook_lifecycle(client, wire):
    chosen = hook(topics=["*Sent", "*SentError"])
    client.put_hook(None, chosen)
    check(wire.one(), method="PUT", path=r"/api/v1/hook", headers_schema="jsonBody", request="hook-write",
          answer="hook")
    client.list_hooks()
    check(wire.one(), method="GET", path=r"/api/v1/hook", headers_schema="noBody", answer="hook-list")
    client.delete_hook(None, chosen["id"])
    check(wire.one(), method="DELETE", path=r"/api/v1/hook/" + chosen["id"], headers_schema="noBody")


def test_deleting_an_unknown_hook_is_404_in_the_error_shape(client, wire):
    with pytest.raises(NotFoundError):  # (deactivation takes it as "gone already")
        client.delete_hook(OWN, "no-such-hook")
    check(wire.one(), method="DELETE", path=PARTY + r"/hook/no-such-hook", parties={"party": OWN},
          headers_schema="noBody", status=404)


def test_the_addon_hook_is_what_the_model_takes():
    """The hook the addon registers (as built by the company) fits the published model."""
    assert_valid("hook-write", hook())
    assert_valid("hook-write", hook(topics=contract.hook_topics(False)))


def test_hook_schema_refuses_what_the_model_refuses():
    good = hook()
    assert_invalid("hook-write", {k: v for k, v in good.items() if k != "id"})  # no id: never leave it to eConnect
    assert_invalid("hook-write", dict(good, id="has_underscore"))  # token_urlsafe's alphabet
    assert_invalid("hook-write", dict(good, id="x" * 65))
    assert_invalid("hook-write", {k: v for k, v in good.items() if k != "name"})
    assert_invalid("hook-write", dict(good, action=""))
    assert_invalid("hook-write", dict(good, action="ftp://odoo.example.com"))
    assert_invalid("hook-write", dict(good, createdOn="2025-01-01T00:00:00Z"))  # eConnect's own
    assert_invalid("hook-write", dict(good, secret="s"))
