"""The addon's framework-free package ``psb`` (party ids, webhook signatures, safe XML, contract constants),
loaded by path under its own name so that the simulator runs anywhere: in pytest, in the Odoo tests, in the
benchmarks and on the command line, without putting the addon's folder on ``sys.path``.

The simulator is development tooling: it lives next to the addon, never inside what the addon ships.
"""

import importlib.util
import os
import sys

PSB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "econnect_odoo", "psb")


def load():
    """The ``psb`` package (imported once; the same module objects for the simulator and the pytest suite)."""
    module = sys.modules.get("psb")
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(
        "psb", os.path.join(PSB_DIR, "__init__.py"), submodule_search_locations=[PSB_DIR]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["psb"] = module
    spec.loader.exec_module(module)
    return module


load()
