"""One sample call per Update and Pull row: (args, kwargs, answer data, path, query, body)."""

from __future__ import annotations

from typing import Any

T = "7f2c1b9e-ident-0001"
P = f"/pull/identities/{T}"
U = f"/update/identities/{T}"

Sample = tuple[tuple[Any, ...], dict[str, Any], Any, str, dict[str, str], Any]

TWEET = {
    "tweet_id": "1120592651986796544",
    "text": "hello",
    "date_creation": "Tue, 23 Apr 2019 09:36:28 +0200",
}

SAMPLES: dict[str, Sample] = {
    "facebook.update_page_post": (
        (T, "1122", "1122_333"),
        {"message": "fixed typo", "link": "https://example.com/a"},
        None,
        f"{U}/facebook/page/1122/post/1122_333.json",
        {},
        {"update": {"post": {"message": "fixed typo", "link": "https://example.com/a"}}},
    ),
    "facebook.delete_page_post": (
        (T, "1122", "1122_333"),
        {},
        None,
        f"{U}/facebook/page/1122/post/1122_333.json",
        {},
        None,
    ),
    "facebook.delete_page_picture": (
        (T, "1122", "98765"),
        {},
        None,
        f"{U}/facebook/page/1122/picture/98765.json",
        {},
        None,
    ),
    "facebook.delete_page_video": (
        (T, "1122", "4567"),
        {},
        None,
        f"{U}/facebook/page/1122/video/4567.json",
        {},
        None,
    ),
    "pinterest.update_pin": (
        (T, "555"),
        {"board": "recipes", "description": "new text"},
        None,
        f"{U}/pinterest/pin/555.json",
        {},
        {"update": {"pin": {"board": "recipes", "description": "new text"}}},
    ),
    "pinterest.delete_pin": ((T, "555"), {}, None, f"{U}/pinterest/pin/555.json", {}, None),
    "twitter.delete_tweet": (
        (T, "1120592651986796544"),
        {},
        None,
        f"{U}/twitter/post/1120592651986796544.json",
        {},
        None,
    ),
    "youtube.update_channel_section": (
        (T, "UC1.sec"),
        {"title": "Best of", "default_language": "en", "position": 2},
        None,
        f"{U}/youtube/channel/section/UC1.sec.json",
        {},
        {
            "update": {
                "channel": {"section": {"title": "Best of", "defaultLanguage": "en", "position": 2}}
            }
        },
    ),
    "youtube.delete_channel_section": (
        (T, "UC1.sec"),
        {},
        None,
        f"{U}/youtube/channel/section/UC1.sec.json",
        {},
        None,
    ),
    "youtube.update_playlist": (
        (T, "PLx"),
        {"title": "Talks", "privacy_status": "unlisted"},
        None,
        f"{U}/youtube/playlist/PLx.json",
        {},
        {"update": {"playlist": {"title": "Talks", "privacy_status": "unlisted"}}},
    ),
    "youtube.delete_playlist": ((T, "PLx"), {}, None, f"{U}/youtube/playlist/PLx.json", {}, None),
    "youtube.delete_playlist_video": (
        (T, "PLx", "vid1"),
        {},
        None,
        f"{U}/youtube/playlist/PLx/video/vid1.json",
        {},
        None,
    ),
    "linkedin.list_user_posts": (
        (T,),
        {},
        {"posts": [{"post_id": "urn:li:share:1", "message": "hi"}]},
        f"{P}/linkedin/user/posts.json",
        {},
        None,
    ),
    "linkedin.list_companies": (
        (T,),
        {},
        {"companies": {"entries": [{"company_id": "42", "name": "ACME"}]}},
        f"{P}/linkedin/companies.json",
        {},
        None,
    ),
    "linkedin.list_company_posts": (
        (T, "42"),
        {},
        {"posts": [{"id": "urn:li:share:2", "text": "news"}]},
        f"{P}/linkedin/company/42/posts.json",
        {},
        None,
    ),
    "pinterest.list_boards": (
        (T,),
        {},
        {"boards": [{"board_id": "77", "name": "recipes"}]},
        f"{P}/pinterest/boards.json",
        {},
        None,
    ),
    "pinterest.list_board_pins": (
        (T, "77"),
        {},
        {"pins": [{"pin_id": "555", "note": "soup"}]},
        f"{P}/pinterest/board/77/pins.json",
        {},
        None,
    ),
    "pinterest.list_pins": (
        (T,),
        {},
        {"pins": {"pin": [{"pin_id": "556"}]}},
        f"{P}/pinterest/pins.json",
        {},
        None,
    ),
    "twitter.list_tweets": (
        (T,),
        {"num_tweets": 5, "after_tweet_id": "1000"},
        {"tweets": {"entries": [TWEET]}},
        f"{P}/twitter/tweets.json",
        {"num_tweets": "5", "after_tweet_id": "1000"},
        None,
    ),
    "youtube.list_videos": (
        (T,),
        {},
        {"videos": [{"video_id": "abc", "title": "Demo"}]},
        f"{P}/youtube/videos.json",
        {},
        None,
    ),
}

# Paged Pull rows: (path args, path, one raw item of the list).
PAGED: dict[str, tuple[tuple[str, ...], str, dict[str, Any]]] = {
    "facebook.list_pages": ((T,), f"{P}/facebook/pages.json", {"page_id": "1122", "name": "Shop"}),
    "facebook.list_groups": ((T,), f"{P}/facebook/groups.json", {"group_id": "9", "name": "Club"}),
    "facebook.list_likes": ((T,), f"{P}/facebook/likes.json", {"id": "3", "name": "Band"}),
    "facebook.list_posts": ((T,), f"{P}/facebook/posts.json", {"post_id": "1_2", "message": "m"}),
    "facebook.list_page_posts": (
        (T, "1122"),
        f"{P}/facebook/page/1122/posts.json",
        {"post_id": "1122_3"},
    ),
    "facebook.list_group_posts": (
        (T, "9"),
        f"{P}/facebook/group/9/posts.json",
        {"post_id": "9_4"},
    ),
}
