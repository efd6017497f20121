"""Valid inputs and OneAll-shaped answers for every table row (shared by both test halves)."""

from __future__ import annotations

import json
from typing import Any

from oneall_push import Request, Response

PICTURE = "https://example.com/a.png"
VIDEO = "https://example.com/party.mp4"

# Minimal valid keyword arguments per endpoint id (path params beyond identity_token first).
SAMPLES: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "facebook.publish_user_post": ((), {"message": "Hello"}),
    "facebook.upload_user_picture": ((), {"url": PICTURE, "create_post": False}),
    "facebook.upload_user_video": ((), {"url": VIDEO}),
    "facebook.publish_group_post": ((), {"id": "12345", "message": "Hi group"}),
    "facebook.upload_group_picture": ((), {"id": "12345", "url": PICTURE}),
    "facebook.upload_group_video": ((), {"id": "12345", "url": VIDEO}),
    "facebook.publish_page_post": (
        (),
        {"id": "4563453", "message": "Hi", "link": "https://www.oneall.com/"},
    ),
    "facebook.upload_page_picture": ((), {"id": "4563453", "url": PICTURE}),
    "facebook.upload_page_video": ((), {"id": "4563453", "url": VIDEO}),
    "linkedin.publish_user_post": ((), {"message": "Hello LinkedIn"}),
    "linkedin.publish_company_post": ((), {"company": "987", "message": "News"}),
    "pinterest.publish_pin": (("board-42",), {"picture": PICTURE, "description": "Pin"}),
    "pinterest.publish_board": ((), {"name": "Recipes"}),
    "twitter.publish_tweet": ((), {"message": "Hello", "attachments": ["910890718352281600"]}),
    "twitter.upload_picture": ((), {"url": PICTURE}),
    "twitter.upload_video": ((), {"video_url": VIDEO}),
    "youtube.upload_video": ((), {"video_url": VIDEO, "title": "Party"}),
    "youtube.add_video_to_playlist": (("PL123",), {"id": "dQw4w9WgXcQ"}),
    "youtube.create_playlist": ((), {"title": "Best of", "privacy_status": "unlisted"}),
    "youtube.add_channel_section": (
        (),
        {"type": "singlePlaylist", "playlists": ["PL123"], "default_language": "en"},
    ),
}

RESULT_DATA: dict[str, dict[str, Any]] = {
    "PostResult": {"post_id": "910891858989060096", "post_location": "https://x.com/s/1"},
    "PictureResult": {"picture_id": "1120592651986796544", "picture_location": "https://p/1"},
    "VideoResult": {
        "video_id": "1120592651986796544",
        "date_creation": "Tue, 23 Apr 2019 09:36:28 +0200",
    },
    "QueuedResult": {"result": "The video has been added to the queue and will be uploaded soon."},
    "PinResult": {"pin_id": "5551", "pin_location": "https://pinterest.com/pin/5551"},
    "BoardResult": {"board_id": "77"},
    "PlaylistResult": {"playlist_id": "PL999"},
    "PlaylistVideoResult": {"playlist_id": "PL123", "video_id": "dQw4w9WgXcQ"},
    "ChannelSectionResult": {"section_id": "UC.sec1"},
}


def envelope(
    resource: str,
    *,
    code: int = 200,
    info: str = "Your request has been processed successfully",
    data: dict[str, Any] | None = None,
    date: str = "Thu, 21 Sep 2017 15:56:59  0200",
) -> dict[str, Any]:
    flag = "success" if code < 400 else "error"
    body: dict[str, Any] = {
        "response": {
            "request": {
                "date": date,
                "resource": resource,
                "status": {"flag": flag, "code": code, "info": info},
            }
        }
    }
    if data is not None:
        body["response"]["result"] = {"data": data}
    return body


def json_response(
    document: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        status=status,
        headers={"content-type": "application/json", **(headers or {})},
        body=json.dumps(document).encode(),
    )


def answer_for(result_name: str, provider: str = "twitter", obj: str = "post") -> Any:
    """A mock handler answering every request with a success envelope for ``result_name``."""

    def handler(request: Request) -> Response:
        path = request.url.split("://", 1)[1].split("/", 1)[1]
        data = {"provider": provider, "object": obj, **RESULT_DATA[result_name]}
        return json_response(envelope("/" + path, data=data))

    return handler


def body_of(request: Request) -> Any:
    assert request.body is not None
    return json.loads(request.body)
