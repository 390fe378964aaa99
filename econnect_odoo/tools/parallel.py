"""Run PSB calls side by side: a batch of uploads or lookups overlaps instead of queueing behind each other.

The worker threads get plain data only. Odoo's cursor, cache and environment belong to the calling thread:
a record read in a worker thread shares them with the caller and with the other workers, and their query
results cross (``no results to fetch``, records of another company, ``StopIteration``). So a job names one
public method of the PSB client and gives it plain arguments (text, bytes, numbers, party ids, and lists,
tuples and dicts of those); anything else is refused before any thread starts. The caller reads what the
calls need from the ORM first (a plan) and records their outcomes afterwards, in its own thread.
"""

from concurrent.futures import ThreadPoolExecutor

from ..psb.client import PSBClient
from ..psb.party import PartyId
from .malloc_arenas import cap_malloc_arenas

MAX_WORKERS = 16
_PLAIN = (str, bytes, int, float, bool, type(None), PartyId)


def _check_plain(value, where):
    if isinstance(value, _PLAIN):
        return
    if isinstance(value, list | tuple | frozenset | set):
        for item in value:
            _check_plain(item, where)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain(key, where)
            _check_plain(item, where)
        return
    raise TypeError(f"run_parallel: {where} holds a {type(value).__name__}; threads get plain data only")


def run_parallel(method, jobs, max_workers=MAX_WORKERS):
    """Call ``client.<method>(*args)`` for each ``(key, client, args)`` of ``jobs``, side by side.

    ``method`` is the name of a public method of :class:`PSBClient`; ``key`` (e.g. a record id) and ``args`` are
    plain data. Returns ``[(key, result, exception)]`` in the order of ``jobs``; exactly one of result/exception
    is set.
    """
    if not isinstance(method, str) or method.startswith("_") or not callable(getattr(PSBClient, method, None)):
        raise TypeError(f"run_parallel: {method!r} is not a public method of the PSB client")
    jobs = [tuple(job) for job in jobs]
    for key, client, args in jobs:
        if not isinstance(client, PSBClient):
            raise TypeError(f"run_parallel: the job of {key!r} has no PSB client")
        _check_plain(key, "a job's key")
        _check_plain(args, f"the arguments of {key!r}")
    if not jobs:
        return []

    def call(job):
        key, client, args = job
        try:
            return key, getattr(client, method)(*args), None
        except Exception as error:
            return key, None, error

    if len(jobs) == 1:
        return [call(jobs[0])]
    # Each of these threads would get a malloc arena of its own (64 MB of virtual size each, never given back),
    # and Odoo recycles a worker whose virtual size passes limit_memory_soft: cap the arenas before the first
    # thread starts (see malloc_arenas).
    cap_malloc_arenas()
    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs)), thread_name_prefix="econnect") as pool:
        return list(pool.map(call, jobs))
