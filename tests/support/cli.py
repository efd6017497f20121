"""Run the ``oneall-push`` command in-process and capture what it prints."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

from oneall_push.cli import main


def run_cli(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of ``oneall-push *argv``."""
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()
