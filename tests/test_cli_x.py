"""``oneall-push x upload`` against the sandbox's X media emulator."""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from aiohttp import web

from oneall_push.cli import _x, main
from oneall_push.cli._demo import fake_mp4, run_demo
from oneall_push.sandbox import Sandbox, SandboxConfig
from oneall_push.sandbox._x_answers import problem as _problem
from oneall_push.sandbox.xmedia import XCredentials, XMediaSandbox

PNG = b"\x89PNG\r\n\x1a\n" + bytes(2000)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_cli(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def x(oneall_sandbox_fresh: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The sandbox with a one-off X token in X_BEARER_TOKEN, and quick processing polls."""
    sandbox = oneall_sandbox_fresh
    token = "x-cli-" + secrets.token_hex(16)
    monkeypatch.setattr(sandbox.x_media, "tokens", (token,))
    monkeypatch.setenv("X_BEARER_TOKEN", token)
    assert sandbox.x_media_url is not None
    monkeypatch.setenv("X_API_BASE_URL", sandbox.x_media_url)
    # The CLI keeps X's 1 s floor between status checks; the emulator here asks for none.
    monkeypatch.setattr(_x, "MIN_POLL_INTERVAL", 0.0)
    sandbox.x_media.check_after_secs = 0
    yield sandbox
    sandbox.x_media.reset()


def _token(sandbox: Sandbox) -> str:
    return sandbox.x_media.tokens[0]


def _echo_tokens(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the emulator's refusals quote the bearer token, as a careless server might: the
    error text then holds the token, and only the CLI's redaction keeps it off the screen."""
    x_media = sandbox.x_media
    check_auth, apply_fault = x_media._auth, x_media._fault
    token = _token(sandbox)

    def auth(request: web.Request) -> web.Response | None:
        failure = check_auth(request)
        if failure is None:
            return None
        presented = request.headers.get("Authorization", "")
        return _problem(failure.status, "Unauthorized", f"{presented} is not a known token")

    def fault(endpoint: str, segment_index: int | None = None) -> web.Response | None:
        failure = apply_fault(endpoint, segment_index)
        if failure is None:
            return None
        return _problem(failure.status, "Error", f"refused for Bearer {token}")

    monkeypatch.setattr(x_media, "_auth", auth)
    monkeypatch.setattr(x_media, "_fault", fault)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.bin"  # no extension: the type must come from the content
    path.write_bytes(fake_mp4(1024 * 1024))
    return path


def test_a_video_uploads_and_prints_the_media_as_json(x: Sandbox, clip: Path) -> None:
    code, out, err = run_cli("x", "upload", str(clip), "--chunk-size", "256K", "--json")
    assert code == 0, err
    document = json.loads(out)
    upload = x.x_media.uploads[document["id"]]
    assert upload.finalized and upload.received == clip.stat().st_size
    assert sorted(upload.segments) == [0, 1, 2, 3]
    assert document["media_key"] == upload.media_key
    assert document["size"] == clip.stat().st_size
    assert document["media_type"] == "video/mp4"
    assert document["media_category"] == "tweet_video"
    assert document["state"] == "succeeded"
    assert document["processing_info"]["state"] == "succeeded"
    assert _token(x) not in out + err


def test_an_image_needs_no_processing_and_gets_its_alt_text(x: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    code, out, err = run_cli("x", "upload", str(path), "--alt-text", "A cat", "--target", "dm")
    assert code == 0, err
    media_id = out.strip()
    upload = x.x_media.uploads[media_id]
    assert (upload.media_type, upload.media_category) == ("image/png", "dm_image")
    assert upload.processing is None
    assert upload.alt_text == "A cat"
    assert "processing:" not in err
    assert not [p for m, p, _ in x.x_media.log if m == "GET"], "an image was polled"


def test_options_reach_the_wire(x: Sandbox, clip: Path) -> None:
    code, out, err = run_cli(
        "x",
        "upload",
        str(clip),
        "--category",
        "amplify_video",
        "--media-type",
        "video/quicktime",
        "--no-wait",
        "--concurrency",
        "1",
        "--json",
    )
    assert code == 0, err
    document = json.loads(out)
    upload = x.x_media.uploads[document["id"]]
    assert (upload.media_type, upload.media_category) == ("video/quicktime", "amplify_video")
    assert document["state"] == "pending"
    assert not [p for m, p, _ in x.x_media.log if m == "GET"], "--no-wait polled"


def test_plain_progress_is_a_bounded_number_of_lines(x: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "long.mp4"
    path.write_bytes(fake_mp4(2 * 1024 * 1024))
    code, _, err = run_cli("x", "upload", str(path), "--chunk-size", "16K")
    assert code == 0, err
    assert len(x.x_media.uploads[next(iter(x.x_media.uploads))].segments) == 128
    assert "\r" not in err
    lines = err.splitlines()
    uploads = [line for line in lines if line.startswith("upload: ")]
    assert 1 <= len(uploads) <= 11, lines
    assert uploads[-1].startswith("upload: 100%  2.0 MiB of 2.0 MiB")
    assert [line for line in lines if line.startswith("processing: ")] == [
        "processing: pending",
        "processing: in_progress 33%",
        "processing: succeeded 100%",
    ]


def test_a_tty_gets_one_redrawn_line(x: Sandbox, clip: Path) -> None:
    code, out, err = run_cli("x", "upload", str(clip), "--chunk-size", "128K", err=_Tty())
    assert code == 0, err
    assert out.strip() in x.x_media.uploads
    assert err.count("\n") == 1 and err.endswith("\n")
    frames = err.rstrip("\n").split("\r")[1:]
    assert frames[0].startswith("upload [")
    assert re.search(r"100%  1\.0 MiB / 1\.0 MiB  [0-9.]+ MiB/s", err)
    assert frames[-1].startswith("uploaded 1.0 MiB (")
    assert "processing: succeeded 100%" in frames[-1]


def test_a_missing_token_is_a_usage_error_and_nothing_is_sent(
    x: Sandbox, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN")
    code, out, err = run_cli("x", "upload", str(clip))
    assert code == 2
    assert out == ""
    assert err.startswith("ConfigurationError: ") and "X_BEARER_TOKEN" in err
    assert len(err.splitlines()) == 1
    assert not x.x_media.log and not x.x_media.uploads


def test_a_missing_file_is_a_usage_error_and_nothing_is_sent(x: Sandbox, tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    code, out, err = run_cli("x", "upload", str(missing), "--bearer-token", _token(x))
    assert code == 2
    assert out == ""
    assert err.startswith("RequestValidationError: source: cannot read")
    assert "nope.mp4" in err
    assert not x.x_media.log and not x.x_media.uploads
    assert _token(x) not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--chunk-size", "lots"], "must be a size such as 4M"),
        (["--concurrency", "17"], "must be an integer from 1 to 16"),
        (["--deadline", "0"], "must be a positive number of seconds"),
        (["--category", "tweet_audio"], "invalid choice: 'tweet_audio'"),
    ],
)
def test_bad_flags_are_usage_errors(x: Sandbox, clip: Path, argv: list[str], message: str) -> None:
    code, out, err = run_cli("x", "upload", str(clip), *argv)
    assert out == ""
    assert code == 2
    assert message in err
    assert not x.x_media.log


def test_an_unknown_content_type_is_refused_before_anything_is_sent(
    x: Sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "notes.dat"
    path.write_bytes(b"just some text")
    code, _, err = run_cli("x", "upload", str(path))
    assert code == 2
    assert err.startswith("RequestValidationError: media_type: could not be detected")
    assert not x.x_media.log


def test_a_processing_failure_exits_4_with_the_typed_error(x: Sandbox, clip: Path) -> None:
    x.x_media.processing = "fail"
    code, out, err = run_cli("x", "upload", str(clip))
    assert code == 4
    assert out == ""
    [last] = err.splitlines()[-1:]
    assert last.startswith("MediaProcessingError: media ")
    assert "InvalidMedia (1): Unsupported video format" in last
    assert _token(x) not in err


def test_a_wrong_token_exits_3_and_is_not_printed(
    x: Sandbox, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _echo_tokens(x, monkeypatch)
    wrong = "wrong-" + secrets.token_hex(16)
    monkeypatch.setenv("X_BEARER_TOKEN", wrong)
    code, out, err = run_cli("x", "upload", str(clip))
    assert code == 3
    assert err.startswith("XAPIError: HTTP 401 from X media.initialize: Unauthorized")
    assert wrong not in out + err
    # X's answer quoted the token; the CLI printed the message without it.
    assert "Bearer <redacted> is not a known token" in err
    assert not x.x_media.uploads


@pytest.mark.parametrize("bad", ["\x7f", "\x01", " ", "\u00e9"])
def test_a_token_a_header_cannot_carry_is_a_usage_error_and_nothing_is_sent(
    x: Sandbox, clip: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    token = f"x-SECRET{bad}PART"
    monkeypatch.setenv("X_BEARER_TOKEN", token)
    code, out, err = run_cli("x", "upload", str(clip))
    assert code == 2
    assert out == ""
    assert err.startswith("ConfigurationError: bearer_token holds a character")
    assert "SECRET" not in err and "PART" not in err
    assert not x.x_media.log and not x.x_media.uploads


def test_an_abort_mid_upload_names_the_session(
    x: Sandbox, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _echo_tokens(x, monkeypatch)
    x.x_media.add_fault(endpoint="append", kind="status", status=400, segment_index=1)
    code, _, err = run_cli("x", "upload", str(clip), "--chunk-size", "256K", "--concurrency", "1")
    assert code == 4  # the cause, a 400, would be refused again
    [media_id] = x.x_media.uploads
    last = err.splitlines()[-1]
    assert last.startswith(f"MediaUploadAbortedError: upload of media {media_id} aborted after ")
    assert "not finalized" in last
    assert _token(x) not in err
    assert "refused for Bearer <redacted>" in last


def test_a_failure_after_finalize_prints_the_media_id_to_reuse(
    x: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _echo_tokens(x, monkeypatch)
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    x.x_media.add_fault(endpoint="metadata", kind="status", status=400)
    code, out, err = run_cli("x", "upload", str(path), "--alt-text", "A cat")
    assert code == 7
    assert out == ""
    [media_id] = x.x_media.uploads
    assert x.x_media.uploads[media_id].finalized
    [last] = err.splitlines()[-1:]
    assert _token(x) not in err
    assert last.startswith(f"MediaAfterFinalizeError: media {media_id} is uploaded (reuse its id")
    assert "setting its alt text failed" in last and "Bearer <redacted>" in last


def test_the_processing_deadline_exits_7_with_the_typed_timeout(
    x: Sandbox, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    x.x_media.processing = "stuck"
    monkeypatch.setattr(_x, "MIN_POLL_INTERVAL", 0.05)
    code, out, err = run_cli("x", "upload", str(clip), "--deadline", "0.3")
    assert code == 7
    assert out == ""
    last = err.splitlines()[-1]
    assert re.fullmatch(
        r"MediaProcessingTimeoutError: media \d+ still in_progress after the 0\.3 s deadline", last
    )
    assert "processing: in_progress 10%" in err


async def test_the_demo_fails_when_the_x_step_fails() -> None:
    sandbox = Sandbox(
        SandboxConfig(callback_delay=0.01),
        x_media=XMediaSandbox(check_after_secs=0, processing="fail"),
    )
    out = io.StringIO()
    assert await run_demo(sandbox, out) == 1
    report = out.getvalue()
    assert "10. FAIL  X: chunked media upload (v2) with progress and processing status" in report
    assert "MediaProcessingError: media " in report
    assert "1 of 15 steps FAILED" in report


# --- x post --------------------------------------------------------------------------------------

OAUTH1_VARS = {
    "X_CONSUMER_KEY": "ck-cli-" + secrets.token_hex(6),
    "X_CONSUMER_SECRET": "cs-cli-" + secrets.token_hex(12),
    "X_ACCESS_TOKEN": "2244994945-at" + secrets.token_hex(8),
    "X_ACCESS_TOKEN_SECRET": "ats-cli-" + secrets.token_hex(12),
}


@pytest.fixture
def x_oauth1(x: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The sandbox knowing one OAuth 1.0a consumer and user; only the four X_* variables set."""
    monkeypatch.setattr(
        x.x_media,
        "credentials",
        XCredentials(
            consumers={OAUTH1_VARS["X_CONSUMER_KEY"]: OAUTH1_VARS["X_CONSUMER_SECRET"]},
            access_tokens={
                OAUTH1_VARS["X_ACCESS_TOKEN"]: (OAUTH1_VARS["X_ACCESS_TOKEN_SECRET"], "783214")
            },
        ),
    )
    monkeypatch.delenv("X_BEARER_TOKEN")
    for name, value in OAUTH1_VARS.items():
        monkeypatch.setenv(name, value)
    return x


def _no_secret(sandbox: Sandbox, *texts: str) -> None:
    for secret in (_token(sandbox), *OAUTH1_VARS.values()):
        for text in texts:
            assert secret not in text


def test_post_prints_the_post_id(x: Sandbox) -> None:
    code, out, err = run_cli("x", "post", "Hello from the CLI")
    assert code == 0, err
    post = x.x_media.posts[out.strip()]
    assert post.body == {"text": "Hello from the CLI"}
    _no_secret(x, out, err)


def test_post_uploads_each_file_waits_and_attaches_them(
    x: Sandbox, clip: Path, tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    code, out, err = run_cli(
        "x", "post", "a clip and a cat", "--media", str(clip), "--media", str(image), "--json"
    )
    assert code == 0, err
    document = json.loads(out)
    post = x.x_media.posts[document["id"]]
    ids = [m["id"] for m in document["media"]]
    assert post.media_ids == tuple(ids) and len(ids) == 2
    assert all(x.x_media.uploads[i].finalized for i in ids)
    assert document["media"][0]["state"] == "succeeded"
    assert document["text"] == "a clip and a cat" and document["reply_to"] is None
    # The post went out after the video's processing was seen to succeed.
    paths = [p.removeprefix("/x") for _, p, _ in x.x_media.log]
    assert paths.index("/2/tweets") > max(i for i, p in enumerate(paths) if p == "/2/media/upload")
    assert "upload: 100%" in err and "processing: succeeded" in err
    _no_secret(x, out, err)


def test_post_replies(x: Sandbox) -> None:
    code, first, err = run_cli("x", "post", "first")
    assert code == 0, err
    code, second, err = run_cli("x", "post", "second", "--reply-to", first.strip())
    assert code == 0, err
    assert x.x_media.posts[second.strip()].in_reply_to == first.strip()


def test_post_with_oauth1_keys_from_the_environment(x_oauth1: Sandbox) -> None:
    code, out, err = run_cli("x", "post", "signed")
    assert code == 0, err
    assert x_oauth1.x_media.posts[out.strip()].author_id == "783214"
    _no_secret(x_oauth1, out, err)


def test_x_upload_takes_oauth1_keys_too(x_oauth1: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    code, out, err = run_cli("x", "upload", str(path))
    assert code == 0, err
    assert out.strip() in x_oauth1.x_media.uploads


def test_a_wrong_oauth1_secret_exits_3_and_is_not_printed(
    x_oauth1: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-" + secrets.token_hex(12)
    monkeypatch.setenv("X_CONSUMER_SECRET", wrong)
    code, out, err = run_cli("x", "post", "refused", "--json")
    assert code == 3
    assert out == ""
    document = json.loads(err)
    assert document["status"] == 401 and document["exit_code"] == 3
    assert wrong not in err
    _no_secret(x_oauth1, err)
    assert not x_oauth1.x_media.posts


def test_incomplete_oauth1_keys_are_a_usage_error_naming_the_missing(
    x_oauth1: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("X_ACCESS_TOKEN_SECRET")
    code, out, err = run_cli("x", "post", "nope")
    assert code == 2 and out == ""
    assert err.startswith("ConfigurationError: incomplete OAuth 1.0a credentials: set ")
    assert "X_ACCESS_TOKEN_SECRET" in err
    _no_secret(x_oauth1, err)
    assert not x_oauth1.x_media.log


def test_no_credentials_at_all_is_a_usage_error(
    x: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN")
    code, _, err = run_cli("x", "post", "nope")
    assert code == 2
    assert "X_BEARER_TOKEN" in err and "X_CONSUMER_KEY" in err
    assert not x.x_media.log


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--reply-to", "abc"], "reply_to: must be a string of 1 to 19 digits"),
        (["--media", "missing.png"], "--media: cannot read 'missing.png'"),
        (["--media", "a"] * 5, "media: takes 1 to 4 items"),
    ],
)
def test_bad_post_flags_are_refused_before_any_upload(
    x: Sandbox, argv: list[str], message: str
) -> None:
    code, out, err = run_cli("x", "post", "text", *argv)
    assert code == 2 and out == ""
    assert message in err
    assert not x.x_media.log


def test_empty_text_without_media_is_a_usage_error(x: Sandbox) -> None:
    code, _, err = run_cli("x", "post", " ")
    assert code == 2
    assert "text: must not be empty unless media is attached" in err
    assert not x.x_media.log


def test_duplicate_content_exits_4(x: Sandbox) -> None:
    assert run_cli("x", "post", "same words")[0] == 0
    code, out, err = run_cli("x", "post", "same words", "--json")
    assert code == 4 and out == ""
    document = json.loads(err)
    assert document["error"] == "XDuplicateContentError" and document["status"] == 403
    assert len(x.x_media.posts) == 1


def test_an_unreadable_answer_exits_7_and_is_not_sent_again(x: Sandbox, tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    fault = x.x_media.add_fault(endpoint="posts.create", kind="empty", status=201)
    code, out, err = run_cli("x", "post", "lost", "--media", str(image))
    assert code == 7 and out == ""
    assert fault.hits == 1
    assert [p for _, p, _ in x.x_media.log].count("/x/2/tweets") == 1
    [media_id] = x.x_media.uploads
    assert f"media uploaded before the failure (reuse their ids): {media_id}" in err
    assert err.splitlines()[-1].startswith("UnreadableSuccessError: ")
    _no_secret(x, err)


def test_a_refused_post_quoting_the_token_is_redacted(
    x: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    _echo_tokens(x, monkeypatch)
    x.x_media.add_fault(endpoint="posts.create", status=400)
    code, out, err = run_cli("x", "post", "refused")
    assert code == 4 and out == ""
    assert "refused for Bearer <redacted>" in err
    _no_secret(x, err)


def test_post_help_lists_the_credentials_and_exit_codes() -> None:
    code, out, _ = run_cli("x", "post", "--help")
    assert code == 0
    assert "X_CONSUMER_KEY" in out and "X_BEARER_TOKEN" in out
    assert "exit codes:" in out and "duplicate content" in out
