"""The Push client: credentials, settings and the provider groups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .._config import (
    USER_AGENT,
    Credentials,
    RetryPolicy,
    check_network,
    check_user_agent,
    resolve_base_url,
)
from .._config import settings_from_env as _settings_from_env
from .._io import AsyncBackend, AsyncDefaultTransport, AsyncTransport, Timeout
from .._observe import Observer
from .._retry import PushRetryRules
from .._secret import sealed_headers
from ..errors import ConfigurationError
from ._base_client import AsyncBaseClient
from .fan_out import run_fan_out
from .jobs import AsyncJobManager

if TYPE_CHECKING:
    import ssl

    from ..callbacks.config import CallbackConfig
    from ..fanout import FanOutEntry, FanOutReport, Target
    from ..hooks import Hooks
    from ..reconcile import Verdict
    from ._accounts import AsyncConnections, AsyncIdentities, AsyncSharing, AsyncUsers
    from ._resources import (
        AsyncFacebook,
        AsyncLinkedIn,
        AsyncPinterest,
        AsyncTwitter,
        AsyncYouTube,
    )
    from .stores import AsyncCallbackStore

__all__ = ["AsyncOneAll"]


class AsyncOneAll(AsyncBaseClient):
    """Client for the OneAll Push API.

    One method per documented resource, grouped by provider: ``client.twitter.publish_tweet``,
    ``client.facebook.publish_page_post``, ... Use it as a context manager, or call
    :meth:`close` when done.
    """

    def __init__(
        self,
        *,
        public_key: str,
        private_key: str,
        subdomain: str | None = None,
        base_url: str | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        callbacks: CallbackConfig | None = None,
        callback_store: AsyncCallbackStore | None = None,
        transport: AsyncTransport | None = None,
        backend: AsyncBackend | None = None,
        user_agent: str | None = None,
        strict_results: bool = False,
        proxy: str | None = None,
        trust_env: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        hooks: Hooks | None = None,
        tracing: bool = True,
    ) -> None:
        check_network(transport, proxy, trust_env, ssl_context)
        self._credentials = Credentials(public_key, private_key)
        self.base_url = resolve_base_url(subdomain, base_url)
        self.timeout = Timeout.coerce(timeout, Timeout())
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy or None")
        if not isinstance(strict_results, bool):
            raise ConfigurationError("strict_results must be True or False")
        self._retry_rules = PushRetryRules(retry if retry is not None else RetryPolicy())
        self._transport = (
            transport
            if transport is not None
            else AsyncDefaultTransport(proxy=proxy, trust_env=trust_env, ssl_context=ssl_context)
        )
        self._backend = backend if backend is not None else AsyncBackend()
        # The Authorization value stays sealed in a closure; each request gets a copy.
        self._request_headers = sealed_headers(
            {
                "Authorization": self._credentials.authorization(),
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": check_user_agent(user_agent) or USER_AGENT,
            }
        )
        self._strict_results = strict_results
        self._observer = Observer("oneall", hooks=hooks, tracing=tracing)
        self.jobs = AsyncJobManager(callbacks, callback_store, self._backend)

    # The provider groups load the endpoint table and the request models on first use: a
    # client that is only built (a CLI's --help, say) does not pay for them.
    @cached_property
    def facebook(self) -> AsyncFacebook:
        """Facebook pages and groups (publishing to profiles is deprecated)."""
        from ._resources import AsyncFacebook

        return AsyncFacebook(self)

    @cached_property
    def linkedin(self) -> AsyncLinkedIn:
        """LinkedIn members and companies."""
        from ._resources import AsyncLinkedIn

        return AsyncLinkedIn(self)

    @cached_property
    def pinterest(self) -> AsyncPinterest:
        """Pinterest pins and boards."""
        from ._resources import AsyncPinterest

        return AsyncPinterest(self)

    @cached_property
    def twitter(self) -> AsyncTwitter:
        """Twitter/X posts, pictures and videos."""
        from ._resources import AsyncTwitter

        return AsyncTwitter(self)

    @cached_property
    def youtube(self) -> AsyncYouTube:
        """YouTube videos, playlists and channel sections."""
        from ._resources import AsyncYouTube

        return AsyncYouTube(self)

    @cached_property
    def connections(self) -> AsyncConnections:
        """Connections: resolve a login's connection_token to its user and identity."""
        from ._accounts import AsyncConnections

        return AsyncConnections(self)

    @cached_property
    def users(self) -> AsyncUsers:
        """Users and their identities (``users.get(user_token).identities``)."""
        from ._accounts import AsyncUsers

        return AsyncUsers(self)

    @cached_property
    def identities(self) -> AsyncIdentities:
        """Identities: read, synchronize, relink, delete."""
        from ._accounts import AsyncIdentities

        return AsyncIdentities(self)

    @cached_property
    def sharing(self) -> AsyncSharing:
        """Social Sharing messages: publish to several of a user's networks at once."""
        from ._accounts import AsyncSharing

        return AsyncSharing(self)

    @classmethod
    def from_env(cls, **overrides: Any) -> AsyncOneAll:
        """Build a client from ONEALL_SUBDOMAIN, ONEALL_PUBLIC_KEY, ONEALL_PRIVATE_KEY and
        ONEALL_BASE_URL; keyword arguments override them."""
        settings: dict[str, Any] = dict(_settings_from_env())
        settings.update(overrides)
        return cls(**settings)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"public_key={self._credentials.public_key!r})"
        )

    async def __aenter__(self) -> AsyncOneAll:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def fan_out(
        self,
        targets: Iterable[Target[Any]],
        *,
        concurrency: int = 8,
        per_provider: int | Mapping[str, int] | None = None,
        skip: FanOutReport | Iterable[FanOutEntry] | None = None,
        on_entry: Callable[[FanOutEntry], object] | None = None,
        reconcile: bool = False,
    ) -> FanOutReport:
        """Run each target (built with ``oneall_push.fanout.target``) once, at most
        ``concurrency`` at a time and ``per_provider`` per provider (one limit for all, or a
        mapping such as ``{"twitter": 4}``).

        Nothing is retried beyond the client's own rules, so an unknown outcome is never sent
        twice. Errors do not raise: each target gets an entry (``succeeded``, ``failed`` with
        ``retryable``, ``unknown``), passed to ``on_entry`` as soon as it is known, so a
        script can journal them. Targets whose key ``skip`` (an earlier report or journaled
        entries) lists as succeeded or unknown are not run again (``skipped``). With
        ``reconcile=True`` each unknown entry gets the ``verdict`` of :meth:`reconcile`; one
        reconciled to ``NotPublished`` is in ``to_retry()`` and is not skipped on resume.
        """
        return await run_fan_out(
            self._backend,
            targets,
            concurrency=concurrency,
            per_provider=dict(per_provider) if isinstance(per_provider, Mapping) else per_provider,
            skip=skip,
            on_entry=on_entry,
            reconcile_with=self if reconcile else None,
        )

    async def reconcile(self, error: BaseException) -> Verdict:
        """Did the Push call that raised ``error`` (an ``OutcomeUnknownError``) publish?

        Looks the post up with the matching Pull resource (``twitter.publish_tweet`` ->
        ``twitter.list_tweets``, page posts -> ``facebook.list_page_posts``, ...) and answers
        ``Published`` (with the original call's typed result, rebuilt), ``NotPublished`` (safe
        to send again) or ``Undecidable`` (``reason``: no Pull resource for the endpoint,
        several matches, or the lookup failed). It never publishes anything.
        """
        from .reconcile import reconcile

        return await reconcile(self, error)

    async def close(self) -> None:
        """Release the connection pool (and the callback store, if this client made it)."""
        await self.jobs.close()
        await self._transport.close()
