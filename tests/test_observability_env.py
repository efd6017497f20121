"""What observability costs a process that does not use it, and the ONEALL_PUSH_LOG switch.

Each check runs in a fresh interpreter: OpenTelemetry's global provider and logging handlers
are per process.
"""

from __future__ import annotations

import os
import subprocess
import sys

PRIVATE_KEY = "priv-ENV-LOG-SECRET-1b2c"
TOKEN = "idtok-env-SECRET-77"

CALL = f"""
import json
from oneall_push import OneAll, SyncMockTransport, Response

def answer(request):
    body = {{"response": {{"request": {{"date": "", "resource": "/x", "status":
        {{"flag": "success", "code": 200, "info": ""}}}},
        "result": {{"data": {{"provider": "twitter", "object": "post", "post_id": "1"}}}}}}}}
    return Response(200, {{"content-type": "application/json"}}, json.dumps(body).encode())

with OneAll(subdomain="demo", public_key="pub", private_key={PRIVATE_KEY!r},
            transport=SyncMockTransport(answer)) as client:
    client.twitter.publish_tweet({TOKEN!r}, message="hi")
"""


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ONEALL_PUSH_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environment
    )


def test_oneall_push_log_debug_writes_each_attempt_to_stderr() -> None:
    done = _run(CALL, ONEALL_PUSH_LOG="debug")
    assert done.returncode == 0, done.stderr
    assert "DEBUG oneall_push twitter.publish_tweet POST" in done.stderr
    assert "-> 200" in done.stderr and "attempt 1: done" in done.stderr
    assert PRIVATE_KEY not in done.stderr and TOKEN not in done.stderr


def test_without_the_switch_the_library_logs_nothing() -> None:
    done = _run(CALL)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    info = _run(CALL, ONEALL_PUSH_LOG="info")  # no retry, no warning: nothing at INFO
    assert info.returncode == 0 and info.stderr == ""


def test_calls_never_import_opentelemetry() -> None:
    """Installed is not used: without the application importing it, no import cost."""
    done = _run(CALL + "\nimport sys\nprint('opentelemetry' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_opentelemetry_without_a_provider_makes_no_span() -> None:
    probe = (
        "import opentelemetry.trace as trace\n"
        "import oneall_push._tracing as tracing\n"
        "from oneall_push import Request\n"
        "print(tracing.start_span('oneall', Request('POST', 'https://h/p')))\n" + CALL
    )
    done = _run(probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
