"""PSBClient error classes, retries, backoff bounds, Retry-After, TLS, and secrets kept out of logs.

Everything runs over real HTTP: the PSB simulator, plus (for answers the simulator cannot give,
such as non-JSON bodies or a bad TLS certificate) a tiny local server defined here.
"""

import datetime as dt
import email.utils
import http.server
import logging
import ssl
import threading
import time
import uuid

import pytest
from psb_support import BUYER, OWN, PERMISSIONS, FakeTime, invoice_xml

from psb import contract
from psb.client import PSBClient, parse_retry_after
from psb.errors import (
    AlreadySentError,
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    InvalidResponseError,
    NotFoundError,
    PSBError,
    RequestRejectedError,
    TemporaryError,
    TLSError,
)
from psb_simulator import PSBSimulator

OTHER = "0106:11112222"
XML = invoice_xml("INV-2")

CLIENT_SECRET = "client-SECRET-value-123"
PASSWORD = "user-PASSWORD-value-456"
SUBSCRIPTION_KEY = "subscription-KEY-value-789"
HOOK_SECRET = "hook-SECRET-value-000"


@pytest.fixture
def sim():
    with PSBSimulator() as simulator:
        simulator.add_client("cid", CLIENT_SECRET)
        simulator.add_user("user", PASSWORD, parties={OWN: dict(PERMISSIONS)})
        simulator.add_participant(BUYER, name="Buyer BV")
        yield simulator


@pytest.fixture
def fake_time():
    return FakeTime()


def make_client(sim, fake_time, **kwargs):
    options = {
        "client_id": "cid",
        "client_secret": CLIENT_SECRET,
        "username": "user",
        "password": PASSWORD,
        "sleep": fake_time.sleep,
        "clock": fake_time.clock,
    }
    options.update(kwargs)
    return PSBClient(sim.api_url, sim.identity_url, **options)


@pytest.fixture
def client(sim, fake_time):
    with make_client(sim, fake_time) as psb:
        psb.fetch_token()
        yield psb


def api_requests(sim, path_contains="/api/v1/"):
    return [r for r in sim.requests if path_contains in r.path]


# -- error classes from HTTP statuses --------------------------------------------------------------
def test_forbidden_for_a_party_not_ours(sim, client):
    with pytest.raises(ForbiddenError) as info:
        client.get_sent_status(OTHER, str(uuid.uuid4()))
    error = info.value
    assert error.kind == "forbidden"
    assert error.status == 403
    assert error.code == "API403"
    assert not error.retryable, "a party not ours stays not ours"
    assert isinstance(error, PSBError)


@pytest.mark.parametrize(
    ("status", "error_class", "kind"),
    [
        (400, RequestRejectedError, "rejected"),
        (402, ForbiddenError, "payment_required"),
        (403, ForbiddenError, "forbidden"),
        (404, NotFoundError, "not_found"),
        (409, RequestRejectedError, "rejected"),  # 409 is "already sent" only for sends
        (410, RequestRejectedError, "rejected"),
        (422, RequestRejectedError, "rejected"),
    ],
)
def test_status_mapping_is_not_retried(sim, client, fake_time, status, error_class, kind):
    sim.faults.fail_next(1, status=status, path_contains="/me/party")
    with pytest.raises(error_class) as info:
        client.get_my_parties()
    assert info.value.kind == kind
    assert info.value.status == status
    assert info.value.message
    assert len(api_requests(sim, "/me/party")) == 1
    assert fake_time.sleeps == []


def test_rejected_is_an_invalid_response_error(sim, client):
    sim.faults.fail_next(1, status=400, path_contains="/me/party")
    with pytest.raises(InvalidResponseError):
        client.get_my_parties()


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_temporary_statuses_are_retried_until_success(sim, client, fake_time, status):
    sim.faults.fail_next(2, status=status, path_contains="/me/party")
    assert client.get_my_parties()
    assert [r.status for r in api_requests(sim, "/me/party")] == [status, status, 200]
    assert len(fake_time.sleeps) == 2


def test_temporary_error_after_max_attempts(sim, fake_time):
    with make_client(sim, fake_time, max_attempts=3) as psb:
        sim.faults.fail_next(10, status=503, path_contains="/me/party")
        with pytest.raises(TemporaryError) as info:
            psb.get_my_parties()
    assert info.value.kind == "temporary"
    assert info.value.status == 503
    assert len(api_requests(sim, "/me/party")) == 3
    assert len(fake_time.sleeps) == 2


