"""Where Odoo 18 comes from for ``tools/run_tests.py`` and ``tools/run_demo.py`` (the one place that decides).

1. ``import odoo`` works in the Python running the command, and no Odoo source is named: that Python.
2. Otherwise the source is ``--odoo-src DIR`` / ``$ODOO_SRC``, else ``var/odoo``: a shallow clone of Odoo 18.0
   Community (branch ``18.0``) from its official repository, or from ``--odoo-git URL`` /
   ``$ECONNECT_ODOO_GIT_URL`` (a local mirror, for instance). A named source that the running Python can
   import as it is (its libraries already there) is used with that Python.
3. Else a virtualenv ``var/odoo-venv`` gets Odoo's own ``requirements.txt`` with the known adaptations for
   Python 3.11 (``psycopg2-binary==2.9.5`` instead of building ``psycopg2``, ``cbor2==5.6.2``, plus
   ``phonenumbers``, ``setuptools>=70,<81`` and ``wheel``; Debian's ``libldap2-dev`` and ``libsasl2-dev`` for
   ``python-ldap``), then the checkout itself (``pip install --no-deps -e``: Odoo is a distribution there).
   It is made again only when the requirements change (a stamp file).
4. PostgreSQL: installed from the system's packages (Debian's ``postgresql``) when no ``initdb`` is found and
   no ``PG*`` variable points at a server, as ``.ci/run`` does.

Whatever cannot be had (no network to the repository, no package index, not root for apt) ends in
:class:`Unavailable` with the reason, and the caller says SKIPPED with it.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# where the clone and the virtualenv go (a test points it elsewhere)
VAR = os.environ.get("ECONNECT_BOOTSTRAP_DIR") or os.path.join(ROOT, "var")
OFFICIAL_GIT_URL = "https://github.com/odoo/odoo.git"
BRANCH = "18.0"
GIT_URL_ENV = "ECONNECT_ODOO_GIT_URL"
SRC_ENV = "ODOO_SRC"
CLONE_DIR = os.path.join(VAR, "odoo")
VENV_DIR = os.path.join(VAR, "odoo-venv")

# Odoo 18's requirements.txt with Python 3.11: psycopg2 would be built from source (needs libpq-dev and a
# compiler), cbor2 5.4.2 does not build with current setuptools.
REPLACED = {"psycopg2": "psycopg2-binary==2.9.5", "cbor2": "cbor2==5.6.2"}
# Odoo imports pkg_resources (gone from setuptools 81); gevent's plugins need a pkg_resources that knows
# normalized names (zope_interface: setuptools 70 and later); phone_validation wants phonenumbers.
EXTRA_REQUIREMENTS = ("phonenumbers", "setuptools>=70,<81", "wheel")
DEBIAN_BUILD_PACKAGES = ("libldap2-dev", "libsasl2-dev")  # python-ldap is built from source
ODOO_PROBE = "import odoo.release, odoo.http; assert odoo.release.version_info[0] == 18"


class Unavailable(Exception):
    """Odoo cannot be had here; ``str()`` says why, for the SKIPPED line."""


class OdooRuntime:
    """The Python that runs Odoo and the environment to run it with."""

    def __init__(self, python, source=None, pythonpath=None, how=""):
        self.python = python
        self.source = source
        self.pythonpath = pythonpath
        self.how = how

    def env(self, base=None):
        env = dict(os.environ if base is None else base)
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (self.pythonpath, env.get("PYTHONPATH")) if p)
        return env

    def command(self):
        """How to start Odoo: its ``odoo-bin`` (prefork servers re-execute ``sys.argv`` for their gevent
        process, which ``python -m odoo`` does not survive), else ``python -m odoo``."""
        code = "import os, odoo; print(os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), 'odoo-bin'))"
        odoo_bin = subprocess.run(
            [self.python, "-c", code], capture_output=True, text=True, check=True, env=self.env()
        ).stdout.strip()
        return [self.python, odoo_bin] if os.path.isfile(odoo_bin) else [self.python, "-m", "odoo"]

    def addons_path(self, *extra):
        """Odoo's core addons folder followed by ``extra`` (comma-separated, for ``--addons-path``)."""
        code = "import os, odoo; print(os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), 'addons'))"
        core = subprocess.run(
            [self.python, "-c", code], capture_output=True, text=True, check=True, env=self.env()
        ).stdout.strip()
        return ",".join([p for p in (core,) if os.path.isdir(p)] + list(extra))


