"""run_parallel's threads must not multiply glibc's malloc arenas: Odoo's prefork workers are recycled when their
virtual size (VMS) passes ``limit_memory_soft`` (640 MB by default), and each thread that allocates gets an arena
of its own (a 64 MB reservation) unless the arenas are capped.

The addon's real ``run_parallel`` runs in a fresh process (a process's arenas are never given back), with 16
threads uploading to the PSB simulator over HTTP on 127.0.0.1; the process reports its VMS as Odoo measures it
(psutil) before and after. The addon package is loaded without its ``__init__`` (which imports Odoo): only its
plain modules (``tools/parallel.py``, ``tools/malloc_arenas.py``, ``psb/``) run.
"""

import importlib.util
import json
import os
import platform
import subprocess
import sys
import textwrap

import pytest
from psb_support import OWN, PERMISSIONS, invoice_xml

from psb_simulator import PSBSimulator

psutil = pytest.importorskip("psutil")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODOO_SOFT_LIMIT = 640 * 1024 * 1024  # odoo's default limit_memory_soft
BUDGET = 200 * 1024 * 1024  # growth allowed: well under the soft limit (without the cap: about 1 GB)

CHILD = textwrap.dedent(
    """
    import json, sys, types, uuid
    import psutil

    addon_dir, api_url, identity_url, own, xml_path = sys.argv[1:6]
    package = types.ModuleType("econnect_odoo")  # the addon's plain modules, without Odoo
    package.__path__ = [addon_dir]
    sys.modules["econnect_odoo"] = package
    from econnect_odoo.psb.client import PSBClient
    from econnect_odoo.tools.parallel import run_parallel

    with open(xml_path, "rb") as handle:
        xml = handle.read()
    vms = lambda: psutil.Process().memory_info().vms  # what odoo/service/server.py compares with the limit
    with PSBClient(api_url=api_url, identity_url=identity_url, client_id="cid", client_secret="csecret",
                   username="user", password="pw") as client:
        client.get_my_parties()  # imports, token and connection made in the main thread
        before = vms()
        outcomes = []
        for _round in range(3):  # as a cron worker does: one run_parallel per round
            jobs = [(n, client, (own, xml, str(uuid.uuid4()))) for n in range(48)]
            outcomes += run_parallel("send_invoice", jobs, max_workers=16)
        after = vms()
    errors = [repr(error) for _key, _result, error in outcomes if error is not None]
    print(json.dumps({"before": before, "after": after, "calls": len(outcomes), "errors": errors}))
    """
)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's arenas")
def test_sixteen_upload_threads_keep_the_virtual_size_under_odoos_soft_limit(tmp_path):
    xml_path = tmp_path / "invoice.xml"
    xml_path.write_bytes(invoice_xml("INV-MEM"))
    # the cap must come from the addon, not from the environment an administrator may set
    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    with PSBSimulator() as sim:
        sim.add_client("cid", "csecret")
        sim.add_user("user", "pw", parties={OWN: dict(PERMISSIONS)}, names={OWN: "Seller BV"})
        sim.latency = 0.02  # the calls overlap: all 16 threads are busy at once
        done = subprocess.run(
            [sys.executable, "-c", CHILD, os.path.join(REPO, "econnect_odoo"), sim.api_url, sim.identity_url, OWN,
             str(xml_path)],
            capture_output=True, text=True, timeout=60, env=env, check=False,
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report["calls"] == 144 and not report["errors"], report
        assert len(sim.sent_documents) == 144, "every upload reached the server"
    growth = report["after"] - report["before"]
    assert growth < BUDGET, f"VMS grew by {growth / 2**20:.0f} MB ({report['after'] / 2**20:.0f} MB in all)"
    assert report["after"] < ODOO_SOFT_LIMIT, f"VMS {report['after'] / 2**20:.0f} MB"


def load_malloc_arenas():
    """A fresh copy of the helper (its once-per-process cache empty), loaded by path: it imports nothing of ours."""
    spec = importlib.util.spec_from_file_location(
        "malloc_arenas_copy", os.path.join(REPO, "econnect_odoo", "tools", "malloc_arenas.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cap_is_a_no_op_without_glibc_and_never_an_error(monkeypatch):
    module = load_malloc_arenas()
    calls = []

    class Musl:  # a C library with mallopt but without glibc's arenas
        def mallopt(self, *args):
            calls.append(args)
            return 1

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setattr(module.ctypes, "CDLL", lambda _name: Musl())
    module.cap_malloc_arenas()
    assert calls == []

    def no_c_library(_name):
        raise OSError("no C library")

    module = load_malloc_arenas()
    monkeypatch.setattr(module.ctypes, "CDLL", no_c_library)
    module.cap_malloc_arenas()  # nothing raised


def test_an_administrators_limit_is_left_alone(monkeypatch):
    for name, value in (("MALLOC_ARENA_MAX", "4"), ("GLIBC_TUNABLES", "glibc.malloc.arena_max=4")):
        module = load_malloc_arenas()
        monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
        monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
        monkeypatch.setenv(name, value)
        monkeypatch.setattr(module.ctypes, "CDLL", lambda _name: pytest.fail("the C library was loaded"))
        module.cap_malloc_arenas()
