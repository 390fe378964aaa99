"""When to try again: the one backoff policy of the PSB client and of the addon's queues.

What may be tried again is said by the error itself (:attr:`psb.errors.PSBError.retryable`); how long to wait
before the next try, and when to stop, is said here, once, by :class:`Backoff`, at two time scales:

* :data:`WITHIN_CALL`: the client, inside one call, while the caller waits: a busy or unreachable eConnect gets
  a few quick tries, seconds apart (and never beyond the call's retry budget);
* :data:`BETWEEN_RUNS`: the addon's queues (sending invoices, the event inbox, the invoice-response queue): an item
  whose try failed with a retryable error, or whose run was stopped under way, waits minutes to hours for a later
  run, and fails (an activity for a person) after its last try.
"""

import random
from datetime import timedelta

__all__ = ["BETWEEN_RUNS", "WITHIN_CALL", "Backoff"]


class Backoff:
    """Exponential backoff with jitter, for a bounded number of tries.

    The wait after the ``n``-th failed try is ``first * 2 ** (n - 1)`` seconds, at most ``cap``, drawn at random
    between half of it and all of it (items that failed together do not all come back together). After ``tries``
    tries there is no next one.
    """

    def __init__(self, first, cap, tries):
        self.first = float(first)
        self.cap = float(cap)
        self.tries = max(1, int(tries))

    def delay(self, failures):
        """Seconds to wait after ``failures`` failed tries (1 or more)."""
        delay = min(self.cap, self.first * 2 ** (max(1, failures) - 1))
        return random.uniform(delay / 2, delay)  # noqa: S311 (jitter, not cryptography)

    def exhausted(self, tries):
        """Whether ``tries`` tries are all there may be."""
        return tries >= self.tries

    def next_try(self, failures, now):
        """When to try again after ``failures`` failed tries, from ``now`` (a datetime); None after the last."""
        if self.exhausted(failures):
            return None
        return now + timedelta(seconds=self.delay(failures))

    def __repr__(self):
        return f"Backoff(first={self.first:g}, cap={self.cap:g}, tries={self.tries})"


#: Inside one client call: 0.5, 1 and 2 s between 4 tries (at most 8 s), within the call's retry budget.
WITHIN_CALL = Backoff(first=0.5, cap=8.0, tries=4)
#: Between runs of a queue: 1, 2, 4, ... 128 minutes, then 4 hours, for 12 tries: about 8 to 16 hours in all.
BETWEEN_RUNS = Backoff(first=60, cap=4 * 3600, tries=12)