def log(text):
    print(f"[bootstrap] {text}", flush=True)


def _run(cmd, **kwargs):
    log("$ " + " ".join(cmd))
    started = time.monotonic()
    done = subprocess.run(cmd, check=False, **kwargs)
    log(f"  ({time.monotonic() - started:.0f} s, exit {done.returncode})")
    return done


def imports_odoo(python, pythonpath=None):
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    probe = subprocess.run([python, "-c", ODOO_PROBE], capture_output=True, check=False, env=env)
    return probe.returncode == 0


# -- the source ----------------------------------------------------------------------------------
def git_url(option=None):
    return option or os.environ.get(GIT_URL_ENV) or OFFICIAL_GIT_URL


def clone(url, dest=CLONE_DIR, branch=BRANCH):
    """A shallow clone of ``branch`` into ``dest`` (kept: later runs reuse it). Raises Unavailable."""
    if os.path.isdir(os.path.join(dest, "odoo")):
        return dest
    if not shutil.which("git"):
        raise Unavailable("git is not installed, so Odoo 18.0 cannot be fetched")
    partial = dest + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    log(f"getting Odoo {branch} from {url} (a shallow clone into {dest})")
    done = _run(
        ["git", "clone", "--quiet", "--depth", "1", "--single-branch", "--branch", branch, url, partial],
        capture_output=True, text=True, env=dict(os.environ, GIT_TERMINAL_PROMPT="0"),
    )
    if done.returncode:
        shutil.rmtree(partial, ignore_errors=True)
        lines = done.stderr.strip().splitlines() or ["no detail"]
        detail = next((line for line in lines if line.startswith("fatal:")), lines[-1])
        raise Unavailable(f"could not clone Odoo {branch} from {url}: {detail}")
    os.replace(partial, dest)
    return dest


def check_source(source):
    release = os.path.join(source, "odoo", "release.py")
    if not os.path.isfile(release):
        raise Unavailable(f"{source} is not an Odoo checkout (no odoo/release.py)")
    scope = {"__file__": release}
    with open(release, encoding="utf-8") as handle:
        exec(compile(handle.read(), release, "exec"), scope)  # noqa: S102 (Odoo's own release file)
    if scope.get("version_info", (0,))[0] != 18:
        raise Unavailable(f"{source} is Odoo {scope.get('version', '?')}, not 18.0")


# -- the virtualenv ------------------------------------------------------------------------------
def adapt_requirements(text, extra=EXTRA_REQUIREMENTS):
    """Odoo's requirements.txt with the Python 3.11 adaptations (markers kept: pip evaluates them)."""
    lines = []
    for line in text.splitlines():
        requirement, hash_, comment = line.partition("#")
        spec, semicolon, marker = requirement.partition(";")
        name = spec.strip().split("=")[0].split("<")[0].split(">")[0].split("~")[0].split("!")[0].strip().lower()
        if name in REPLACED:
            line = REPLACED[name] + (f" ;{marker.rstrip()}" if semicolon else "")
            if hash_:
                line += f"  #{comment}"
        lines.append(line)
    lines.extend(extra)
    return "\n".join(lines) + "\n"


def read_text(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def venv_python(venv=VENV_DIR):
    return os.path.join(venv, "bin", "python")


def ensure_debian_packages(packages=DEBIAN_BUILD_PACKAGES):
    """Install the Debian packages that are missing, when we may (root, apt-get). False if they stay missing."""
    if not shutil.which("dpkg"):
        return True  # not Debian: the build says what it lacks
    missing = [
        p for p in packages
        if subprocess.run(["dpkg", "-s", p], capture_output=True, check=False).returncode
    ]
    if not missing:
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log(f"missing Debian packages {', '.join(missing)} (not root: install them yourself)")
        return False
    update = _run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL)
    install = _run(["apt-get", "install", "-y", "-q", *missing], stdout=subprocess.DEVNULL)
    return not update.returncode and not install.returncode


