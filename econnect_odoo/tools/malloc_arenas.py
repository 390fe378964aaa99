"""Cap glibc's malloc arenas, so that threads do not multiply the process's virtual size.

glibc gives each thread that allocates while the others hold theirs an arena of its own, up to 8 per core, and
each arena reserves 64 MB of address space that it never gives back. After one ``run_parallel`` with 16 threads,
a process holds about 1 GB more virtual memory (VMS), though hardly any of it is used. Odoo's prefork server
compares the VMS of each worker with ``limit_memory_soft`` (640 MB by default) after each request or cron round
and replaces a worker over it, so the cron worker was recycled after every round that uploaded, and the next
batch waited for a new worker (up to a minute). Capping the arenas (``mallopt(M_ARENA_MAX, 2)``, what
``MALLOC_ARENA_MAX=2`` in the environment does) keeps the growth to one arena: the threads share two arenas, for
work that is mostly waiting on the network under Python's lock anyway. A persistent pool of threads would not help:
16 threads busy at once take 16 arenas whether they are new or reused.

glibc fixes its limit the first time a process has more than 8 arenas, so the cap is set before the first
worker thread starts (``cap_malloc_arenas`` is called by ``run_parallel``). A limit that an administrator set
(``MALLOC_ARENA_MAX``, or ``glibc.malloc.arena_max`` in ``GLIBC_TUNABLES``) is left alone. Elsewhere than
glibc (musl, macOS, Windows) this does nothing, and it never raises.
"""

import ctypes
import functools
import logging
import os

_logger = logging.getLogger(__name__)

ARENA_MAX = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def _set_by_administrator():
    return "MALLOC_ARENA_MAX" in os.environ or "glibc.malloc.arena_max" in os.environ.get("GLIBC_TUNABLES", "")


@functools.cache
def cap_malloc_arenas():
    """Cap glibc's malloc arenas at :data:`ARENA_MAX` (once per process; a no-op elsewhere than glibc)."""
    if _set_by_administrator():
        return
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
            return  # not glibc: its own allocator, no such arenas
        if libc.mallopt(_M_ARENA_MAX, ARENA_MAX) != 1:
            _logger.debug("glibc refused mallopt(M_ARENA_MAX, %s)", ARENA_MAX)
    except (OSError, AttributeError, TypeError, ValueError) as error:  # no C library to load: nothing to cap
        _logger.debug("malloc arenas not capped: %s", error)
