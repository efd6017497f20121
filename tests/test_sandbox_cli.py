"""The ``oneall-push`` command: demo, sandbox options and one command per table row."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import attrs
import pytest

from oneall_push import AsyncOneAll, OneAll
from oneall_push._convert import _wire_name
from oneall_push.cli import build_parser, main
from oneall_push.cli._demo import run_demo
from oneall_push.endpoints import ENDPOINTS, Endpoint, by_id
from oneall_push.sandbox import QUEUED_TEXT, FaultRule, Sandbox, SandboxConfig
from oneall_push.sandbox.xmedia import XMediaSandbox
from tests.support.samples import SAMPLES

ROOT = Path(__file__).resolve().parent.parent


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
    assert "All 15 steps passed" in out
    # The user guide gives the same count.
    guide = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    assert re.findall(r"\((\d+) steps\)", guide) == ["15"]
    assert "callback received: video_id" in out
    assert re.search(r"^10\. ok    X: chunked media upload \(v2\)", out, re.MULTILINE), out
    assert "processing: pending -> in_progress 33% -> succeeded 100%" in out
    assert "BadRequestError (HTTP 400)" in out
    assert "[request->push->post]" in out


async def test_the_demo_fails_loudly_when_a_step_fails() -> None:
    rule = FaultRule.parse("endpoint=linkedin.publish_company_post,status=500")
    sandbox = Sandbox(
        SandboxConfig(callback_delay=0.01, faults=(rule,)),
        x_media=XMediaSandbox(check_after_secs=0),
    )
    out = io.StringIO()
    assert await run_demo(sandbox, out) == 1
    assert "FAIL  LinkedIn: publish a company post" in out.getvalue()
    assert "ServerError" in out.getvalue()
    assert "1 of 15 steps FAILED" in out.getvalue()


def _steps(out: str) -> list[tuple[int, str, str]]:
    return [
        (int(m[1]), m[2], m[3])
        for m in re.finditer(r"^ ?(\d+)\. (ok|FAIL|SKIP) +(.+?)(?:  \(|$)", out, re.MULTILINE)
    ]


def test_the_demo_exits_1_through_main_when_a_step_fails() -> None:
    code, out, _ = run_cli(
        "demo", "--callback-delay", "0.01", "--fault", "endpoint=pinterest.publish_pin,status=500"
    )
    assert code == 1, out
    steps = _steps(out)
    assert [number for number, _, _ in steps] == list(range(1, 16))
    assert [title for _, outcome, title in steps if outcome != "ok"] == ["Pinterest: publish a pin"]
    assert "1 of 15 steps FAILED." in out


def test_the_demo_shows_the_steps_it_had_to_skip() -> None:
    code, out, _ = run_cli(
        "demo", "--callback-delay", "0.01", "--fault", "endpoint=twitter.upload_picture,status=500"
    )
    assert code == 1, out
    steps = _steps(out)
    assert [number for number, _, _ in steps] == list(range(1, 16))
    assert steps[1:3] == [
        (2, "FAIL", "Twitter: upload a picture"),
        (3, "SKIP", "Twitter: tweet with the picture attached"),
    ]
    assert all(outcome == "ok" for _, outcome, _ in [steps[0], *steps[3:]])
    assert "1 of 15 steps FAILED, 1 skipped." in out


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


# Values the samples leave out, so every kind of option is exercised: ints, booleans, lists.
ROW_EXTRAS: dict[str, dict[str, Any]] = {
    "youtube.add_video_to_playlist": {"position": 2},
    "youtube.add_channel_section": {"position": 1, "playlists": ["PL1", "PL2"]},
    "facebook.upload_page_picture": {"description": "A picture"},
    "facebook.publish_group_post": {"attachments": ["1001", "1002"]},
}


def _row_argv(endpoint: Endpoint, token: str, values: dict[str, Any]) -> list[str]:
    path_args = SAMPLES[endpoint.id][0]
    argv = [endpoint.provider, endpoint.name.replace("_", "-"), "--identity", token]
    for name, value in zip(endpoint.path_params[1:], path_args, strict=True):
        argv += ["--" + name.replace("_", "-"), value]
    for key, value in values.items():
        option = key.replace("_", "-")
        if value is True or value is False:
            argv.append(f"--{option}" if value else f"--no-{option}")
        elif isinstance(value, list):
            argv += [f"--{option}", *value]
        else:
            argv += [f"--{option}", str(value)]
    return argv


def test_row_options_survive_resolved_type_hints() -> None:
    # cattrs resolves the models' string annotations into real types; the options must not change.
    for endpoint in ENDPOINTS:
        attrs.resolve_types(endpoint.request)
    argv = "youtube add-channel-section --identity t --type singlePlaylist --playlists PL1 PL2"
    args = build_parser().parse_args([*argv.split(), "--position", "3"])
    assert args.field__playlists == ["PL1", "PL2"]
    assert args.field__position == 3
    args = build_parser().parse_args(
        ["facebook", "upload-user-picture", "--identity", "t", "--url", "u", "--no-create-post"]
    )
    assert args.field__create_post is False


def _use_sandbox(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in sandbox.client_kwargs().items():
        monkeypatch.setenv(f"ONEALL_{key.upper()}", value)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_every_row_command_publishes(
    oneall_sandbox_fresh: Sandbox, monkeypatch: pytest.MonkeyPatch, endpoint: Endpoint
) -> None:
    sandbox = oneall_sandbox_fresh
    _use_sandbox(sandbox, monkeypatch)
    token = sandbox.token(endpoint.provider)
    values = {**SAMPLES[endpoint.id][1], **ROW_EXTRAS.get(endpoint.id, {})}
    if endpoint.id == "twitter.publish_tweet":
        upload = by_id("twitter.upload_picture")
        code, out, err = run_cli(*_row_argv(upload, token, SAMPLES[upload.id][1]))
        assert code == 0, err
        values["attachments"] = [json.loads(out)["picture_id"]]
    if endpoint.async_callback:
        values["callback_url"] = sandbox.sink_url("cli")

    code, out, err = run_cli(*_row_argv(endpoint, token, values))

    if endpoint.deprecated:
        assert code == 3
        assert err.startswith("PermissionDeniedError: HTTP 403")
        assert endpoint.deprecated in err
        assert sandbox.records(endpoint=endpoint.id) == []
        return
    assert code == 0, err
    document = json.loads(out)
    [record] = sandbox.records(endpoint=endpoint.id)
    wire = {a.name: _wire_name(a) for a in attrs.fields(endpoint.request)}
    assert record["payload"] == {wire[key]: value for key, value in values.items()}
    if endpoint.async_callback:
        assert document["job"]
        assert document["queued"] == {"object": "video", "result": QUEUED_TEXT}
        [delivery] = sandbox.wait_for_sink(1)
        assert delivery["body"]["response"]["result"]["data"]["video_id"]
    else:
        assert document == record["result"]


def test_a_row_command_reports_typed_errors(
    oneall_sandbox_fresh: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in oneall_sandbox_fresh.client_kwargs().items():
        monkeypatch.setenv(f"ONEALL_{key.upper()}", value)
    code, _, err = run_cli("twitter", "publish-tweet", "--identity", "nope", "--message", "m")
    assert code == 4
    assert err.startswith("NotFoundError: HTTP 404")


def test_a_row_command_without_credentials_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SUBDOMAIN", "PUBLIC_KEY", "PRIVATE_KEY", "BASE_URL"):
        monkeypatch.delenv(f"ONEALL_{name}", raising=False)
    code, _, err = run_cli("twitter", "publish-tweet", "--identity", "t", "--message", "m")
    assert code == 2
    assert "ONEALL_PUBLIC_KEY" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--fault", "status=418"), "status must be one of"),
        (("--fault", "latency=nan"), "latency must be a finite number"),
        (("--fault", "status=503,times=1.7"), "times must be an integer"),
        (("--callback-delay", "nan"), "--callback-delay must be a finite number"),
        (("--callback-delay", "-1"), "--callback-delay must be between 0 and 3600"),
    ],
)
def test_bad_sandbox_options_are_usage_errors(argv: tuple[str, ...], message: str) -> None:
    for command in ("sandbox", "demo"):
        code, _, err = run_cli(command, *argv)
        assert code == 2
        assert message in err


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


def _post(url: str, auth: tuple[str, str], body: Any) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    basic = base64.b64encode(":".join(auth).encode()).decode()
    request.add_header("Authorization", f"Basic {basic}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code


def test_the_sandbox_command_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "oneall_push.cli", "sandbox", "--port", "0"]
    command += ["--fault", "status=503,times=1", "--seed", "3"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        printed = "".join(lines)
        assert "Press Ctrl+C" in printed, printed + (proc.stderr.read() if proc.stderr else "")
        values = dict(re.findall(r"^  (ONEALL_[A-Z_]+)=(\S+)$", printed, re.MULTILINE))
        base_url = values["ONEALL_BASE_URL"]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        auth = (values["ONEALL_PUBLIC_KEY"], values["ONEALL_PRIVATE_KEY"])
        token = re.findall(r"^    twitter +(\S+)$", printed, re.MULTILINE)[0]
        assert re.search(r"^  fault #1: .*status=503", printed, re.MULTILINE)
        assert f"X media upload API: {base_url}/x" in printed

        url = base_url + by_id("twitter.publish_tweet").render_path({"identity_token": token})
        body = {"request": {"push": {"post": {"message": "from a real process"}}}}
        assert [_post(url, auth, body) for _ in range(2)] == [503, 200]

        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert "sandbox stopped" in out
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
