"""What a production Odoo worker loads of the addon: no simulator code, no listening socket.

Imports every module of the shipped addon (all but its tests) in a fresh Odoo process, with the simulator made
importable on purpose (the repository's root on sys.path), and with socket.listen watched."""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = r"""
import json, os, pkgutil, socket, sys
listening = []
real_listen = socket.socket.listen
def listen(sock, *args):
    listening.append(repr(sock.getsockname()))
    return real_listen(sock, *args)
socket.socket.listen = listen
import odoo
from odoo.tools import config
core = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), 'addons')
config.parse_config(['--addons-path=%s,%s' % (core, REPO)])
sys.path.append(REPO)  # the simulator is importable: nothing may import it all the same
import odoo.addons.econnect_odoo as addon
loaded = []
def walk(path, prefix):  # pkgutil.walk_packages would import the tests package to look inside it
    for info in pkgutil.iter_modules(path, prefix):
        if info.name.endswith('.tests'):
            continue
        module = __import__(info.name, fromlist=['_'])
        loaded.append(info.name)
        if info.ispkg:
            walk(module.__path__, info.name + '.')
walk(addon.__path__, 'odoo.addons.econnect_odoo.')
from odoo.addons.econnect_odoo.tools import demo
print(json.dumps({
    'loaded': loaded,
    'simulator': sorted(m for m in sys.modules if m.split('.')[0] in ('psb_simulator', 'psb')),
    'listening': listening,
    'demo_url': demo.demo_url(),
}))
"""


def test_addon_imports_no_simulator_and_opens_no_socket():
    if subprocess.run([sys.executable, "-c", "import odoo.release"], capture_output=True, check=False).returncode:
        pytest.skip("SKIPPED: Odoo is not importable from this Python")
    env = {k: v for k, v in os.environ.items() if k not in ("ECONNECT_DEMO_URL", "PYTHONPATH")}
    done = subprocess.run(  # noqa: S603 (our own probe)
        [sys.executable, "-c", f"REPO = {REPO!r}\n" + PROBE], capture_output=True, text=True, env=env,
        cwd="/", check=False, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "odoo.addons.econnect_odoo.models.account_move" in result["loaded"]
    assert "odoo.addons.econnect_odoo.controllers.webhook" in result["loaded"]
    assert result["simulator"] == [], "a production worker imports no simulator code"
    assert result["listening"] == []
    assert result["demo_url"] is None, "no demo simulator unless econnect_demo_url names one"
