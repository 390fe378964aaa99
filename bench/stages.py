"""Where the time goes: wall time per stage of a code path, by wrapping named methods of Odoo's model classes.

    timer = StageTimer(registry, {
        "Odoo's import": ("account.move", "_extend_with_attachments"),
        "chatter note": ("account.move", "message_post"),
    })
    with timer:
        ...                      # the measured work; timer.add_unit() once per document
    timer.per_unit()             # {stage: wall seconds per unit}
    timer.per_unit(cpu=True)     # {stage: CPU seconds of this process per unit}

Each stage is timed inclusively (a stage inside another counts in both), once per outermost call (a method that
calls itself, or another wrapped stage of the same name, is not counted twice). Wall time and this process's CPU
time are both kept: on a shared machine the CPU time says where the work is, whatever else runs (PostgreSQL's time
and the remote side's are in the wall time only). The wrappers cost a few microseconds a call: nothing next to a
document's hundreds of milliseconds.
"""

import collections
import functools
import time


class StageTimer:
    def __init__(self, registry, stages, functions=None):
        """``stages``: ``{name: (model, method)}`` on ``registry``; ``functions``: ``{name: (module, attribute)}``,
        plain functions of a module."""
        self.registry = registry
        self.stages = stages
        self.functions = functions or {}
        self.totals = collections.defaultdict(float)
        self.cpu = collections.defaultdict(float)
        self.calls = collections.Counter()
        self.depth = collections.Counter()
        self.units = 0
        self.restore = []

    def add_unit(self, count=1):
        self.units += count

    def reset(self):
        self.totals.clear()
        self.cpu.clear()
        self.calls.clear()
        self.units = 0

    def _wrap(self, name, original):
        timer = self

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if timer.depth[name]:
                return original(*args, **kwargs)
            timer.depth[name] += 1
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                timer.totals[name] += time.perf_counter() - started
                timer.cpu[name] += time.process_time() - cpu
                timer.calls[name] += 1
                timer.depth[name] -= 1

        return timed

    def __enter__(self):
        for name, (model, method) in self.stages.items():
            cls = self.registry[model]
            self.restore.append((cls, method, cls.__dict__.get(method)))
            setattr(cls, method, self._wrap(name, getattr(cls, method)))
        for name, (module, attribute) in self.functions.items():
            self.restore.append((module, attribute, getattr(module, attribute)))
            setattr(module, attribute, self._wrap(name, getattr(module, attribute)))
        return self

    def __exit__(self, *exc):
        for owner, attribute, original in reversed(self.restore):
            if original is None:
                delattr(owner, attribute)  # it was inherited: the class gets its parent's again
            else:
                setattr(owner, attribute, original)
        self.restore.clear()

    def per_unit(self, cpu=False):
        """``{stage: seconds per unit}`` for the stages that ran: wall time, or this process's CPU time."""
        units = max(1, self.units)
        return {name: total / units for name, total in (self.cpu if cpu else self.totals).items()}
