"""The dashboard's webhook settings, checked: from ``--webhook-listen`` and ``--webhook-public-url``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from seedance_tui.config import webhook_token


@dataclass(frozen=True)
class WebhookPlan:
    """Where the receiver listens, the base URL the API reaches it at, and the secret path segment."""

    host: str
    port: int
    public_url: str
    token: str = field(repr=False)


def parse_listen(text: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (``[::1]:PORT`` for IPv6); ValueError if malformed."""
    host, sep, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--webhook-listen: expected HOST:PORT, got {text!r}")
    return host, int(port)


def plan_from_flags(listen: str | None, public_url: str | None, config_path: Path) -> WebhookPlan | None:
    """None when webhooks are off; ValueError when only one flag is given or one is malformed."""
    if listen is None and public_url is None:
        return None
    if listen is None or public_url is None:
        raise ValueError("--webhook-listen and --webhook-public-url go together: give both or neither")
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"--webhook-public-url: expected an http(s) URL without query, got {public_url!r}")
    host, port = parse_listen(listen)
    return WebhookPlan(host, port, public_url.rstrip("/"), webhook_token(config_path))
