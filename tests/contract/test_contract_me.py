"""GET /api/v1/me/party on the wire."""

from contract_wire import assert_invalid, check

CLIENT_METHODS = {"get_my_parties"}


def test_me_party(client, wire):
    parties = client.get_my_parties()
    assert parties
    check(wire.one(), method="GET", path=r"/api/v1/me/party", headers_schema="noBody", answer="user-party-list")


def test_me_party_schema_refuses_what_the_model_refuses():
    assert_invalid("user-party-list", [{"id": "NL:KVK:12345678", "permissions": {"canSendDocument": "yes"}}])
    assert_invalid("user-party-list", [{"id": "NL:KVK:12345678", "permissions": {"canFly": True}}])
    assert_invalid("user-party-list", {"id": "NL:KVK:12345678"})
