"""Webhook signature, time window and event parsing."""

import datetime as dt
import hashlib
import hmac
import json

import pytest

from psb import webhook
from psb.webhook import (
    SIGNATURE_HEADER,
    BadSignature,
    InvalidEvent,
    StaleEvent,
    WebhookError,
    WebhookEvent,
    check_sent_on,
    parse_event,
    parse_timestamp,
    sign_body,
    verify_event,
    verify_signature,
)

SECRET = "s3cr3t-webhook"
NOW = dt.datetime(2025, 3, 14, 12, 0, 0, tzinfo=dt.UTC)


def make_body(**overrides):
    event = {
        "topic": "InvoiceReceived",
        "partyId": "NL:KVK:12345678",
        "hookId": "hook-1",
        "documentId": "0b6f1d2e-1111-4a4a-9999-222233334444",
        "message": "Invoice received",
        "details": {
            "sender": "NL:KVK:87654321",
            "recipient": "NL:KVK:12345678",
            "sourceDocumentTypeId": "urn:x##y",
            "targetDocumentTypeId": "urn:x##y",
            "attempt": 1,
        },
        "createdOn": "2025-03-14T11:59:58.1234567Z",
        "sentOn": "2025-03-14T11:59:59.1234567Z",
    }
    event.update(overrides)
    return json.dumps(event).encode("utf-8")


# -- signatures ---------------------------------------------------------------------------------
def test_header_name():
    assert SIGNATURE_HEADER == "X-EConnect-Signature"


def test_sign_body_matches_reference_hmac():
    body = make_body()
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign_body(SECRET, body) == "sha256=" + expected
    assert sign_body(SECRET, body) == sign_body(SECRET.encode(), body)
    assert expected == expected.lower()


def test_good_signature():
    body = make_body()
    assert verify_signature(SECRET, body, sign_body(SECRET, body))
    # lenient on case and surrounding blanks
    assert verify_signature(SECRET, body, "  " + sign_body(SECRET, body).upper() + " ")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "sha256",
        "sha256=",
        "sha256=xyz",
        "sha256=" + "0" * 63,
        "sha256=" + "g" * 64,
        "md5=" + "0" * 32,
        "sha1=" + "0" * 40,
        "sha512=" + "0" * 128,
        "0" * 64,
    ],
)
def test_missing_or_malformed_signature(header):
    assert not verify_signature(SECRET, make_body(), header)


def test_wrong_signature():
    body = make_body()
    assert not verify_signature("other-secret", body, sign_body(SECRET, body))
    assert not verify_signature(SECRET, body + b" ", sign_body(SECRET, body))
    assert not verify_signature("", body, sign_body("", body))  # no secret configured: never valid


def test_signature_reasons():
    body = make_body()
    cases = {
        None: "missing",
        "sha256=zz": "malformed",
        "nonsense": "malformed",
        "sha1=" + "0" * 40: "algorithm",
        sign_body("other", body): "mismatch",
    }
    for header, reason in cases.items():
        with pytest.raises(BadSignature) as info:
            verify_event(SECRET, body, header, now=NOW)
        assert info.value.reason == reason
        assert isinstance(info.value, WebhookError)
    with pytest.raises(BadSignature) as info:
        verify_event("", body, sign_body("", body), now=NOW)
    assert info.value.reason == "no_secret"


def test_signature_uses_constant_time_compare(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhook.hmac, "compare_digest", spy)
    body = make_body()
    assert verify_signature(SECRET, body, sign_body(SECRET, body))
    assert calls


# -- timestamps ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-14T12:00:00Z", NOW),
        ("2025-03-14T12:00:00z", NOW),
        ("2025-03-14T12:00:00+00:00", NOW),
        ("2025-03-14T14:00:00+02:00", NOW),
        ("2025-03-14T14:00:00+0200", NOW),
        ("2025-03-14T14:00:00+02", NOW),
        ("2025-03-14T07:00:00-05:00", NOW),
        ("2025-03-14T12:00:00", NOW),  # naive = UTC
        ("2025-03-14 12:00:00", NOW),
        ("2025-03-14T12:00", NOW),
        ("2025-03-14T12:00:00.5Z", NOW.replace(microsecond=500000)),
        ("2025-03-14T12:00:00.123Z", NOW.replace(microsecond=123000)),
        ("2025-03-14T12:00:00.123456Z", NOW.replace(microsecond=123456)),
        ("2025-03-14T12:00:00.1234567Z", NOW.replace(microsecond=123456)),  # .NET: 7 digits
        ("2025-03-14T14:00:00.1234567+02:00", NOW.replace(microsecond=123456)),
        ("2025-03-14T12:00:00.1234567", NOW.replace(microsecond=123456)),
        ("2025-03-14T12:00:00,5Z", NOW.replace(microsecond=500000)),
        (NOW.timestamp(), NOW),
        (int(NOW.timestamp()), NOW),
        (NOW.replace(tzinfo=None), NOW),
        (NOW.astimezone(dt.timezone(dt.timedelta(hours=5))), NOW),
    ],
)
def test_timestamp_formats(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2025-13-01T00:00:00Z", "2025-03-14", "14/03/2025 12:00", True]
)
def test_bad_timestamps(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)


