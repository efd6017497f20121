"""The sandbox's login control over the inspection API, and its per-provider fault key."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from oneall_push.sandbox import FaultRule, Sandbox


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
