"""Run HTTP calls side by side: a batch of uploads overlaps instead of queueing behind each other.

Only plain Python runs in the worker threads (the PSB client); every ORM access stays in the calling
thread, before and after.
"""

from concurrent.futures import ThreadPoolExecutor

MAX_WORKERS = 16


def run_parallel(func, items, max_workers=MAX_WORKERS):
    """``[(item, result, exception)]`` in the order of ``items``; exactly one of result/exception is set."""
    items = list(items)
    if not items:
        return []

    def call(item):
        try:
            return item, func(item), None
        except Exception as error:
            return item, None, error

    if len(items) == 1:
        return [call(items[0])]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items)), thread_name_prefix="econnect") as pool:
        return list(pool.map(call, items))