def test_backoff_is_exponential_with_jitter_and_bounded(sim, fake_time):
    with make_client(sim, fake_time, max_attempts=6, backoff_base=0.5, backoff_max=4.0, max_retry_seconds=100) as psb:
        sim.faults.fail_next(10, status=502, path_contains="/me/party")
        with pytest.raises(TemporaryError):
            psb.get_my_parties()
    assert len(fake_time.sleeps) == 5
    for attempt, delay in enumerate(fake_time.sleeps, start=1):
        nominal = min(4.0, 0.5 * 2 ** (attempt - 1))
        assert nominal / 2 <= delay <= nominal, (attempt, delay)


def test_total_retry_time_never_exceeds_budget(sim, fake_time):
    with make_client(sim, fake_time, max_attempts=50, backoff_base=1.0, backoff_max=8.0, max_retry_seconds=10) as psb:
        sim.faults.fail_next(100, status=503, path_contains="/me/party")
        started = fake_time.now
        with pytest.raises(TemporaryError) as info:
            psb.get_my_parties()
    assert sum(fake_time.sleeps) <= 10
    assert fake_time.now - started <= 10
    assert info.value.retry_after is not None  # what we would have waited next


def test_retry_after_is_honoured(sim, client, fake_time):
    sim.faults.rate_limit_next(1, retry_after=3, path_contains="/me/party")
    assert client.get_my_parties()
    assert fake_time.sleeps == [3]
    assert [r.status for r in api_requests(sim, "/me/party")] == [429, 200]


def test_retry_after_beyond_budget_gives_up_at_once(sim, fake_time):
    with make_client(sim, fake_time, max_retry_seconds=5) as psb:
        sim.faults.rate_limit_next(1, retry_after=60, path_contains="/me/party")
        with pytest.raises(TemporaryError) as info:
            psb.get_my_parties()
    assert info.value.status == 429
    assert info.value.retry_after == 60
    assert fake_time.sleeps == []
    assert len(api_requests(sim, "/me/party")) == 1


