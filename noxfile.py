"""Sessions a contributor runs: ``nox`` (lint, typecheck, generated, tests) or ``nox -s NAME``.

``tests_all`` runs the suite on every supported Python (3.10-3.13), found on PATH or under
pyenv; ``package`` builds the sdist and wheel, checks them, installs the wheel alone in a clean
virtual environment and runs ``oneall-push demo`` from it.
"""

from __future__ import annotations

import glob
import os
import zipfile
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "generated", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
# The dev group pins ruff and unasync, whose output the generated files are compared with.
DEV = nox.project.dependency_groups(PYPROJECT, "dev")
TEST = nox.project.dependency_groups(PYPROJECT, "test")
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def _find_pyenv_interpreters() -> None:
    """Put pyenv's interpreters on PATH (no network, no shims needed) for ``python=`` sessions."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    extra = []
    for version in PYTHONS:
        found = sorted(glob.glob(str(root / f"{version}.*" / "bin" / f"python{version}")))
        if found:
            extra.append(str(Path(found[-1]).parent))
    if extra:
        os.environ["PATH"] = os.pathsep.join([*extra, os.environ.get("PATH", "")])


_find_pyenv_interpreters()


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (both halves; starts its own loopback servers and redis-server)."""
    session.install("-e", ".", *TEST)
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session(python=PYTHONS)
def tests_all(session: nox.Session) -> None:
    """The test suite on every supported Python."""
    session.install("-e", ".", *TEST)
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*DEV)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, the tests (incl. the typed usage files) and the tools;
    mypy --strict and pyright strict on every Python block of the README and docs/."""
    session.install("-e", ".", *DEV)
    session.run("mypy", "--strict")
    session.run(
        "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_docs_typecheck.py"
    )


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate _async/_resources.py, the _sync halves and the README endpoint reference."""
    session.install("-e", ".", *DEV)
    session.run("python", "scripts/generate.py")


@nox.session
def generated(session: nox.Session) -> None:
    """Fail if any generated file is stale, missing or orphaned, or has async leftovers."""
    session.install("-e", ".", *DEV)
    session.run("python", "scripts/generate.py", "--check")


@nox.session
def package(session: nox.Session) -> None:
    """Build, ``twine check --strict``, then the wheel alone in a clean venv runs the demo."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "package"))
    dist = Path(session.create_tmp()) / "dist"
    session.run("python", "-m", "build", "--outdir", str(dist), silent=True)
    artifacts = sorted(str(p) for p in dist.iterdir())
    session.run("twine", "check", "--strict", *artifacts)
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    for required in ("oneall_push/py.typed", "LICENSE"):
        if not any(n == required or n.endswith(f"/licenses/{required}") for n in names):
            session.error(f"{required} is missing from {wheel.name}")
    venv = dist.parent / "wheel-only"
    session.run("python", "-m", "venv", "--clear", str(venv))
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    session.run(str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel), external=True)
    session.run(str(bin_dir / "oneall-push"), "--version", external=True)
    session.run(str(bin_dir / "oneall-push"), "demo", external=True)


@nox.session
def fuzz(session: nox.Session) -> None:
    """The property-based fuzzing with a long search (3,000 examples a property, random seed)."""
    session.install("-e", ".", *TEST)
    session.env["HYPOTHESIS_PROFILE"] = "long"
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "tests/test_fuzz.py",
        "tests/test_fuzz_x.py",
        *session.posargs,
    )


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run every benchmark; each prints its ratio against a baseline measured in the same run."""
    session.install("-e", ".", *DEV)
    for script in sorted(Path("benchmarks").glob("bench_*.py")):
        session.run("python", "-m", f"benchmarks.{script.stem}", *session.posargs)


@nox.session
def soak(session: nox.Session) -> None:
    """The chaos soak, long: 5,000 publish calls a half through the fault-injecting proxy
    (``SOAK_CALLS`` or ``-- --calls N`` to change it); prints its figures, fails on a problem."""
    session.install("-e", ".", *TEST)
    session.run("python", "-m", "tests.support.soak", *session.posargs)
