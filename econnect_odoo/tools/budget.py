"""How long a run of work may go on before Odoo stops its worker, and how to carry on in a fresh run.

Odoo stops a worker that exceeds its limits, wherever it is:

* prefork mode: the arbiter SIGKILLs a cron worker whose last sign of life is older than ``limit_time_real_cron``
  (``limit_time_real`` when it is -1), and an HTTP worker after ``limit_time_real``. A cron worker gives its sign of
  life *before* it sleeps waiting for work (up to a minute and ten seconds), not when a job starts, and one pass
  runs every job that is due: so a job may find most of the limit gone. The kernel stops a worker whose CPU time
  passes ``limit_time_cpu`` for the pass (``RLIMIT_CPU``, set before each pass);
* threaded mode: the server restarts when a cron pass or a request lasts longer than its limit (the thread's
  ``start_time``).

A :class:`Budget` says when to stop: a margin before the earliest of these. A prefork cron worker does not know
when it gave its sign of life; ``models/ir_cron.py`` tells this module when each job starts (with the cursor of its
pass, one per pass) and ends, and the pass is taken to have started at the latest of the process's start, the end of
the last job of the previous pass and now minus the longest sleep: never later than the truth.
"""

import datetime
import math
import os
import resource
import threading
import time

from odoo import fields
from odoo.tools import config

# the longest a cron worker sleeps between passes (odoo.service.server: SLEEP_INTERVAL + pid % 10)
CRON_SLEEP_MAX = 70
# stop this share of the limit before it (at least MIN_MARGIN seconds): the item under way must finish in it
MARGIN = 0.25
MIN_MARGIN = 10
# a run "has its whole time" while this share of it is left
FRESH = 0.9
# without any limit: still hand over to a fresh run once an hour
NO_LIMIT = 3600

_last_job_end = {}  # {pid: when the last cron job of this process ended}
_passes = {}  # {pid: (the cursor of the current cron pass, when the pass is taken to have started)}
_process_start = {}  # {pid: when this process started}


def cron_job_starting(pass_cursor):
    """Called when a cron job starts; ``pass_cursor`` is the cursor of the pass (Odoo opens one per pass)."""
    pid = os.getpid()
    current = _passes.get(pid)
    if current is None or current[0] is not pass_cursor:  # a new pass: the worker slept (after its sign of life)
        begin = max(_process_started(), _last_job_end.get(pid, 0.0), time.time() - CRON_SLEEP_MAX)
        _passes[pid] = (pass_cursor, begin)


def cron_job_ended():
    _last_job_end[os.getpid()] = time.time()


def _process_started():
    pid = os.getpid()
    if pid not in _process_start:
        import psutil  # an Odoo requirement

        _process_start[pid] = psutil.Process(pid).create_time()
    return _process_start[pid]


def _real_limit(cron):
    limit = config.get("limit_time_real_cron") if cron else None
    if limit is None or limit < 0:
        limit = config.get("limit_time_real")
    return limit if limit and limit > 0 else NO_LIMIT


class Budget:
    """The time a run may use: ``spent()`` turns True a margin before Odoo's limits would stop the worker."""

    def __init__(self, env):
        now = time.time()
        self.started = now
        cron = bool(env.context.get("cron_id"))
        limit = _real_limit(cron)
        thread_start = getattr(threading.current_thread(), "start_time", None)
        if thread_start:  # threaded server: the pass or the request started then
            begin = thread_start
        elif cron:  # a prefork cron worker: the start of its pass, estimated (or a job run by hand)
            current = _passes.get(os.getpid())
            begin = current[1] if current else max(_process_started(), now - CRON_SLEEP_MAX)
        else:
            begin = now
        self.wall_whole = limit - max(MIN_MARGIN, limit * MARGIN)  # what a run that starts with its pass gets
        self.wall_deadline = begin + self.wall_whole
        self.stopped_at = begin + limit  # when Odoo stops this run (by wall time) at the latest
        cpu_limit = resource.getrlimit(resource.RLIMIT_CPU)[0]
        self.cpu_deadline = self.cpu_whole = math.inf
        if cpu_limit != resource.RLIM_INFINITY and cpu_limit > 0:
            pass_cpu = config.get("limit_time_cpu") or 0
            self.cpu_whole = pass_cpu - max(MIN_MARGIN / 2, pass_cpu * MARGIN)
            self.cpu_deadline = cpu_limit - max(MIN_MARGIN / 2, pass_cpu * MARGIN)

    @staticmethod
    def _cpu():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def spent(self):
        return time.time() >= self.wall_deadline or self._cpu() >= self.cpu_deadline

    def whole(self):
        """Whether (almost) all of the time a run may get is still there: what an item that was stopped by a limit
        before needs to be tried again."""
        cpu_left = self.cpu_deadline - self._cpu()
        return (self.wall_deadline - time.time() >= FRESH * self.wall_whole
                and (self.cpu_whole == math.inf or cpu_left >= FRESH * self.cpu_whole))

    def seconds_left(self):
        return max(0.0, min(self.wall_deadline - time.time(), self.cpu_deadline - self._cpu()))


def retrigger(cron, started):
    """Run ``cron`` again right after the job that started at ``started`` (a timestamp): a fresh job, with a fresh
    time budget. The trigger is due at once, so the cron workers are woken (a later one would wait for their next
    round, up to a minute), and it is younger than the job's start, which Odoo's clean-up of triggers spares when the
    job ends (triggers are stored to the second)."""
    first_second_after = datetime.datetime.fromtimestamp(math.floor(started) + 1, datetime.UTC).replace(tzinfo=None)
    cron._trigger(max(fields.Datetime.now(), first_second_after))
