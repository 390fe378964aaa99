"""The one mechanism of the addon's work queues: the send queue (``account.move``), the event inbox
(``econnect.event``), the invoice-response queue (``econnect.invoice.response``) and the notification queue
(``econnect.notification``).

Every queue works the same way:

* **claim**: the due rows are locked with ``FOR UPDATE SKIP LOCKED``: a row another run holds is skipped, never
  waited for and never done twice;
* **lease**: before any work, the claim writes the try on the row (its counter, and a next try far enough ahead
  that no other run takes it meanwhile) and commits: a run that is stopped under way (time or memory limit,
  SIGKILL) has used a try like any failure, and the row comes back after its lease instead of blocking the rows
  behind it (the notification queue has no lease: its rows are mailed and deleted in one transaction);
* **time budget**: a run works through batches until the cron's time limit nears (``tools/budget.py``);
* **re-trigger**: while due rows remain, the cron is triggered again at once (a fresh job, with a fresh budget);
  when none is due but some wait (a retry's backoff, or the lease of a run that was killed), it is triggered for
  the earliest of them, not left to its next regular run (:func:`work_through`; the notification queue is mailed
  in one pass at the end of the run that filled it).

What is tried again is decided by the error (``psb.errors.PSBError.retryable``), when by ``psb/retry.py``.

The commit guard (:func:`commit`) is the one place that decides whether the addon may commit.
"""

import datetime

from odoo import fields

from .budget import Budget, retrigger

# the shortest lease (the estimate of when a run started may be early)
MIN_LEASE = datetime.timedelta(minutes=1)


def commit(env):
    """Commit where a remote side effect follows or just happened (the exactly-once protocol), like Odoo's own
    sending flow does; never under tests (there the test's transaction, and a savepoint per item, stand in)."""
    if env["account.move.send"]._can_commit():
        env.cr.commit()  # pylint: disable=invalid-commit


def claim(records, due_sql="TRUE", params=(), lease=None):
    """Lock those of ``records`` that are still due (``due_sql``: a condition on their table's columns, with
    ``params``), skipping rows another transaction holds. With ``lease`` (a function of the claimed records), write
    the lease and commit before returning. Returns the claimed records, in the order of ``records``."""
    if not records.ids:
        return records.browse()
    records.flush_model()
    records.env.cr.execute(
        f"SELECT id FROM {records._table} WHERE id IN %s AND ({due_sql}) FOR UPDATE SKIP LOCKED",  # noqa: S608
        [tuple(records.ids), *params],
    )
    locked = {row[0] for row in records.env.cr.fetchall()}
    claimed = records.browse([record_id for record_id in records.ids if record_id in locked])
    if lease is not None and claimed:
        lease(claimed)
        commit(records.env)
    return claimed


def lease_until(budget, at_least=MIN_LEASE):
    """Until when a row claimed by the run of ``budget`` is held: until Odoo has stopped that run at the latest (its
    wall limit), and ``at_least`` (a timedelta) from now. A run that dies under way gives its rows back then."""
    now = fields.Datetime.now()
    stopped = datetime.datetime.fromtimestamp(budget.stopped_at, datetime.UTC).replace(tzinfo=None)
    return max(now + at_least, stopped)


def work_through(env, cron_xmlid, fetch, work, budget=None, next_due=None):
    """Run ``work(batch, budget)`` on the batches ``fetch(exclude)`` returns (due rows not in ``exclude``, the ids
    seen already), until none is left or the time budget is spent; then trigger the cron again: at once when
    ``fetch(())`` still finds due rows, else when ``next_due()`` (if given) says the earliest waiting row is due (a
    datetime, or None when none waits). Returns the budget (``budget.started``: when the run started)."""
    budget = budget or Budget(env)
    seen = set()
    while not budget.spent():
        batch = fetch(seen)
        if not batch:
            break
        seen.update(batch.ids)
        work(batch, budget)
    cron = env.ref(cron_xmlid).sudo()
    if fetch(()):
        retrigger(cron, budget.started)
    elif next_due is not None:
        when = next_due()
        if when and not env["ir.cron.trigger"].sudo().search_count(
            [("cron_id", "=", cron.id), ("call_at", "=", when)], limit=1
        ):
            cron._trigger(when)
    return budget
