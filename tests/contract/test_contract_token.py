"""The OAuth2 token call on the wire: form fields, headers, the answer (and the identity server's refusal)."""

from urllib.parse import parse_qsl

import pytest
from contract_support import CLIENT_ID, make_client
from contract_wire import assert_invalid, assert_valid, headers

from psb import contract
from psb.errors import AuthenticationError

CLIENT_METHODS = {"fetch_token"}


def token_exchange(sim):
    [exchange] = [e for e in sim.requests if e.path == contract.TOKEN_PATH]
    return exchange


def form(exchange):
    return dict(parse_qsl(exchange.body.decode("ascii"), keep_blank_values=True))


@pytest.mark.parametrize("grant", ["password", "client_credentials"])
def test_token_request_and_answer(sim, grant):
    overrides = {} if grant == "password" else {"username": None, "password": None}
    with make_client(sim, **overrides) as psb:
        psb.fetch_token()
    exchange = token_exchange(sim)
    assert (exchange.method, exchange.raw_path) == ("POST", contract.TOKEN_PATH)
    assert_valid("headers#/$defs/token", headers(exchange))
    fields = form(exchange)
    assert_valid("token-request", fields)
    assert fields["grant_type"] == grant
    assert exchange.status == 200
    assert_valid("token-response", exchange.response_json())


def test_token_refused_is_an_oauth_error(sim):
    with make_client(sim, client_secret="wrong") as psb, pytest.raises(AuthenticationError):
        psb.fetch_token()
    exchange = token_exchange(sim)
    assert exchange.status in (400, 401)
    assert_valid("oauth-error", exchange.response_json())


def test_token_schema_refuses_what_the_contract_refuses():
    good = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "s", "scope": "ap"}
    assert_valid("token-request", good)
    assert_invalid("token-request", dict(good, scope="openid"))
    assert_invalid("token-request", dict(good, grant_type="password"))  # without username and password
    assert_invalid("token-request", dict(good, username="u", password="p"))  # a user's keys on the wrong grant
    assert_invalid("token-request", {k: v for k, v in good.items() if k != "client_secret"})
