"""Sessions a contributor runs: ``nox`` (lint, typecheck, generated, tests) or ``nox -s NAME``."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "generated", "tests"]
nox.options.reuse_existing_virtualenvs = True

# The dev extra pins ruff and unasync, whose output the generated files are compared with.
DEV = ("-e", ".[dev]")


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (both halves; starts its own loopback servers and redis-server)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*DEV)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, the tests (incl. the typed usage files) and the tools."""
    session.install(*DEV)
    session.run("mypy", "--strict")


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate _async/_resources.py, the _sync halves and the README endpoint reference."""
    session.install(*DEV)
    session.run("python", "scripts/generate.py")


@nox.session
def generated(session: nox.Session) -> None:
    """Fail if any generated file is stale, missing or orphaned, or has async leftovers."""
    session.install(*DEV)
    session.run("python", "scripts/generate.py", "--check")


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run every benchmark; each prints its ratio against a baseline measured in the same run."""
    session.install(*DEV)
    for script in sorted(Path("benchmarks").glob("bench_*.py")):
        session.run("python", "-m", f"benchmarks.{script.stem}", *session.posargs)
