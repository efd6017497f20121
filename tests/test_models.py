"""The models' shared repr: attrs' format, without the fields kept out of it."""

from __future__ import annotations

from oneall_push.models import PostResult, TwitterPost, TwitterVideo, YouTubePlaylist


def test_results_and_payloads_read_like_attrs_reprs() -> None:
    assert repr(PostResult(post_id="9", provider="twitter")) == (
        "PostResult(provider='twitter', object=None, post_id='9', post_location=None)"
    )
    assert repr(TwitterPost(message="hi", attachments=["1", "2"])) == (
        "TwitterPost(message='hi', location=None, attachments=('1', '2'))"
    )
    assert "privacy_status='unlisted'" in repr(
        YouTubePlaylist(title="t", privacy_status="unlisted")
    )


def test_a_signed_callback_url_stays_out_of_the_payload_repr() -> None:
    signed = "https://app.example/hooks/job-1?exp=1&sig=0123456789abcdef"
    video = TwitterVideo(video_url="https://example.com/v.mp4", callback_url=signed)
    assert video.callback_url == signed
    assert "sig=" not in repr(video) and "callback_url" not in repr(video)
    assert "envelope" not in repr(PostResult(post_id="9"))
