"""The X media sandbox's own checks, as the client meets them.

Written once; the sync twin is generated."""

from __future__ import annotations

import json

import pytest

from oneall_push._io import (
    AsyncHttpTransport,
    Request,
    Timeout,
)
from oneall_push.errors import (
    RequestValidationError,
    XAPIError,
)
from oneall_push.sandbox.xmedia import XMediaSandbox
from tests.support.x_tokens import X_TOKEN

from .xmedia_support import (
    XFactory,
)


async def test_sandbox_low_level_checks(make_x: XFactory, x_sandbox: XMediaSandbox) -> None:
    x = make_x()
    session = await x.initialize(media_type="video/mp4", total_bytes=20)
    # 1-based segments are named at finalize.
    await x.append(session.id, 1, b"a" * 10)
    await x.append(session.id, 2, b"b" * 10)
    with pytest.raises(XAPIError) as info:
        await x.finalize(session.id)
    assert info.value.status == 400
    assert any("segment_index starts at 0" in m for m in info.value.messages)
    # Finalize before all bytes.
    other = await x.initialize(media_type="video/mp4", total_bytes=20, media_category="tweet_video")
    await x.append(other.id, 0, b"a" * 10)
    with pytest.raises(XAPIError) as info:
        await x.finalize(other.id)
    assert any("before all bytes" in m for m in info.value.messages)
    # Too many bytes.
    await x.append(other.id, 1, b"b" * 11)
    with pytest.raises(XAPIError) as info:
        await x.finalize(other.id)
    assert any("mismatch" in m for m in info.value.messages)
    # Unknown media id.
    with pytest.raises(XAPIError) as info:
        await x.status("1234")
    assert info.value.status == 404 and info.value.type is not None
    assert "resource-not-found" in info.value.type
    with pytest.raises(RequestValidationError):
        await x.append(other.id, 1000, b"x")


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data, boundary=abc",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ],
)
async def test_sandbox_rejects_bad_append_content_type(
    content_type: str, make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    session = await make_x().initialize(media_type="video/mp4", total_bytes=10)
    transport = AsyncHttpTransport()
    try:
        response = await transport.send(
            Request(
                "POST",
                f"{x_sandbox.base_url}/2/media/upload/{session.id}/append",
                headers={"Authorization": f"Bearer {X_TOKEN}", "Content-Type": content_type},
                body=b"--abc\r\n\r\n--abc--\r\n",
                timeout=Timeout(),
            )
        )
    finally:
        await transport.close()
    assert response.status == 400
    document = json.loads(response.body)
    assert document["errors"][0]["message"] == (
        "Requests with bodies must have content-type of application/json."
    )


async def test_sandbox_requires_segment_index_and_json_finalize(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    session = await make_x().initialize(media_type="video/mp4", total_bytes=10)
    transport = AsyncHttpTransport()
    base = f"{x_sandbox.base_url}/2/media/upload/{session.id}"
    auth = {"Authorization": f"Bearer {X_TOKEN}"}
    body = (
        b'--b1\r\nContent-Disposition: form-data; name="media"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n0123456789\r\n--b1--\r\n"
    )
    try:
        missing = await transport.send(
            Request(
                "POST",
                base + "/append",
                headers={**auth, "Content-Type": "multipart/form-data; boundary=b1"},
                body=body,
            )
        )
        bodiless = await transport.send(Request("POST", base + "/finalize", headers=auth))
    finally:
        await transport.close()
    assert missing.status == 400
    assert json.loads(missing.body)["errors"][0]["message"] == "segment_index is required"
    assert bodiless.status == 400
    assert "application/json" in json.loads(bodiless.body)["errors"][0]["message"]


# --- sandbox checks ----------------------------------------------------------------------------


async def test_sandbox_names_a_gap_in_the_middle(make_x: XFactory) -> None:
    x = make_x()
    session = await x.initialize(media_type="video/mp4", total_bytes=30)
    await x.append(session.id, 0, b"a" * 10)
    await x.append(session.id, 2, b"c" * 10)
    with pytest.raises(XAPIError) as info:
        await x.finalize(session.id)
    assert any("segments missing before finalize: [1]" in m for m in info.value.messages)


async def test_sandbox_rejects_a_non_ascii_filename(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    session = await make_x().initialize(media_type="video/mp4", total_bytes=10)
    body = (
        b'--b1\r\nContent-Disposition: form-data; name="segment_index"\r\n\r\n0\r\n'
        b'--b1\r\nContent-Disposition: form-data; name="media"; filename="caf\xc3\xa9.mp4"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n0123456789\r\n--b1--\r\n"
    )
    transport = AsyncHttpTransport()
    try:
        response = await transport.send(
            Request(
                "POST",
                f"{x_sandbox.base_url}/2/media/upload/{session.id}/append",
                headers={
                    "Authorization": f"Bearer {X_TOKEN}",
                    "Content-Type": "multipart/form-data; boundary=b1",
                },
                body=body,
            )
        )
    finally:
        await transport.close()
    assert response.status == 400
    assert "non-ASCII filename" in json.loads(response.body)["errors"][0]["message"]
    assert x_sandbox.uploads[session.id].received == 0


# --- the sandbox: auth before faults, one multipart check, checked settings ------------------


async def test_sandbox_checks_the_token_before_faults(
    make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    init = x_sandbox.add_fault(endpoint="initialize", status=503)
    status = x_sandbox.add_fault(endpoint="status", status=503)
    stranger = make_x(bearer_token="x-SECRET-wrong")
    with pytest.raises(XAPIError) as info:
        await stranger.initialize(media_type="video/mp4", total_bytes=10)
    assert info.value.status == 401
    with pytest.raises(XAPIError) as info:
        await stranger.status("1")
    assert info.value.status == 401
    assert (init.hits, status.hits) == (0, 0)
    with pytest.raises(XAPIError) as info:
        await make_x().initialize(media_type="video/mp4", total_bytes=10)
    assert info.value.status == 503 and init.hits == 1


@pytest.mark.parametrize("path", ["append", "one-shot"])
@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=", "multipart/mixed"])
async def test_sandbox_wants_a_multipart_boundary_everywhere(
    path: str, content_type: str, make_x: XFactory, x_sandbox: XMediaSandbox
) -> None:
    session = await make_x().initialize(media_type="video/mp4", total_bytes=10)
    url = f"{x_sandbox.base_url}/2/media/upload"
    if path == "append":
        url += f"/{session.id}/append"
    transport = AsyncHttpTransport()
    try:
        response = await transport.send(
            Request(
                "POST",
                url,
                headers={"Authorization": f"Bearer {X_TOKEN}", "Content-Type": content_type},
                body=b"--\r\n\r\n----\r\n",
            )
        )
    finally:
        await transport.close()
    assert response.status == 400
    assert "content-type of application/json" in json.loads(response.body)["errors"][0]["message"]
    assert len(x_sandbox.uploads) == 1
