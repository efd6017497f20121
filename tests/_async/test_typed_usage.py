"""User-style code calling every endpoint: checked by ``mypy --strict`` and run on the mock."""

from __future__ import annotations

import json
import warnings

from oneall_push import AsyncJob, AsyncMockTransport, AsyncOneAll, Request, Response
from oneall_push.endpoints import by_id
from oneall_push.models import (
    BoardResult,
    ChannelSectionResult,
    PictureResult,
    PinResult,
    PlaylistResult,
    PlaylistVideoResult,
    PostResult,
    VideoResult,
)
from tests.support.samples import RESULT_DATA, answer_for

from .conftest import ClientFactory

T = "identity-token"
PNG = "https://example.com/a.png"
MP4 = "https://example.com/a.mp4"


def handler(request: Request) -> Response:
    # Each row answers with its own result shape, so every typed field below is real.
    assert request.endpoint is not None
    endpoint = by_id(request.endpoint)
    name = "QueuedResult" if endpoint.async_callback else endpoint.result.__name__
    return answer_for(name)(request)  # type: ignore[no-any-return]


async def test_every_endpoint_type_checks_and_runs(make_client: ClientFactory) -> None:
    client: AsyncOneAll = make_client(handler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        p1: PostResult = await client.facebook.publish_user_post(T, message="m", link=PNG)
        p2: PictureResult = await client.facebook.upload_user_picture(T, url=PNG, create_post=True)
        p3: VideoResult = await client.facebook.upload_user_video(T, url=MP4, description="d")
    p4: PostResult = await client.facebook.publish_group_post(T, id="1", message="m")
    p5: PictureResult = await client.facebook.upload_group_picture(T, id="1", url=PNG)
    p6: VideoResult = await client.facebook.upload_group_video(T, id="1", url=MP4)
    p7: PostResult = await client.facebook.publish_page_post(T, id="1", message="m", link=PNG)
    p8: PictureResult = await client.facebook.upload_page_picture(T, id="1", url=PNG)
    p9: VideoResult = await client.facebook.upload_page_video(T, id="1", url=MP4)
    p10: PostResult = await client.linkedin.publish_user_post(T, message="m", title="t")
    p11: PostResult = await client.linkedin.publish_company_post(T, company="9", link=PNG)
    p12: PinResult = await client.pinterest.publish_pin(T, "board", picture=PNG, link=PNG)
    p13: BoardResult = await client.pinterest.publish_board(T, name="n", description="d")
    p14: PostResult = await client.twitter.publish_tweet(T, message="m", attachments=["1", "2"])
    p15: PictureResult = await client.twitter.upload_picture(T, url=PNG, description="d")
    p16: AsyncJob[VideoResult] = await client.twitter.upload_video(T, video_url=MP4)
    p17: AsyncJob[VideoResult] = await client.youtube.upload_video(
        T, video_url=MP4, title="t", thumbnail_url=PNG
    )
    p18: PlaylistVideoResult = await client.youtube.add_video_to_playlist(T, "PL1", id="v")
    p19: PlaylistResult = await client.youtube.create_playlist(T, title="t", default_language="en")
    p20: ChannelSectionResult = await client.youtube.add_channel_section(
        T, type="multiplePlaylists", title="t", playlists=["PL1", "PL2"], position=0
    )
    simple = [p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p18, p19, p20]
    assert all(r.envelope.status.flag == "success" for r in simple)
    assert p16.queued is not None and p17.queued is not None
    video_id = RESULT_DATA["VideoResult"]["video_id"]
    assert [p3.video_id, p6.video_id, p9.video_id] == [video_id] * 3
    assert [p2.picture_id, p5.picture_id, p8.picture_id, p15.picture_id] == [
        RESULT_DATA["PictureResult"]["picture_id"]
    ] * 4
    assert p12.pin_id == RESULT_DATA["PinResult"]["pin_id"]
    assert p13.board_id == RESULT_DATA["BoardResult"]["board_id"]
    assert (p18.playlist_id, p18.video_id) == ("PL123", "dQw4w9WgXcQ")
    assert p19.playlist_id == RESULT_DATA["PlaylistResult"]["playlist_id"]
    assert p20.section_id == RESULT_DATA["ChannelSectionResult"]["section_id"]
    assert p16.record.endpoint == "twitter.upload_video"
    assert p17.record.endpoint == "youtube.upload_video"


async def test_results_chain_into_the_next_call_as_users_write_it(
    make_client: ClientFactory,
) -> None:
    # No "assert x is not None" between the calls: the ids are str, the checkers know it.
    client: AsyncOneAll = make_client(handler)
    picture = await client.twitter.upload_picture(T, url=PNG)
    await client.twitter.publish_tweet(T, message="m", attachments=[picture.picture_id])
    board = await client.pinterest.publish_board(T, name="n")
    await client.pinterest.publish_pin(T, board.board_id, picture=PNG)
    playlist = await client.youtube.create_playlist(T, title="t", privacy_status="unlisted")
    await client.youtube.add_video_to_playlist(T, playlist.playlist_id, id="v")
    transport = client._transport
    assert isinstance(transport, AsyncMockTransport)
    tweet, pin, added = (transport.requests[i] for i in (1, 3, 5))
    assert tweet.body is not None
    assert json.loads(tweet.body)["request"]["push"]["post"]["attachments"] == [
        RESULT_DATA["PictureResult"]["picture_id"]
    ]
    assert f"/board/{RESULT_DATA['BoardResult']['board_id']}/" in pin.url
    assert f"/playlist/{RESULT_DATA['PlaylistResult']['playlist_id']}/" in added.url
