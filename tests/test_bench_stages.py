"""bench/stages.py, the stage timer of the benchmarks (the benchmarks themselves need Odoo and minutes: not in CI)."""

import os
import sys
import time
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))

from stages import StageTimer


class Base:
    def work(self, depth=0):
        time.sleep(0.01)
        return self.work(depth - 1) if depth > 0 else "done"


class Model(Base):  # as in Odoo's registry: the method is inherited, not on the class itself
    pass


def test_stages_are_timed_once_per_outermost_call_and_restored():
    module = types.SimpleNamespace(helper=lambda: time.sleep(0.01) or 42)
    timer = StageTimer({"model": Model}, {"work": ("model", "work")}, {"helper": (module, "helper")})
    with timer:
        assert Model().work(depth=2) == "done"  # calls itself twice: one call counted
        assert module.helper() == 42
    timer.add_unit(2)
    assert timer.calls == {"work": 1, "helper": 1}
    per_unit = timer.per_unit()
    assert 0.015 <= per_unit["work"] < 1 and 0.005 <= per_unit["helper"] < 1  # three sleeps / 2, one / 2
    assert set(timer.per_unit(cpu=True)) == {"work", "helper"}
    assert "work" not in Model.__dict__ and Model.work is Base.work  # the class gets its parent's method again
    assert module.helper() == 42 and timer.calls["helper"] == 1  # no longer timed