# -- time window --------------------------------------------------------------------------------
def test_fresh_event_passes_and_edges():
    check_sent_on(NOW, now=NOW)
    check_sent_on(NOW - dt.timedelta(seconds=300), now=NOW)
    check_sent_on(NOW + dt.timedelta(seconds=300), now=NOW)
    check_sent_on("2025-03-14T11:56:00Z", now=NOW)


def test_stale_past_and_future():
    with pytest.raises(StaleEvent) as info:
        check_sent_on(NOW - dt.timedelta(seconds=301), now=NOW)
    assert info.value.reason == "past"
    with pytest.raises(StaleEvent) as info:
        check_sent_on(NOW + dt.timedelta(seconds=301), now=NOW)
    assert info.value.reason == "future"
    with pytest.raises(StaleEvent):
        check_sent_on(NOW - dt.timedelta(seconds=61), now=NOW, window_seconds=60)


def test_stale_checks_an_event_and_missing_sent_on():
    event = parse_event(make_body())
    check_sent_on(event, now=NOW)
    with pytest.raises(StaleEvent) as info:
        check_sent_on(event, now=NOW + dt.timedelta(hours=1))
    assert info.value.reason == "past"
    with pytest.raises(StaleEvent) as info:
        check_sent_on(WebhookEvent(topic="InvoiceSent"), now=NOW)
    assert info.value.reason == "missing"


def test_check_sent_on_defaults_to_current_time():
    check_sent_on(dt.datetime.now(dt.UTC))
    with pytest.raises(StaleEvent):
        check_sent_on(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))


# -- parsing ------------------------------------------------------------------------------------
def test_parse_event_fields():
    body = make_body(topic="InvoiceResponseReceived", responseDocumentId="resp-1")
    event = parse_event(body)
    assert event.topic == "InvoiceResponseReceived"
    assert event.party_id == "NL:KVK:12345678"
    assert event.hook_id == "hook-1"
    assert event.document_id == "0b6f1d2e-1111-4a4a-9999-222233334444"
    assert event.message == "Invoice received"
    assert event.details["attempt"] == 1
    assert event.created_on == dt.datetime(2025, 3, 14, 11, 59, 58, 123456, tzinfo=dt.UTC)
    assert event.sent_on == dt.datetime(2025, 3, 14, 11, 59, 59, 123456, tzinfo=dt.UTC)
    assert event.response_document_id == "resp-1"
    assert event.raw == json.loads(body)


def test_parse_event_minimal_and_nulls():
    event = parse_event(b'{"topic": "InvoiceSent", "details": null, "documentId": null}')
    assert event.topic == "InvoiceSent"
    assert event.details == {}
    assert event.document_id is None
    assert event.sent_on is None
    assert event.response_document_id is None
    assert event.ref_to_document_id is None


def test_parse_event_old_response_shape():
    """The old docs' InvoiceResponseReceived: documentId is the response, refToDocumentId our invoice, details the
    answer with lower-case codes and null texts (an object, not text)."""
    body = make_body(
        topic="InvoiceResponseReceived",
        documentId="resp-2",
        refToDocumentId="inv-2",
        details={
            "note": None, "statusCode": "re", "status": "Reject", "reasons": {"ref": "x"}, "actions": {"nin": None},
        },
    )
    event = parse_event(body)
    assert (event.document_id, event.ref_to_document_id, event.response_document_id) == ("resp-2", "inv-2", None)
    assert event.details["reasons"] == {"ref": "x"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "json"),
        (b"not json", "json"),
        (b"\xff\xfe", "json"),
        (b"[]", "shape"),
        (b'"InvoiceSent"', "shape"),
        (b"{}", "topic"),
        (b'{"topic": ""}', "topic"),
        (b'{"topic": 5}', "topic"),
        (b'{"topic": "InvoiceSent", "sentOn": "soon"}', "timestamp"),
        (b'{"topic": "InvoiceSent", "details": []}', "field"),
        (b'{"topic": "InvoiceSent", "documentId": {"a": 1}}', "field"),
    ],
)
def test_parse_event_invalid(body, reason):
    with pytest.raises(InvalidEvent) as info:
        parse_event(body)
    assert info.value.reason == reason


