"""A single background thread running callables at a time (delivery results, retries)."""

import heapq
import itertools
import logging
import threading
import time

_logger = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, name="psb-simulator-scheduler"):
        self._name = name
        self._cond = threading.Condition()
        self._heap = []
        self._seq = itertools.count()
        self._running = 0  # callables being run right now
        self._stopped = False
        self._thread = None

    def start(self):
        with self._cond:
            self._stopped = False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()

    def stop(self):
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)
        self._thread = None

    def call_later(self, delay, func, *args):
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), func, args))
            self._cond.notify_all()

    @property
    def idle(self):
        with self._cond:
            return not self._heap and not self._running

    def _loop(self):
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap:
                        wait = self._heap[0][0] - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._stopped:
                    return
                _due, _seq, func, args = heapq.heappop(self._heap)
                self._running += 1
            try:
                func(*args)
            except Exception:
                _logger.exception("PSB simulator: scheduled task failed")
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()