def test_parse_retry_after_seconds_and_http_date():
    now = dt.datetime(2025, 3, 14, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("5") == 5
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0
    later = email.utils.format_datetime(now + dt.timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(later, now=now) == 30
    earlier = email.utils.format_datetime(now - dt.timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0
    for bad in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(bad) is None


def test_dropped_connection_is_retried(sim, client, fake_time):
    sim.faults.drop_next(1, path_contains="/me/party")
    assert client.get_my_parties()
    assert len(fake_time.sleeps) == 1


def test_dropped_connections_exhaust_into_network_error(sim, fake_time):
    with make_client(sim, fake_time, max_attempts=2) as psb:
        sim.faults.drop_next(5, path_contains="/me/party")
        with pytest.raises(TemporaryError) as info:
            psb.get_my_parties()
    assert info.value.kind == "network"
    assert info.value.status is None


def test_read_timeout_is_temporary_and_retried(sim, fake_time):
    with make_client(sim, fake_time, timeout=(2, 0.3)) as psb:
        sim.faults.slow_next(1, seconds=1.0, path_contains="/me/party")
        assert psb.get_my_parties()
    assert len(fake_time.sleeps) == 1
    with make_client(sim, fake_time, timeout=(2, 0.3), max_attempts=1) as psb:
        sim.faults.slow_next(1, seconds=1.0, path_contains="/me/party")
        with pytest.raises(TemporaryError) as info:
            psb.get_my_parties()
    assert info.value.kind == "temporary"
    assert "Timeout" in info.value.message


def test_connection_refused_is_network_error(fake_time):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    psb = PSBClient(url, url, "c", "s", sleep=fake_time.sleep, clock=fake_time.clock, max_attempts=2)
    with psb, pytest.raises(TemporaryError) as info:
        psb.fetch_token()
    assert info.value.kind == "network"
    assert len(fake_time.sleeps) == 1


def test_token_endpoint_failures_are_retried(sim, fake_time):
    with make_client(sim, fake_time) as psb:
        sim.faults.fail_next(2, status=503, path_contains="/connect/token")
        assert psb.get_my_parties()
    assert len(fake_time.sleeps) == 2


def test_send_is_retried_and_lands_once(sim, client, fake_time):
    document_id = str(uuid.uuid4())
    sim.faults.fail_next(1, status=503, path_contains="/salesInvoice/send")
    sim.faults.drop_next(1, path_contains="/salesInvoice/send")
    assert client.send_invoice(OWN, XML, document_id)["id"] == document_id
    sends = api_requests(sim, "/salesInvoice/send")
    assert len(sends) == 3
    assert {r.document_id for r in sends} == {document_id}
    assert document_id in sim.sent_documents


def test_409_on_a_retried_send_means_the_first_attempt_landed(sim, fake_time):
    # The first attempt is processed, but its answer comes after our read timeout: the retry then
    # gets 409. That is still AlreadySentError, flagged as after a retry: the caller treats it as sent.
    def slow_sleep(seconds):
        fake_time.sleep(seconds)
        time.sleep(1.5)  # let the slow first attempt finish on the server

    with make_client(sim, fake_time, timeout=(2, 0.3), sleep=slow_sleep) as psb:
        document_id = str(uuid.uuid4())
        sim.faults.slow_next(1, seconds=0.8, path_contains="/salesInvoice/send")
        with pytest.raises(AlreadySentError) as info:
            psb.send_invoice(OWN, XML, document_id)
    assert info.value.after_retry is True
    assert info.value.status == 409
    assert document_id in sim.sent_documents


def test_invoice_response_is_retried_with_its_document_id(sim, client, fake_time):
    """With X-EConnect-DocumentId an invoice response is safe to repeat: temporary failures are retried within
    the budget, always with the same id, and eConnect keeps one."""
    document_id = sim.inject_incoming(OWN, XML)
    sim.faults.fail_next(2, status=503, path_contains="/response")
    client.send_invoice_response(OWN, document_id, "AB", response_document_id="r-1")
    posts = api_requests(sim, "/response")
    assert [r.status for r in posts] == [503, 503, 200]
    assert {r.headers.get("X-EConnect-DocumentId") for r in posts} == {"r-1"}
    assert len(fake_time.sleeps) == 2
    sim.faults.drop_next(1, path_contains="/response")
    client.send_invoice_response(OWN, document_id, "AP", response_document_id="r-2")
    assert [r.id for r in sim.invoice_responses] == ["r-1", "r-2"]
    sim.faults.fail_next(10, status=503, path_contains="/response")
    with pytest.raises(TemporaryError):
        client.send_invoice_response(OWN, document_id, "PD", response_document_id="r-3")
    assert [r.id for r in sim.invoice_responses] == ["r-1", "r-2"]


def test_a_hook_put_is_retried_and_stays_one_hook(sim, fake_time):
    # Every hook PUT carries the id we chose (add-or-update by id): a retry after a lost answer, or after a
    # temporary failure, updates the same hook instead of leaving a second one nobody knows the id of.
    def slow_sleep(seconds):
        fake_time.sleep(seconds)
        time.sleep(1.5)  # let the slow first attempt finish on the server

    hook = {"id": "0d1c3f0e9a7b4d5c8e2f1a3b5c7d9e0f", "name": "h", "action": "https://odoo.example/wh/t#s",
            "topics": ["*"]}
    with make_client(sim, fake_time, timeout=(2, 0.3), sleep=slow_sleep) as psb:
        psb.fetch_token()
        sim.faults.slow_next(1, seconds=0.8, path_contains="/hook")
        stored = psb.put_hook(OWN, hook)  # the first answer is lost (read timeout): retried
        assert stored["id"] == hook["id"]
        time.sleep(1)
        assert len(api_requests(sim, "/hook")) == 2
        assert [h.id for h in sim.hooks] == [hook["id"]]
        sim.faults.fail_next(1, status=503, path_contains="/hook")
        stored = psb.put_hook(OWN, dict(hook, name="renamed"))
        assert stored["id"] == hook["id"]
        assert [h.name for h in sim.hooks] == ["renamed"]
        assert len(api_requests(sim, "/hook")) == 4


def test_invoice_response_renews_token_on_401(sim, client):
    document_id = sim.inject_incoming(OWN, XML)
    sim.faults.expire_tokens()
    client.send_invoice_response(OWN, document_id, "AB", response_document_id="r-401")
    assert [r.status for r in api_requests(sim, "/response")][-1] in (200, 201, 202, 204)


def test_download_larger_than_limit(sim, client):
    big = XML.replace(b"<cbc:ID>INV-2</cbc:ID>", b"<cbc:ID>INV-2</cbc:ID><!--" + b"x" * 5000 + b"-->")
    document_id = sim.inject_incoming(OWN, big)
    with pytest.raises(InvalidResponseError) as info:
        client.download_purchase_invoice(OWN, document_id, max_bytes=1000)
    assert info.value.kind == "invalid_response"
    assert client.download_purchase_invoice(OWN, document_id, max_bytes=len(big)) == big


def test_not_found_on_sent_status_of_unknown_document(sim, client):
    with pytest.raises(NotFoundError):
        client.get_sent_status(OWN, str(uuid.uuid4()))


def test_authentication_error_for_refused_credentials(sim, fake_time):
    with make_client(sim, fake_time, password="wrong") as psb, pytest.raises(AuthenticationError) as info:
        psb.get_my_parties()
    assert info.value.kind == "authentication"
    assert fake_time.sleeps == []  # not retried


def test_configuration_errors_for_http_urls():
    with pytest.raises(ConfigurationError):
        PSBClient("http://psb.econnect.eu", "https://identity.econnect.eu", "c", "s")
    with pytest.raises(ConfigurationError):
        PSBClient.for_environment("acceptance", api_url="http://10.0.0.1", client_id="c", client_secret="s")


# -- answers the simulator cannot give: a tiny local server ----------------------------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    routes = {}
    seen = []

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        self.seen.append((self.command, path, body))
        if path == contract.TOKEN_PATH and path not in self.routes:
            status, headers, body = (
                200,
                {"Content-Type": "application/json"},
                (b'{"access_token": "tok-123", "expires_in": 3600, "token_type": "Bearer"}'),
            )
        else:
            status, headers, body = self.routes.get(path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def stub():
    handler = type("Handler", (_Handler,), {"routes": {}, "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.routes = handler.routes
    server.seen = handler.seen
    yield server
    server.shutdown()
    server.server_close()


def stub_client(stub, fake_time, **kwargs):
    return PSBClient(stub.url, stub.url, "c", "s", sleep=fake_time.sleep, clock=fake_time.clock, **kwargs)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html>maintenance</html>", "text/html"),
        (b"{not json", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
    ],
)
def test_non_json_where_json_is_due(stub, fake_time, body, content_type):
    stub.routes[contract.PATH_ME_PARTY] = (200, {"Content-Type": content_type}, body)
    with stub_client(stub, fake_time) as psb, pytest.raises(InvalidResponseError) as info:
        psb.get_my_parties()
    assert info.value.kind == "invalid_response"
    assert info.value.status == 200
    assert fake_time.sleeps == []


@pytest.mark.parametrize("body", [b'{"id": "x"}', b'"text"', b"42"])
def test_wrong_shape(stub, fake_time, body):
    stub.routes[contract.PATH_ME_PARTY] = (200, {"Content-Type": "application/json"}, body)
    with stub_client(stub, fake_time) as psb, pytest.raises(InvalidResponseError):
        psb.get_my_parties()


@pytest.mark.parametrize(
    "body", [b'{"token_type": "Bearer"}', b'{"access_token": ""}', b'{"access_token": 5}', b"[]", b""]
)
def test_token_answer_without_access_token(stub, fake_time, body):
    stub.routes[contract.TOKEN_PATH] = (200, {"Content-Type": "application/json"}, body)
    with stub_client(stub, fake_time) as psb, pytest.raises(InvalidResponseError):
        psb.fetch_token()


@pytest.mark.parametrize(
    ("status", "body", "error_class"),
    [
        (400, b'{"error": "invalid_grant"}', AuthenticationError),
        (400, b'{"error": "invalid_client"}', AuthenticationError),
        (401, b"", AuthenticationError),
        (400, b'{"error": "unsupported_grant_type"}', RequestRejectedError),
        (404, b"", ConfigurationError),
        (503, b"", TemporaryError),
    ],
)
def test_token_endpoint_error_mapping(stub, fake_time, status, body, error_class):
    stub.routes[contract.TOKEN_PATH] = (status, {"Content-Type": "application/json"}, body)
    with stub_client(stub, fake_time, max_attempts=1) as psb, pytest.raises(error_class):
        psb.fetch_token()


def test_redirects_are_not_followed(stub, fake_time):
    stub.routes[contract.PATH_ME_PARTY] = (302, {"Location": "http://evil.example/steal"}, b"")
    with stub_client(stub, fake_time) as psb, pytest.raises(InvalidResponseError) as info:
        psb.get_my_parties()
    assert info.value.status == 302


def test_error_body_fields_are_carried(stub, fake_time):
    stub.routes[contract.PATH_ME_PARTY] = (
        403,
        {"Content-Type": "application/json"},
        b'{"helpLink": "https://help.example/403", "message": "Party not authorised", "code": "API403",'
        b' "requestId": "req-42", "dateTime": "2025-03-14T12:00:00Z"}',
    )
    with stub_client(stub, fake_time) as psb, pytest.raises(ForbiddenError) as info:
        psb.get_my_parties()
    error = info.value
    assert (error.status, error.code, error.request_id, error.help_link) == (
        403,
        "API403",
        "req-42",
        "https://help.example/403",
    )
    assert error.message == "Party not authorised"
    assert "req-42" in str(error)


def test_authentication_errors_carry_what_econnect_said(stub, fake_time):
    # The API keeps refusing the token (also after one renewal): eConnect's code, message and request id
    # are on the error, to quote to eConnect support.
    stub.routes[contract.PATH_ME_PARTY] = (
        401,
        {"Content-Type": "application/json"},
        b'{"message": "The user is blocked", "code": "API401", "requestId": "req-401"}',
    )
    with stub_client(stub, fake_time) as psb, pytest.raises(AuthenticationError) as info:
        psb.get_my_parties()
    assert (info.value.status, info.value.code, info.value.request_id) == (401, "API401", "req-401")
    assert "The user is blocked" in info.value.message
    assert "req-401" in str(info.value)
    # The identity server's OAuth2 answer: its error code and description.
    stub.routes[contract.TOKEN_PATH] = (
        400,
        {"Content-Type": "application/json"},
        b'{"error": "invalid_grant", "error_description": "invalid_username_or_password"}',
    )
    with stub_client(stub, fake_time) as psb, pytest.raises(AuthenticationError) as info:
        psb.fetch_token()
    assert info.value.code == "invalid_grant"
    assert "invalid_username_or_password" in info.value.message
    assert info.value.kind == "authentication"
    assert info.value.retryable and not info.value.transient, "an administrator fixes the keys, then it goes through"


def test_api404_code_maps_to_not_found_whatever_the_status(stub, fake_time):
    stub.routes[contract.PATH_ME_PARTY] = (400, {}, b'{"code": "API404", "message": "Not on Peppol"}')
    with stub_client(stub, fake_time) as psb, pytest.raises(NotFoundError):
        psb.get_my_parties()


def test_retry_after_http_date_from_server(stub, fake_time):
    when = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120), usegmt=True)
    stub.routes[contract.PATH_ME_PARTY] = (503, {"Retry-After": when}, b"")
    with stub_client(stub, fake_time, max_retry_seconds=20) as psb, pytest.raises(TemporaryError) as info:
        psb.get_my_parties()
    assert 100 <= info.value.retry_after <= 120
    assert fake_time.sleeps == []


def test_send_answer_without_json_still_counts_as_sent(stub, fake_time):
    path = contract.PATH_SEND_INVOICE.format(party="NL%3AKVK%3A12345678")
    stub.routes[path] = (200, {"Content-Type": "text/plain"}, b"OK")
    with stub_client(stub, fake_time) as psb:
        assert psb.send_invoice(OWN, XML, "doc-1") == {"id": "doc-1"}


# -- TLS -------------------------------------------------------------------------------------------
def _self_signed_cert(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.backends import default_backend
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048, backend=default_backend())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256(), default_backend())
    )
    cert_file = tmp_path / "cert.pem"
    key_file = tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_untrusted_certificate_is_tls_error_and_not_retried(tmp_path, fake_time, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    cert_file, key_file = _self_signed_cert(tmp_path)
    connections = []

    class Handler(_Handler):
        routes = {}

        def setup(self):
            connections.append(1)
            super().setup()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"https://localhost:{server.server_address[1]}"
        psb = PSBClient(url, url, "c", "s", sleep=fake_time.sleep, clock=fake_time.clock)
        with psb, pytest.raises(TLSError) as info:
            psb.fetch_token()
    finally:
        server.shutdown()
        server.server_close()
    error = info.value
    assert error.kind == "tls"
    assert not isinstance(error, TemporaryError)
    assert fake_time.sleeps == []
    assert not error.retryable, "a certificate that cannot be verified needs a person (or is an attack)"


# -- secrets never logged --------------------------------------------------------------------------
def test_secrets_never_appear_in_logs_or_errors(sim, fake_time, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger="psb")
    errors = []
    tokens = []
    with make_client(sim, fake_time, subscription_key=SUBSCRIPTION_KEY) as psb:
        tokens.append(psb.fetch_token())
        psb.get_my_parties()
        sim.faults.expire_tokens()
        psb.get_my_parties()  # 401, renewal, retry
        tokens.append(psb._token)
        document_id = str(uuid.uuid4())
        sim.faults.fail_next(1, status=503, path_contains="/salesInvoice/send")
        psb.send_invoice(OWN, XML, document_id, receiver_id=BUYER, channel="peppol")
        psb.put_hook(
            OWN, {"id": "h1", "name": "h", "action": f"https://odoo.example/wh/t#{HOOK_SECRET}", "topics": ["*"]}
        )
        sim.faults.fail_next(2, status=401, path_contains="/me/party")
        for call in (
            psb.get_my_parties,
            lambda: psb.send_invoice(OWN, XML, document_id),
            lambda: psb.get_sent_status(OTHER, document_id),
        ):
            try:
                call()
            except PSBError as exc:
                errors.append(exc)
    with make_client(sim, fake_time, password="wrong-" + PASSWORD) as psb:
        try:
            psb.get_my_parties()
        except PSBError as exc:
            errors.append(exc)
    assert len(errors) == 4
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    assert any(r.name.startswith("psb") for r in caplog.records)
    text = caplog.text + "\n".join(f"{e!s} {e!r} {e.message}" for e in errors)
    for secret in (CLIENT_SECRET, PASSWORD, SUBSCRIPTION_KEY, HOOK_SECRET, *tokens):
        assert secret
        assert secret not in text
    assert "Bearer" not in text
    assert "Authorization" not in text


def test_set_receiving_for_a_party_without_configuration(stub, fake_time):
    path = contract.PATH_PEPPOL_CONFIG.format(party="NL%3AKVK%3A12345678")
    stub.routes[path] = (404, {"Content-Type": "application/json"}, b'{"code": "API404"}')
    with stub_client(stub, fake_time) as psb:
        assert psb.set_receiving(OWN, False) == {}  # nothing to switch off
        assert [m for m, p, _ in stub.seen if p == path] == ["GET"]
        with pytest.raises(NotFoundError):  # the stub answers 404 to the PUT as well
            psb.set_receiving(OWN, True)
    put = [b for m, p, b in stub.seen if m == "PUT"]
    assert put == [b'{"capabilities": {"invoices": {"state": "on"}}}']
    assert not [m for m, _, _ in stub.seen if m == "DELETE"]


def test_huge_error_body_is_cut_off(stub, fake_time):
    path = contract.PATH_DOWNLOAD_PURCHASE.format(party="NL%3AKVK%3A12345678", document="doc-1")
    stub.routes[path] = (400, {"Content-Type": "application/json"}, b'{"message": "' + b"x" * 300_000 + b'"}')
    with stub_client(stub, fake_time) as psb, pytest.raises(RequestRejectedError) as info:
        psb.download_purchase_invoice(OWN, "doc-1")
    assert len(info.value.message) < 1000


# -- the error classes themselves ---------------------------------------------------------------
KINDS = {
    AuthenticationError: "authentication",
    ForbiddenError: "forbidden",
    NotFoundError: "not_found",
    AlreadySentError: "already_sent",
    TemporaryError: "temporary",
    TLSError: "tls",
    InvalidResponseError: "invalid_response",
    RequestRejectedError: "rejected",
    ConfigurationError: "configuration",
}


@pytest.mark.parametrize(("error_class", "kind"), KINDS.items())
def test_error_classes(error_class, kind):
    error = error_class("technical text", status=500, code="C1", request_id="r1", help_link="h")
    assert isinstance(error, PSBError)
    assert error.kind == kind
    assert (error.status, error.code, error.request_id, error.help_link) == (500, "C1", "r1", "h")
    assert error.message == "technical text"
    assert "technical text" in str(error)
    assert "r1" in str(error)
    assert kind in repr(error)


def test_error_details():
    assert TemporaryError("x").retry_after is None
    assert TemporaryError("x", retry_after=3).retry_after == 3
    assert TemporaryError("x", kind="network").kind == "network"
    assert ForbiddenError("x", kind="payment_required").retryable, "the balance is topped up once for every document"
    assert not ForbiddenError("x").retryable
    assert not issubclass(TLSError, TemporaryError)
    assert issubclass(RequestRejectedError, InvalidResponseError)
    assert str(PSBError()) == "eConnect error (error)"
    assert PSBError(status=None).status is None
