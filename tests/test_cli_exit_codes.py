"""The exit-code table, driven through ``oneall-push`` commands against the sandbox."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from oneall_push import OneAll, errors
from oneall_push.cli import build_parser
from oneall_push.cli._exit import _MEANINGS, EXIT_CODES_HELP, ExitCode, exit_code_for
from oneall_push.sandbox import Sandbox
from tests.support.cli import run_cli


@pytest.fixture
def sandbox(oneall_sandbox_fresh: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    for key, value in oneall_sandbox_fresh.client_kwargs().items():
        monkeypatch.setenv(f"ONEALL_{key.upper()}", value)
    yield oneall_sandbox_fresh
    oneall_sandbox_fresh.clear_faults()


def _tweet(sandbox: Sandbox, *extra: str) -> tuple[int, str, str]:
    token = sandbox.token("twitter")
    return run_cli("twitter", "publish-tweet", "--identity", token, "--message", "hi", *extra)


def _published(sandbox: Sandbox) -> int:
    return len(sandbox.records(endpoint="twitter.publish_tweet"))


def test_success_is_0(sandbox: Sandbox) -> None:
    code, out, _ = _tweet(sandbox)
    assert code == 0
    assert json.loads(out)["post_id"]
    assert _published(sandbox) == 1


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (("--link", "not a url"), "link"),
        (("--extra", "novalue"), "KEY=VALUE"),
    ],
)
def test_validation_is_2_and_nothing_is_sent(
    sandbox: Sandbox, argv: tuple[str, ...], reason: str
) -> None:
    code, _, err = _tweet(sandbox, *argv)
    assert code == 2
    assert reason in err
    assert _published(sandbox) == 0


def test_missing_credentials_are_2(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SUBDOMAIN", "PUBLIC_KEY", "PRIVATE_KEY", "BASE_URL"):
        monkeypatch.delenv(f"ONEALL_{name}", raising=False)
    code, _, err = run_cli("twitter", "publish-tweet", "--identity", "t", "--message", "m")
    assert code == 2
    assert "ONEALL_PUBLIC_KEY" in err


def test_a_bad_option_is_2() -> None:
    code, _, _ = run_cli("twitter", "publish-tweet", "--identity", "t", "--retries", "x")
    assert code == 2


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("status=401", ExitCode.AUTH),
        ("status=403", ExitCode.AUTH),
        ("status=400", ExitCode.CLIENT_ERROR),
        ("status=404", ExitCode.CLIENT_ERROR),
        ("status=409", ExitCode.CLIENT_ERROR),
        ("status=429", ExitCode.RETRYABLE),
        ("status=503,retry_after=0", ExitCode.RETRYABLE),
        ("status=503", ExitCode.SERVER_ERROR),
        ("status=500", ExitCode.SERVER_ERROR),
        ("status=502", ExitCode.SERVER_ERROR),
        ("reset=after", ExitCode.OUTCOME_UNKNOWN),
    ],
)
def test_fault_rules_map_to_the_table(sandbox: Sandbox, fault: str, expected: ExitCode) -> None:
    sandbox.add_fault(f"endpoint=twitter.publish_tweet,{fault}")
    code, out, err = _tweet(sandbox, "--retries", "0")
    assert code == expected, err
    assert out == ""
    # Only an unknown outcome may have published; exit 5 promises nothing was processed.
    assert _published(sandbox) == (1 if expected == ExitCode.OUTCOME_UNKNOWN else 0)


def test_retries_then_5_when_still_rate_limited(sandbox: Sandbox) -> None:
    sandbox.add_fault("endpoint=twitter.publish_tweet,status=429,retry_after=0")
    code, _, err = _tweet(sandbox, "--retries", "1")
    assert code == 5
    assert err.startswith("RateLimitError")


def test_a_retry_that_succeeds_is_0(sandbox: Sandbox) -> None:
    sandbox.add_fault("endpoint=twitter.publish_tweet,status=503,retry_after=0,times=1")
    code, _, _ = _tweet(sandbox, "--retries", "1")
    assert code == 0
    assert _published(sandbox) == 1


def test_a_connect_failure_is_5(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("ONEALL_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ONEALL_PUBLIC_KEY", "pub")
    monkeypatch.setenv("ONEALL_PRIVATE_KEY", "priv")
    code, _, err = run_cli(
        "twitter", "publish-tweet", "--identity", "t", "--message", "m", "--retries", "0"
    )
    assert code == 5
    assert err.startswith("ConnectError")


def test_json_errors_are_one_object_on_stderr(sandbox: Sandbox) -> None:
    sandbox.add_fault("endpoint=twitter.publish_tweet,reset=after")
    code, out, err = _tweet(sandbox, "--json")
    assert code == 7
    assert out == ""
    document = json.loads(err)
    assert document["error"] == "OutcomeUnknownError"
    assert document["status"] is None
    assert document["retryable"] is False
    assert document["outcome_known"] is False
    assert document["exit_code"] == 7


def test_json_errors_carry_the_status(sandbox: Sandbox) -> None:
    sandbox.add_fault("endpoint=twitter.publish_tweet,status=429")
    code, _, err = _tweet(sandbox, "--json", "--retries", "0")
    document = json.loads(err)
    assert (code, document["status"], document["retryable"]) == (5, 429, True)
    assert document["outcome_known"] is True
    assert "private" not in err and os.environ["ONEALL_PRIVATE_KEY"] not in err


def test_interrupted_before_sending(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(cls: type[OneAll], /, **overrides: object) -> OneAll:
        raise KeyboardInterrupt

    monkeypatch.setattr(OneAll, "from_env", classmethod(interrupted))
    code, _, err = _tweet(sandbox)
    assert code == 130
    assert "before any request was sent" in err


def test_interrupted_after_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the answer is awaited: 130, and the message says a request went out."""
    listener = socket.create_server(("127.0.0.1", 0))
    received = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            received.set()
            os.kill(os.getpid(), signal.SIGINT)
            conn.recv(1)  # hold the connection until the client gives up

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    monkeypatch.setenv("ONEALL_BASE_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
    monkeypatch.setenv("ONEALL_PUBLIC_KEY", "pub")
    monkeypatch.setenv("ONEALL_PRIVATE_KEY", "priv")
    try:
        code, _, err = run_cli(
            "twitter", "publish-tweet", "--identity", "t", "--message", "m", "--timeout", "30"
        )
    finally:
        listener.close()
        thread.join(5)
    assert received.is_set()
    assert code == 130
    assert "after a request was sent" in err


def test_help_shows_the_table() -> None:
    assert EXIT_CODES_HELP in build_parser().format_help()
    for argv in (("twitter", "publish-tweet"), ("x", "upload")):
        code, out, _ = run_cli(*argv, "--help")
        assert code == 0
        assert EXIT_CODES_HELP in out, argv


def test_readme_documents_the_same_table() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for code, meaning in _MEANINGS.items():
        assert f"| {int(code)} | {meaning} |" in readme, code


def test_a_closed_stdout_ends_quietly(oneall_sandbox_fresh: Sandbox) -> None:
    env = {
        **os.environ,
        **{f"ONEALL_{k.upper()}": v for k, v in oneall_sandbox_fresh.client_kwargs().items()},
    }
    token = oneall_sandbox_fresh.token("twitter")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oneall_push.cli",
            "twitter",
            "publish-tweet",
            "--identity",
            token,
            "--message",
            "piped",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader went away before the result was printed
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(60) == 0
    assert err == b""
    assert len(oneall_sandbox_fresh.records(endpoint="twitter.publish_tweet")) == 1


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.UnreadableSuccessError("x", status=200, body_excerpt="", endpoint=None), 7),
        (errors.ResponseDecodeError("x", status=502, body_excerpt="", endpoint=None), 6),
        (errors.ResponseDecodeError("x", status=400, body_excerpt="", endpoint=None), 4),
        (errors.XUsageCappedError(429), 4),
        (errors.XDuplicateContentError(403), 4),
        (errors.XOAuthRefreshError("token endpoint answered 503", status=503), 3),
        (errors.XReauthorizationRequiredError("invalid_request", status=400), 3),
        (errors.XRateLimitError(429), 5),
        (errors.ProxyRefusedError(407), 3),
        (errors.ProxyRefusedError(502), 6),
        (errors.JobTimeoutError("j", 1.0), 7),
        (errors.JobFailedError("j", 500, "boom"), 6),
        (errors.MediaProcessingTimeoutError("m", 1.0, None), 7),
        (errors.MediaProcessingError("m", code=1, name=None, message=None), 4),
        (errors.MediaSourceError("m", rule="r", bytes_acknowledged=0, total_bytes=1), 2),
        (errors.MediaSessionExpiredError("m", bytes_acknowledged=0, total_bytes=1, reason="x"), 5),
        (
            errors.MediaUploadAbortedError(
                "m",
                bytes_acknowledged=0,
                total_bytes=1,
                reason="connection lost",
                cause=errors.OutcomeUnknownError("read timeout"),
            ),
            5,
        ),
        (
            errors.MediaUploadAbortedError(
                "m",
                bytes_acknowledged=0,
                total_bytes=1,
                reason="refused",
                cause=errors.AuthenticationError(401, "no"),
            ),
            3,
        ),
        (errors.MediaAfterFinalizeError("m", step="status", media=None, cause=OSError()), 7),
        (errors.CallbackStoreError("down"), 1),
    ],
)
def test_every_error_class_has_its_code(error: BaseException, expected: int) -> None:
    assert exit_code_for(error) == expected
