"""Which proxy a request goes through, for both transports (colour-free).

With ``proxy=`` every request uses that proxy. Without it, and unless ``trust_env=False``, the
standard variables decide, as curl, requests and httpx read them: ``HTTPS_PROXY`` /
``HTTP_PROXY`` (or ``ALL_PROXY``) by the URL's scheme, except for hosts that ``NO_PROXY``
names. A proxy URL may carry credentials (``http://user:secret@proxy:3128``);
:func:`redact_proxy` hides them wherever a proxy is shown.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigurationError

__all__ = ["ProxyRoutes", "check_proxy", "proxy_for", "redact_proxy"]


class ProxyRoutes:
    """Which proxy each origin (``scheme://host:port``) uses, decided once per origin."""

    def __init__(self, proxy: str | None, trust_env: bool) -> None:
        self.proxy = check_proxy(proxy)
        self.trust_env = trust_env
        self._by_origin: dict[str, str | None] = {}

    def __repr__(self) -> str:
        proxy = None if self.proxy is None else redact_proxy(self.proxy)
        return f"proxy={proxy!r}, trust_env={self.trust_env!r}"

    def for_url(self, url: str) -> str | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._by_origin:
            self._by_origin[origin] = proxy_for(url, proxy=self.proxy, trust_env=self.trust_env)
        return self._by_origin[origin]


def check_proxy(proxy: str | None) -> str | None:
    """Refuse a proxy URL that is not ``http://`` (the scheme both transports support)."""
    if proxy is None:
        return None
    parts = urlsplit(proxy)
    if parts.scheme != "http" or not parts.hostname:
        raise ConfigurationError(
            f"proxy must be an http:// URL with a host, not {redact_proxy(proxy)!r}"
        )
    return proxy


def proxy_for(url: str, *, proxy: str | None, trust_env: bool) -> str | None:
    """The proxy URL for a request to ``url``, or ``None`` to connect directly."""
    if proxy is not None:
        return proxy
    if not trust_env:
        return None
    parts = urlsplit(url)
    found = urllib.request.getproxies_environment()
    chosen = found.get(parts.scheme) or found.get("all")
    if not chosen or _bypassed(parts.hostname or "", parts.port, found.get("no", "")):
        return None
    if "://" not in chosen:
        chosen = "http://" + chosen  # HTTP_PROXY=proxy:3128 is common
    return check_proxy(chosen)


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` names the host: ``*``, the host itself (``host:port`` for one port
    only) or a domain it is in (``example.com`` and ``.example.com`` both cover
    ``api.example.com``)."""
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and (not entry_port.isdigit() or int(entry_port) != port):
            continue
        name = name.strip("[]").lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


def redact_proxy(proxy: str) -> str:
    """``http://user:secret@proxy:3128`` -> ``http://user:***@proxy:3128``."""
    parts = urlsplit(proxy)
    if parts.password is None:
        return proxy
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
