"""The ``oneall-push`` command: demo, sandbox options and one command per table row."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest

from oneall_push import AsyncOneAll, OneAll
from oneall_push.cli import build_parser, main
from oneall_push.cli._demo import run_demo
from oneall_push.endpoints import ENDPOINTS
from oneall_push.sandbox import FaultRule, Sandbox, SandboxConfig


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_the_demo_runs_green() -> None:
    code, out, _ = run_cli("demo", "--callback-delay", "0.01")
    assert code == 0, out
    assert "All 10 steps passed" in out
    assert "callback received: video_id" in out
    assert "BadRequestError (HTTP 400)" in out
    assert "[request->push->post]" in out


async def test_the_demo_fails_loudly_when_a_step_fails() -> None:
    rule = FaultRule.parse("endpoint=linkedin.publish_company_post,status=500")
    sandbox = Sandbox(SandboxConfig(callback_delay=0.01, faults=(rule,)))
    out = io.StringIO()
    assert await run_demo(sandbox, out) == 1
    assert "FAIL  LinkedIn: publish a company post" in out.getvalue()
    assert "ServerError" in out.getvalue()
    assert "1 of 10 steps FAILED" in out.getvalue()


def test_every_row_has_a_command() -> None:
    parser = build_parser()
    for endpoint in ENDPOINTS:
        help_text = io.StringIO()
        with redirect_stdout(help_text), pytest.raises(SystemExit):
            parser.parse_args([endpoint.provider, endpoint.name.replace("_", "-"), "--help"])
        assert endpoint.path in help_text.getvalue().replace("\n", " ")


def test_a_row_command_publishes(
    oneall_sandbox_fresh: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = oneall_sandbox_fresh
    for key, value in sandbox.client_kwargs().items():
        monkeypatch.setenv(f"ONEALL_{key.upper()}", value)
    code, out, err = run_cli(
        "pinterest",
        "publish-pin",
        "--identity",
        sandbox.token("pinterest"),
        "--board-id",
        "b-7",
        "--picture",
        "https://example.com/p.png",
        "--extra",
        "alt_text=a cat",
        "--extra",
        "rank=3",
    )
    assert code == 0, err
    assert json.loads(out)["pin_id"]
    [record] = sandbox.records()
    assert record["path_params"]["board_id"] == "b-7"
    assert record["payload"] == {
        "picture": "https://example.com/p.png",
        "alt_text": "a cat",
        "rank": 3,
    }


def test_a_row_command_reports_typed_errors(
    oneall_sandbox_fresh: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in oneall_sandbox_fresh.client_kwargs().items():
        monkeypatch.setenv(f"ONEALL_{key.upper()}", value)
    code, _, err = run_cli("twitter", "publish-tweet", "--identity", "nope", "--message", "m")
    assert code == 1
    assert err.startswith("NotFoundError: HTTP 404")


def test_a_row_command_without_credentials_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SUBDOMAIN", "PUBLIC_KEY", "PRIVATE_KEY", "BASE_URL"):
        monkeypatch.delenv(f"ONEALL_{name}", raising=False)
    code, _, err = run_cli("twitter", "publish-tweet", "--identity", "t", "--message", "m")
    assert code == 2
    assert "ONEALL_PUBLIC_KEY" in err


def test_bad_fault_specs_are_usage_errors() -> None:
    code, _, err = run_cli("sandbox", "--fault", "status=418")
    assert code == 2
    assert "status must be one of" in err


def test_the_plugin_fixtures_work(oneall_sandbox_fresh: Sandbox, oneall_client: OneAll) -> None:
    result = oneall_client.youtube.create_playlist(oneall_sandbox_fresh.token("youtube"), title="T")
    assert result.playlist_id is not None and result.playlist_id.startswith("PL")


async def test_the_async_plugin_fixture_works(
    oneall_sandbox_fresh: Sandbox, async_oneall_client: AsyncOneAll
) -> None:
    result = await async_oneall_client.linkedin.publish_user_post(
        oneall_sandbox_fresh.token("linkedin"), message="hi"
    )
    assert result.post_id is not None and result.post_id.startswith("urn:li:share:")
