"""Sample arguments and answers for every account row (connections, users, identities, sharing)."""

from __future__ import annotations

from typing import Any

ACCESS_TOKEN = "ya29.ACCESS-TOKEN-7c1e"
ACCESS_SECRET = "oauth1-SECRET-88aa"
IDENTITY = "2d1a0f4c-ident-0001"
USER = "8c7b6a5d-user-0001"
CONNECTION = "c0nn-0001"
MESSAGE = "share-msg-0001"


def identity_node(token: str = IDENTITY, provider: str = "twitter") -> dict[str, Any]:
    return {
        "identity_token": token,
        "user_token": USER,
        "provider": provider,
        "id": "12345",
        "displayName": "Ada",
        "preferredUsername": "ada",
        "profileUrl": "https://twitter.com/ada",
        "emails": [{"value": "ada@example.com", "is_verified": True}],
        "date_creation": "Thu, 21 Sep 2017 15:56:59 +0200",
        "source": {
            "name": "Twitter",
            "key": provider,
            "access_token": {"key": ACCESS_TOKEN, "secret": ACCESS_SECRET},
        },
    }


def user_node(shape: str = "list") -> dict[str, Any]:
    identities: Any = [identity_node(), identity_node("2d1a0f4c-ident-0002", "facebook")]
    if shape == "wrapped":
        identities = {"identity": identities}
    return {"user_token": USER, "uuid": "u-1", "identities": identities}


def message_node() -> dict[str, Any]:
    return {
        "sharing_message_token": MESSAGE,
        "date_creation": "Thu, 21 Sep 2017 15:56:59 +0200",
        "date_last_published": "Thu, 21 Sep 2017 15:57:01 +0200",
        "publications": [
            {
                "status": {"flag": "success", "code": 200, "message": "Published"},
                "provider": "twitter",
                "user_token": USER,
                "identity_token": IDENTITY,
                "date_publication": "Thu, 21 Sep 2017 15:57:00 +0200",
            },
            {
                "status": {"flag": "error", "code": 403, "message": "Permission denied"},
                "provider": "facebook",
                "user_token": USER,
                "identity_token": "2d1a0f4c-ident-0002",
            },
        ],
    }


CONNECTION_DATA = {
    "connection": {"connection_token": CONNECTION, "date": "Thu, 21 Sep 2017 15:56:59 +0200",
                   "plugin": "social_login"},
    "user": {"user_token": USER, "identity": identity_node()},
}  # fmt: skip

# id -> (positional args, keyword args, result.data, expected path, query, body node or None)
ACCOUNT_SAMPLES: dict[str, tuple[tuple[Any, ...], dict[str, Any], Any, str, dict[str, str], Any]] = {
    "connections.get": ((CONNECTION,), {}, CONNECTION_DATA, f"/connections/{CONNECTION}.json", {}, None),
    "users.get": ((USER,), {}, {"user": user_node()}, f"/users/{USER}.json", {}, None),
    "users.contacts": ((USER,), {}, {"contacts": [{"name": "Bob", "profileUrl": "https://x.example/bob"}]},
                       f"/users/{USER}/contacts.json", {}, None),
    "users.delete": ((USER,), {}, None, f"/users/{USER}.json", {"confirm_deletion": "true"}, None),
    "identities.get": ((IDENTITY,), {}, {"identity": identity_node()}, f"/identities/{IDENTITY}.json", {}, None),
    "identities.synchronize": ((IDENTITY,), {"force_token_update": True}, {"identity": identity_node()},
                               f"/identities/{IDENTITY}/synchronize.json", {},
                               {"synchronize": {"update_user_data": True, "force_token_update": True}}),
    "identities.relink": ((IDENTITY, "other-user"), {}, {"identity": identity_node()},
                          f"/identities/{IDENTITY}/link.json", {}, {"user": {"user_token": "other-user"}}),
    "identities.delete": ((IDENTITY,), {}, None, f"/identities/{IDENTITY}.json",
                          {"confirm_deletion": "true"}, None),
    "identities.contacts": ((IDENTITY,), {}, {"contacts": []}, f"/identities/{IDENTITY}/contacts.json", {}, None),
    "sharing.publish": ((), {"user_token": USER, "providers": ["twitter", "facebook"], "text": "Hi",
                              "link_url": "https://example.com/a", "link_name": "A"},
                        {"sharing_message": message_node()}, "/sharing/messages.json", {},
                        {"sharing_message": {
                            "publish_for_user": {"user_token": USER, "providers": ["twitter", "facebook"]},
                            "parts": {"text": {"body": "Hi"},
                                      "link": {"url": "https://example.com/a", "name": "A"},
                                      "flags": {"enable_tracking": 0}}}}),
    "sharing.get": ((MESSAGE,), {}, {"sharing_message": message_node()}, f"/sharing/messages/{MESSAGE}.json", {}, None),
    "sharing.republish": ((MESSAGE,), {"identity_token": IDENTITY}, {"sharing_message": message_node()},
                          f"/sharing/messages/{MESSAGE}.json", {},
                          {"sharing_message": {"publish_for_identity": {"identity_token": IDENTITY}}}),
    "sharing.delete": ((MESSAGE,), {}, None, f"/sharing/messages/{MESSAGE}.json", {}, None),
}  # fmt: skip

LIST_ITEMS: dict[str, Any] = {
    "connections.list": lambda n: {"connection_token": f"c-{n}", "date": None},
    "users.list": lambda n: {"user_token": f"u-{n}"},
    "identities.list": lambda n: identity_node(f"i-{n}"),
    "sharing.list": lambda n: {"sharing_message_token": f"m-{n}"},
}