# -- all checks together ------------------------------------------------------------------------
def test_verify_event_good():
    body = make_body()
    event = verify_event(SECRET, body, sign_body(SECRET, body), now=NOW)
    assert event.topic == "InvoiceReceived"


def test_verify_event_checks_signature_before_parsing():
    body = b"not json at all"
    with pytest.raises(BadSignature):
        verify_event(SECRET, body, "sha256=" + "0" * 64, now=NOW)
    with pytest.raises(InvalidEvent):
        verify_event(SECRET, body, sign_body(SECRET, body), now=NOW)


def test_verify_event_stale_and_missing_sent_on():
    body = make_body(sentOn="2025-03-14T11:00:00Z")
    with pytest.raises(StaleEvent) as info:
        verify_event(SECRET, body, sign_body(SECRET, body), now=NOW)
    assert info.value.reason == "past"
    body = make_body(sentOn="2025-03-14T12:10:00+00:00")
    with pytest.raises(StaleEvent) as info:
        verify_event(SECRET, body, sign_body(SECRET, body), now=NOW)
    assert info.value.reason == "future"
    body = make_body(sentOn=None)
    with pytest.raises(StaleEvent) as info:
        verify_event(SECRET, body, sign_body(SECRET, body), now=NOW)
    assert info.value.reason == "missing"


def test_verify_event_rejects_tampered_body():
    body = make_body()
    signature = sign_body(SECRET, body)
    tampered = body.replace(b"hook-1", b"hook-2")
    with pytest.raises(BadSignature) as info:
        verify_event(SECRET, tampered, signature, now=NOW)
    assert info.value.reason == "mismatch"


# ---------------------------------------------------------------------------------------------
# Signed but malformed: every one is an InvalidEvent (a 400), never another exception (a 500)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [1e300, -1e300, 10**400, "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", float("inf")],
)
def test_timestamps_out_of_range_are_value_errors(value):
    with pytest.raises(ValueError):
        parse_timestamp(value)


@pytest.mark.parametrize(
    "body, reason",
    [
        (make_body(sentOn=1e300), "timestamp"),
        (make_body(sentOn="9999-12-31T23:59:59-05:00"), "timestamp"),
        (make_body(createdOn="0001-01-01T00:00:00+01:00"), "timestamp"),
        (make_body(topic="Invoice\u0000Received"), "text"),
        (make_body(documentId="doc\u0000"), "text"),
        (make_body(details={"se\u0000nder": "x"}), "text"),
        (make_body(message="\ud800"), "text"),
        (make_body(details={"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}), "nesting"),
        (make_body()[:-1] + b', "deep": ' + b"[" * 50000 + b"]" * 50000 + b"}", "nesting"),
        (make_body()[:-1] + b', "n": NaN}', "json"),
        (make_body()[:-1] + b', "n": Infinity}', "json"),
    ],
    ids=[
        "sentOn-1e300", "sentOn-year-10000", "createdOn-year-0", "nul-topic", "nul-document", "nul-key",
        "surrogate", "nested-35", "nested-50000", "nan", "infinity",
    ],
)
def test_malformed_events_are_invalid_events(body, reason):
    with pytest.raises(InvalidEvent) as error:
        event = parse_event(body)
        check_sent_on(event, now=NOW)
    assert error.value.reason == reason


def test_flat_events_with_ordinary_nesting_pass():
    event = parse_event(make_body(details={"a": {"b": [1, 2, {"c": "d"}]}}))
    assert event.details["a"]["b"][2] == {"c": "d"}


@pytest.mark.parametrize(
    "url, problem, on_loopback",
    [
        ("https://odoo.example.com", None, None),
        ("https://erp.acme.nl:8443/odoo", None, None),
        ("https://8.8.8.8", None, None),
        ("http://erp.acme.nl", "not_https", "not_https"),
        ("http://localhost:8069", "not_public", None),
        ("https://127.0.0.1", "not_public", None),
        ("http://[::1]:8069", "not_public", None),
        ("https://odoo.localhost", "not_public", None),
        ("https://10.0.0.5", "not_public", "not_public"),
        ("https://192.168.1.20", "not_public", "not_public"),
        ("https://[fe80::1]", "not_public", "not_public"),
        ("https://odoo", "not_public", "not_public"),
        ("https://odoo.company.local", "not_public", "not_public"),
        ("https://odoo.home.arpa", "not_public", "not_public"),
        ("ftp://erp.acme.nl", "invalid", "invalid"),
        ("https://", "invalid", "invalid"),
        ("https://erp.acme.nl:99999", "invalid", "invalid"),
        ("", "invalid", "invalid"),
        (None, "invalid", "invalid"),
    ],
)
def test_webhook_address_problem(url, problem, on_loopback):
    assert webhook.webhook_address_problem(url) == problem
    assert webhook.webhook_address_problem(url, loopback_allowed=True) == on_loopback
