"""The sandbox's login control over the inspection API, and its per-provider fault key."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from contextlib import redirect_stdout

import pytest

from oneall_push.cli import build_parser
from oneall_push.endpoints import ACCOUNT_ENDPOINTS
from oneall_push.sandbox import FaultRule, Sandbox
from tests.test_sandbox_cli import run_cli


def post(url: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_inspection_api_logs_in(oneall_sandbox_fresh: Sandbox) -> None:
    status, body = post(f"{oneall_sandbox_fresh.base_url}/_sandbox/login", {"provider": "linkedin"})
    assert status == 201
    connection = oneall_sandbox_fresh.state.accounts.connections[str(body["connection_token"])]
    assert oneall_sandbox_fresh.state.identities[connection.identity_token].provider == "linkedin"
    assert connection.plugin == "social_login"


def test_the_inspection_api_refuses_an_unknown_provider(oneall_sandbox_fresh: Sandbox) -> None:
    status, body = post(f"{oneall_sandbox_fresh.base_url}/_sandbox/login", {"provider": "myspace"})
    assert status == 400 and "myspace" in str(body["error"])


def test_login_with_an_unknown_user_token_is_refused(oneall_sandbox_fresh: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown user_token"):
        oneall_sandbox_fresh.login("twitter", user_token="nobody")


def test_fault_rules_take_a_provider() -> None:
    rule = FaultRule.parse("endpoint=sharing.publish,provider=twitter,status=403")
    assert rule.provider == "twitter" and "provider=twitter" in rule.spec()
    with pytest.raises(ValueError, match="unknown provider"):
        FaultRule.parse("provider=myspace,status=500")


def test_every_account_row_has_a_command() -> None:
    parser = build_parser()
    for endpoint in ACCOUNT_ENDPOINTS:
        help_text = io.StringIO()
        with redirect_stdout(help_text), pytest.raises(SystemExit):
            parser.parse_args([endpoint.group, endpoint.name.replace("_", "-"), "--help"])
        assert endpoint.path in help_text.getvalue().replace("\n", " ")


def test_account_commands_read_publish_and_list(
    oneall_sandbox_fresh: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = oneall_sandbox_fresh
    for key, value in sandbox.client_kwargs().items():
        monkeypatch.setenv(f"ONEALL_{key.upper()}", value)
    connection = sandbox.login("twitter")
    code, out, err = run_cli("connections", "get", "--connection-token", connection)
    assert code == 0, err
    document = json.loads(out)
    assert document["identity"]["provider"] == "twitter"
    assert document["identity"]["access_token"] == "Secret('***')"
    user_token = document["user_token"]
    code, out, err = run_cli(
        "sharing", "publish", "--user-token", user_token, "--providers", "twitter",
        "--text", "from the command line",
    )  # fmt: skip
    assert code == 0, err
    assert [p["flag"] for p in json.loads(out)["publications"]] == ["success"]
    code, out, err = run_cli("users", "list", "--page-size", "1", "--limit", "2")
    assert code == 0, err
    assert len(json.loads(out)) == 2
    code, out, err = run_cli("identities", "get", "--identity-token", user_token)
    assert code == 4 and "TokenNotFoundError" in err and "expects a identity_token" in err
    code, _, err = run_cli("sharing", "publish", "--text", "to nobody")
    assert code == 2 and "RequestValidationError" in err


def test_sandbox_login_option_checks_the_provider() -> None:
    args = build_parser().parse_args(["sandbox", "--login", "twitter", "--login", "youtube"])
    assert args.login == ["twitter", "youtube"]
    code, _, err = run_cli("sandbox", "--port", "0", "--login", "myspace")
    assert code == 2
    assert "--login: unknown provider 'myspace'" in err
