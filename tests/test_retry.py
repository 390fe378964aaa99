"""The one definition of what is tried again (``PSBError.retryable``) and the one backoff policy (``psb.retry``),
used by the client inside a call and by the addon's queues between runs."""

import datetime as dt

import pytest

from psb import retry
from psb.errors import (
    RETRYABLE_KINDS,
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
from psb.retry import BETWEEN_RUNS, WITHIN_CALL, Backoff

# (error, retryable, transient): what every place that retries decides
CASES = [
    (TemporaryError("503"), True, True),
    (TemporaryError("reset", kind="network"), True, True),
    (AuthenticationError("invalid_client"), True, False),
    (ForbiddenError("402", kind="payment_required"), True, False),
    (ForbiddenError("403"), False, False),
    (NotFoundError("404"), False, False),
    (AlreadySentError("409"), False, False),
    (TLSError("certificate"), False, False),
    (InvalidResponseError("not JSON"), False, False),
    (RequestRejectedError("400"), False, False),
    (ConfigurationError("no URL"), False, False),
    (PSBError("other"), False, False),
]


@pytest.mark.parametrize(("error", "retryable", "transient"), CASES, ids=[c[0].kind for c in CASES])
def test_one_definition_of_retryable(error, retryable, transient):
    assert error.retryable is retryable
    assert error.transient is transient
    assert not transient or retryable, "what the client retries inside a call, the queues retry too"


def test_retryable_kinds_are_kinds_the_client_raises():
    raised = {error.kind for error, _retryable, _transient in CASES}
    assert raised >= RETRYABLE_KINDS


def test_backoff_doubles_with_jitter_up_to_its_cap():
    policy = Backoff(first=60, cap=600, tries=10)
    for failures in range(1, 10):
        nominal = min(600, 60 * 2 ** (failures - 1))
        for _draw in range(20):
            assert nominal / 2 <= policy.delay(failures) <= nominal, failures


def test_backoff_stops_after_its_last_try():
    policy = Backoff(first=1, cap=4, tries=3)
    now = dt.datetime(2026, 1, 1, 12, 0)
    assert not policy.exhausted(2)
    assert policy.exhausted(3)
    assert policy.next_try(3, now) is None
    later = policy.next_try(2, now)
    assert now + dt.timedelta(seconds=1) <= later <= now + dt.timedelta(seconds=2)


def test_the_two_time_scales_of_the_one_policy():
    assert isinstance(WITHIN_CALL, Backoff) and isinstance(BETWEEN_RUNS, Backoff)
    # inside a call the caller waits: seconds; between runs an outage of a working day is survived
    assert WITHIN_CALL.cap <= 10
    total = sum(min(BETWEEN_RUNS.cap, BETWEEN_RUNS.first * 2 ** (n - 1)) for n in range(1, BETWEEN_RUNS.tries))
    assert 8 * 3600 <= total <= 24 * 3600
    assert retry.__all__ == ["BETWEEN_RUNS", "WITHIN_CALL", "Backoff"]
