"""Switchable faults: make the next requests fail, rate-limit, stall, drop, or lose their answer.

Each switch arms a rule for the next ``n`` requests whose path contains ``path_contains``
(``None`` = any path, the token endpoint included). A request consumes at most one *slow* rule
(it is delayed, then handled normally or by another rule) and at most one *terminal* rule
(fail / rate limit / drop), earliest armed first. The control API (``/_sim/...``) is never
affected.
"""

import threading
from dataclasses import dataclass, field

SLOW = "slow"
FAIL = "fail"
RATE_LIMIT = "rate_limit"
DROP = "drop"
LOSE_ANSWER = "lose_answer"
KINDS = (SLOW, FAIL, RATE_LIMIT, DROP, LOSE_ANSWER)


@dataclass
class FaultRule:
    kind: str
    remaining: int
    path_contains: str | None = None
    status: int = 503
    retry_after: float = 1
    seconds: float = 0.0

    def matches(self, path):
        return self.remaining > 0 and (self.path_contains is None or self.path_contains in path)

    def as_dict(self):
        return {
            "kind": self.kind,
            "remaining": self.remaining,
            "pathContains": self.path_contains,
            "status": self.status,
            "retryAfter": self.retry_after,
            "seconds": self.seconds,
        }


@dataclass
class FaultDecision:
    """What the server must do to one request: sleep ``delay`` seconds, then apply ``rule`` (or not)."""

    delay: float = 0.0
    rule: FaultRule | None = None
    matched: list = field(default_factory=list)


class Faults:
    """Thread-safe set of armed fault rules (``sim.faults``)."""

    def __init__(self, on_expire_tokens=None):
        self._lock = threading.Lock()
        self._rules = []
        self._on_expire_tokens = on_expire_tokens

    def _arm(self, rule):
        if rule.remaining < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            self._rules.append(rule)
        return rule

    def fail_next(self, n=1, status=503, path_contains=None):
        """Answer the next ``n`` matching requests with ``status`` and an eConnect error body."""
        return self._arm(FaultRule(FAIL, int(n), path_contains, status=int(status)))

    def rate_limit_next(self, n=1, retry_after=1, path_contains=None):
        """Answer the next ``n`` matching requests with 429 and ``Retry-After: retry_after``."""
        return self._arm(FaultRule(RATE_LIMIT, int(n), path_contains, status=429, retry_after=retry_after))

    def slow_next(self, n=1, seconds=2.0, path_contains=None):
        """Delay the next ``n`` matching requests by ``seconds`` before handling them."""
        return self._arm(FaultRule(SLOW, int(n), path_contains, seconds=float(seconds)))

    def drop_next(self, n=1, path_contains=None):
        """Close the connection of the next ``n`` matching requests without any response."""
        return self._arm(FaultRule(DROP, int(n), path_contains))

    def lose_answer_next(self, n=1, path_contains=None):
        """Handle the next ``n`` matching requests as usual, then close the connection without answering:
        the call took effect at the PSB, but the client never learns it (a dropped line, a caller that died)."""
        return self._arm(FaultRule(LOSE_ANSWER, int(n), path_contains))

    def expire_tokens(self):
        """Every access token issued so far is refused (401) from now on."""
        if self._on_expire_tokens is not None:
            self._on_expire_tokens()

    def clear(self):
        """Disarm every pending rule."""
        with self._lock:
            self._rules.clear()

    @property
    def pending(self):
        """Snapshot of the armed rules that still have requests left."""
        with self._lock:
            return [FaultRule(**vars(r)) for r in self._rules if r.remaining > 0]

    def arm(self, kind, n=1, path_contains=None, **params):
        """Generic entry point (used by the control API)."""
        if kind == FAIL:
            return self.fail_next(n, status=params.get("status", 503), path_contains=path_contains)
        if kind == RATE_LIMIT:
            return self.rate_limit_next(n, retry_after=params.get("retry_after", 1), path_contains=path_contains)
        if kind == SLOW:
            return self.slow_next(n, seconds=params.get("seconds", 2.0), path_contains=path_contains)
        if kind == DROP:
            return self.drop_next(n, path_contains=path_contains)
        if kind == LOSE_ANSWER:
            return self.lose_answer_next(n, path_contains=path_contains)
        raise ValueError("unknown fault kind %r (expected one of %s)" % (kind, ", ".join(KINDS)))

    def decide(self, *paths):
        """Consume the rules that apply to a request whose path (raw and/or decoded) is given."""
        decision = FaultDecision()
        with self._lock:
            slow = terminal = None
            for rule in self._rules:
                if not any(rule.matches(p) for p in paths):
                    continue
                if rule.kind == SLOW:
                    slow = slow or rule
                else:
                    terminal = terminal or rule
                if slow and terminal:
                    break
            for rule in (slow, terminal):
                if rule is not None:
                    rule.remaining -= 1
                    decision.matched.append(rule)
            if slow is not None:
                decision.delay = slow.seconds
            decision.rule = terminal
            self._rules = [r for r in self._rules if r.remaining > 0]
        return decision