def ensure_venv(source, venv=VENV_DIR, python=None, extra=EXTRA_REQUIREMENTS, debian=DEBIAN_BUILD_PACKAGES):
    """A virtualenv for ``source`` with its adapted requirements; reused while they do not change."""
    python = python or sys.executable
    with open(os.path.join(source, "requirements.txt"), encoding="utf-8") as handle:
        requirements = adapt_requirements(handle.read(), extra)
    stamp_text = f"{os.path.realpath(source)}\n{python}\n{requirements}"
    stamp = hashlib.sha256(stamp_text.encode()).hexdigest()
    stamp_file = os.path.join(venv, "econnect-bootstrap.stamp")
    if read_text(stamp_file) == stamp:
        return venv_python(venv)
    if debian and not ensure_debian_packages(debian):
        raise Unavailable(f"the Debian packages {', '.join(debian)} are needed to build python-ldap")
    log(f"making the virtualenv {venv} for {source}")
    shutil.rmtree(venv, ignore_errors=True)
    if _run([python, "-m", "venv", venv]).returncode:
        raise Unavailable(f"{python} -m venv {venv} failed")
    adapted = os.path.join(venv, "requirements-adapted.txt")
    with open(adapted, "w", encoding="utf-8") as handle:
        handle.write(requirements)
    pip = [venv_python(venv), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    steps = (
        ([*pip, "-r", adapted], "Odoo's requirements"),
        ([*pip, "--no-deps", "--no-build-isolation", "-e", source], "the Odoo checkout"),
    )
    for cmd, what in steps:
        if _run(cmd).returncode:
            raise Unavailable(f"pip could not install {what} into {venv} (see above)")
    with open(stamp_file, "w", encoding="utf-8") as handle:
        handle.write(stamp)
    return venv_python(venv)


# -- PostgreSQL ----------------------------------------------------------------------------------
def ensure_postgresql():
    """PostgreSQL's binaries, from Debian's package when missing (unless PG* points at a server)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from pgcluster import find_pg_bin  # pylint: disable=import-outside-toplevel

    if any(k in os.environ for k in ("PGHOST", "PGPORT")) or find_pg_bin():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Unavailable("PostgreSQL is not installed (no initdb) and we may not install it (not root with apt)")
    _run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL)
    install = _run(["apt-get", "install", "-y", "-q", "postgresql"], stdout=subprocess.DEVNULL)
    if install.returncode or not find_pg_bin():
        raise Unavailable("PostgreSQL could not be installed from the system's packages")


# -- the decision --------------------------------------------------------------------------------
def locate(odoo_src=None, git=None, postgresql=True):
    """The :class:`OdooRuntime` to use, set up when needed. Raises :class:`Unavailable` with the reason."""
    source = odoo_src or os.environ.get(SRC_ENV)
    if not source and imports_odoo(sys.executable):
        runtime = OdooRuntime(sys.executable, how=f"Odoo importable from {sys.executable}")
    else:
        if source:
            source = os.path.abspath(source)
        else:
            source = clone(git_url(git))
        check_source(source)
        if imports_odoo(sys.executable, source):
            runtime = OdooRuntime(sys.executable, source, pythonpath=source, how=f"Odoo from {source}")
        else:
            python = ensure_venv(source)
            if not imports_odoo(python):
                raise Unavailable(f"Odoo is still not importable from {python} after the set-up")
            venv = os.path.dirname(os.path.dirname(python))
            runtime = OdooRuntime(python, source, how=f"Odoo from {source} in the virtualenv {venv}")
    if postgresql:
        ensure_postgresql()
    return runtime


def add_arguments(parser):
    parser.add_argument(
        "--odoo-src", default=None, metavar="DIR",
        help=f"an Odoo 18.0 checkout to use (default ${SRC_ENV}; else var/odoo, cloned when import odoo fails)",
    )
    parser.add_argument(
        "--odoo-git", default=None, metavar="URL",
        help=f"where to clone Odoo 18.0 from (default ${GIT_URL_ENV}, else {OFFICIAL_GIT_URL})",
    )
