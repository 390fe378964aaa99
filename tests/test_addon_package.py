"""The addon as a Python package (econnect_odoo/pyproject.toml, OCA's whool): a wheel is built, says what it
needs, installs into a virtualenv where Odoo is a distribution, and the module is where Odoo looks for it.
The same with the real Odoo 18.0 in the bootstrap's virtualenv is in the README's figures."""

import os
import subprocess
import sys
import zipfile

import pytest
from test_bootstrap import bootstrap, fake_odoo_repository

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODOO_LIKE_INIT = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"  # as Odoo's own


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check", "-w", str(out),
         os.path.join(REPO, "econnect_odoo")],
        capture_output=True, text=True, check=False,
    )
    if done.returncode and ("No matching distribution" in done.stderr or "NewConnectionError" in done.stderr):
        pytest.skip(f"no package index to get whool from: {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("odoo_addon_econnect_odoo-18.0.*.whl")
    return path


def test_wheel_metadata_and_files(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    requires = sorted(line.split(":", 1)[1].strip() for line in metadata.splitlines()
                      if line.startswith("Requires-Dist:"))
    assert requires == ["cryptography", "lxml", "odoo==18.0.*", "python-stdnum", "requests"]
    for needed in ("__manifest__.py", "static/description/icon.png", "static/description/index.html",
                   "psb/client.py", "i18n/nl.po"):
        assert f"odoo/addons/econnect_odoo/{needed}" in names
    assert not [n for n in names if "psb_simulator" in n], "the simulator is development tooling, never shipped"


def test_wheel_installs_where_odoo_finds_the_module(wheel, tmp_path):
    url = fake_odoo_repository(tmp_path)
    source = bootstrap.clone(url, str(tmp_path / "odoo"))
    (tmp_path / "odoo" / "odoo" / "__init__.py").write_text(ODOO_LIKE_INIT)
    (tmp_path / "odoo" / "odoo" / "addons").mkdir()
    (tmp_path / "odoo" / "odoo" / "addons" / "__init__.py").write_text(ODOO_LIKE_INIT)
    python = bootstrap.ensure_venv(source, venv=str(tmp_path / "venv"), extra=("wheel",), debian=())
    install = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                             capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stderr
    check = subprocess.run(
        [python, "-c", "import importlib.metadata as m, importlib.util as u; "
                       "print(m.version('odoo')); print(u.find_spec('odoo.addons.econnect_odoo').origin)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert check[0] == "18.0"
    assert check[1].endswith("site-packages/odoo/addons/econnect_odoo/__init__.py")
