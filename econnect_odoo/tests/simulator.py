"""The PSB simulator for the Odoo tests.

The simulator is development tooling: it lives in the repository next to the addon (``psb_simulator/``), or where
``ECONNECT_SIMULATOR_ROOT`` points, and is never part of what the addon ships (production workers import none of
it). Where it is missing (the addon installed on its own), the tests that need it say SKIPPED, with the reason.
"""

import os
import sys
import unittest

ROOT = os.environ.get("ECONNECT_SIMULATOR_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
if os.path.isdir(os.path.join(ROOT, "psb_simulator")) and ROOT not in sys.path:
    sys.path.append(ROOT)

try:
    import psb_simulator
except ImportError as error:  # the addon without its repository
    psb_simulator = None
    MISSING_REASON = (
        f"the PSB simulator (psb_simulator/, development tooling of the econnect_odoo repository) is not "
        f"importable from {ROOT}: {error}. Set ECONNECT_SIMULATOR_ROOT to a checkout of the repository."
    )
else:
    MISSING_REASON = None


def require():
    """The ``psb_simulator`` package, or SkipTest saying why it is missing."""
    if psb_simulator is None:
        raise unittest.SkipTest(MISSING_REASON)
    return psb_simulator


def PSBSimulator(*args, **kwargs):
    return require().PSBSimulator(*args, **kwargs)


def sample_invoice(*args, **kwargs):
    return require().sample_invoice(*args, **kwargs)


def simulator_ids():
    """The simulator's id helpers (``psb_simulator.ids``)."""
    require()
    from psb_simulator import ids

    return ids
