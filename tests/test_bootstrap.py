"""tools/bootstrap.py: Odoo 18.0 fetched and set up where ``import odoo`` fails, checked on a tiny fake Odoo
repository (a real git clone over file://, a real virtualenv, a real ``pip install -e``), and the test command's
summary when Odoo cannot be had. The full run against a mirror of Odoo itself is in the README's figures."""

import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))

import bootstrap  # noqa: E402

ODOO_18_REQUIREMENTS = textwrap.dedent("""\
    cbor2==5.4.2 ; python_version < '3.12'
    cbor2==5.6.2 ; python_version >= '3.12'
    psycopg2==2.9.2 ; python_version == '3.10' # (Jammy)
    psycopg2==2.9.5 ; python_version == '3.11'
    requests==2.31.0 ; python_version >= '3.11' # (Noble)
    pytz  # no version pinning
""")


def git(*args, cwd=None):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                            GIT_COMMITTER_EMAIL="t@t"))


def fake_odoo_repository(path, major=18, requirements="# nothing to install\n"):
    """A bare repository whose branch 18.0 holds a minimal 'Odoo' (two commits: the clone must be shallow)."""
    work = path / "work"
    (work / "odoo").mkdir(parents=True)
    (work / "odoo" / "__init__.py").write_text("")
    (work / "odoo" / "release.py").write_text(f"version_info = ({major}, 0, 0, 'final', 0, '')\n"
                                              f"version = '{major}.0'\n")
    (work / "requirements.txt").write_text(requirements)
    (work / "setup.py").write_text("from setuptools import setup\nsetup(name='odoo', version='18.0', "
                                   "packages=['odoo'])\n")
    git("init", "-q", "-b", "18.0", str(work))
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "one", cwd=work)
    (work / "README.md").write_text("two\n")
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "two", cwd=work)
    bare = path / "odoo.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    return "file://" + str(bare)


def test_requirements_adapted_for_python_311():
    adapted = bootstrap.adapt_requirements(ODOO_18_REQUIREMENTS).splitlines()
    assert "psycopg2-binary==2.9.5 ; python_version == '3.11'" in adapted
    assert not any(line.startswith("psycopg2=") for line in adapted)
    assert "cbor2==5.6.2 ; python_version < '3.12'" in adapted
    assert "requests==2.31.0 ; python_version >= '3.11' # (Noble)" in adapted
    assert adapted[-3:] == ["phonenumbers", "setuptools>=70,<81", "wheel"]


def test_shallow_clone_of_branch_18(tmp_path):
    url = fake_odoo_repository(tmp_path)
    dest = str(tmp_path / "var" / "odoo")
    assert bootstrap.clone(url, dest) == dest
    bootstrap.check_source(dest)
    shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=dest, capture_output=True,
                             text=True, check=True).stdout.strip()
    assert shallow == "true"
    count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=dest, capture_output=True, text=True,
                           check=True).stdout.strip()
    assert count == "1"
    assert bootstrap.clone("file:///nowhere/at/all.git", dest) == dest  # kept: no second fetch


def test_unreachable_repository_says_why(tmp_path):
    with pytest.raises(bootstrap.Unavailable, match=r"could not clone Odoo 18\.0 from file:///nowhere\.git: fatal:"):
        bootstrap.clone("file:///nowhere.git", str(tmp_path / "odoo"))
    assert not (tmp_path / "odoo").exists() and not (tmp_path / "odoo.partial").exists()


def test_not_odoo_18_is_refused(tmp_path):
    dest = bootstrap.clone(fake_odoo_repository(tmp_path, major=17), str(tmp_path / "odoo"))
    with pytest.raises(bootstrap.Unavailable, match=r"Odoo 17\.0, not 18\.0"):
        bootstrap.check_source(dest)


def test_virtualenv_gets_the_checkout_as_a_distribution_and_is_reused(tmp_path):
    source = bootstrap.clone(fake_odoo_repository(tmp_path), str(tmp_path / "odoo"))
    venv = str(tmp_path / "venv")
    # wheel (from the package index) is what setuptools < 70 needs for an editable install
    python = bootstrap.ensure_venv(source, venv=venv, extra=("wheel",), debian=())
    found = subprocess.run(
        [python, "-c", "import importlib.metadata, odoo.release; "
                       "print(importlib.metadata.version('odoo'), odoo.release.version_info[0], odoo.__file__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert found[:2] == ["18.0", "18"]
    assert found[2].startswith(source)  # editable: the checkout itself
    with open(os.path.join(venv, "requirements-adapted.txt"), encoding="utf-8") as handle:
        assert handle.read() == "# nothing to install\nwheel\n"
    marker = os.path.join(venv, "kept")
    open(marker, "w").close()
    assert bootstrap.ensure_venv(source, venv=venv, extra=("wheel",), debian=()) == python
    assert os.path.exists(marker)  # the same requirements: the virtualenv is reused, not made again


def test_run_tests_says_skipped_with_the_reason_where_odoo_cannot_be_had(tmp_path):
    """A Python where ``import odoo`` fails (a virtualenv without the test bed's .pth), no network to the
    repository: exit 0, and the summary says SKIPPED for every part that did not run, with why."""
    venv = tmp_path / "no-odoo"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    assert subprocess.run([python, "-c", "import odoo"], capture_output=True, check=False).returncode
    env = dict(os.environ, ECONNECT_BOOTSTRAP_DIR=str(tmp_path / "var"))
    env.pop("ODOO_SRC", None)
    done = subprocess.run(
        [python, os.path.join(REPO, "tools", "run_tests.py"), "--no-install", "--odoo-only",
         "--odoo-git", "file:///nowhere/odoo.git"],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.split("Result")[-1]
    assert "odoo         SKIPPED (could not clone Odoo 18.0 from file:///nowhere/odoo.git: fatal:" in summary
    assert "pytest       SKIPPED (--odoo-only)" in summary
    assert " OK" not in summary
