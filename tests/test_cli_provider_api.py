"""The Update and Pull rows in the CLI: one command each under its provider, run against the
sandbox."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest

from oneall_push.cli import build_parser
from oneall_push.endpoints import PROVIDER_API_ENDPOINTS, ApiEndpoint
from oneall_push.sandbox import Sandbox
from tests.test_sandbox_cli import run_cli


@pytest.mark.parametrize("endpoint", PROVIDER_API_ENDPOINTS, ids=lambda e: e.id)
def test_every_update_and_pull_row_has_a_command(endpoint: ApiEndpoint) -> None:
    parser = build_parser()
    help_text = io.StringIO()
    with redirect_stdout(help_text), pytest.raises(SystemExit):
        parser.parse_args([endpoint.group, endpoint.name.replace("_", "-"), "--help"])
    # argparse wraps long paths anywhere: compare without the white space.
    assert endpoint.path in "".join(help_text.getvalue().split())


def test_list_and_delete_tweets_from_the_command_line(
    oneall_sandbox_fresh: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = oneall_sandbox_fresh
    for key, value in sandbox.client_kwargs().items():
        monkeypatch.setenv(f"ONEALL_{key.upper()}", value)
    token = sandbox.token("twitter")
    for text in ("first", "second"):
        code, _, err = run_cli("twitter", "publish-tweet", "--identity", token, "--message", text)
        assert code == 0, err
    code, out, err = run_cli(
        "twitter", "list-tweets", "--identity-token", token, "--num-tweets", "1"
    )
    assert code == 0, err
    [newest] = json.loads(out)["items"]
    assert newest["text"] == "second"
    code, out, err = run_cli(
        "twitter", "delete-tweet", "--identity-token", token, "--post-id", newest["id"]
    )
    assert code == 0, err
    assert json.loads(out)["deleted"] is True and json.loads(out)["id"] == newest["id"]
    code, _, err = run_cli(
        "twitter", "delete-tweet", "--identity-token", token, "--post-id", newest["id"]
    )
    assert code == 4 and "NotFoundError" in err
    facebook = sandbox.token("facebook")
    code, out, err = run_cli(
        "facebook", "list-pages", "--identity-token", facebook, "--page-size", "2"
    )
    assert code == 0, err
    assert len(json.loads(out)) == 3
