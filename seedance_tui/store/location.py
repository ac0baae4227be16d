"""Store URLs: a path or ``tinydb:///path`` (the default file store) or ``postgresql://...``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit, urlunsplit

from seedance_tui.store.errors import StoreError

POSTGRES_SCHEMES = ("postgresql", "postgres")


class StoreLocation(NamedTuple):
    """A parsed store URL: a tinydb file, or a PostgreSQL connection string."""

    path: Path | None = None
    conninfo: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.conninfo is not None

    def __str__(self) -> str:
        return mask_url(self.conninfo) if self.conninfo is not None else str(self.path)


def parse_store_url(text: str | Path) -> StoreLocation:
    """The store ``text`` names; StoreError for a scheme this version does not know."""
    if isinstance(text, Path):
        return StoreLocation(path=text.expanduser())
    raw = text.strip()
    scheme, sep, rest = raw.partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return StoreLocation(path=Path(raw).expanduser())
    scheme = scheme.lower()
    if scheme == "tinydb":
        if not rest.startswith("/") or len(rest) < 2:
            raise StoreError(
                f"A tinydb store URL needs an absolute path: tinydb:///path/to/jobs.json, not {raw}"
            )
        return StoreLocation(path=Path(unquote(rest)).expanduser())
    if scheme in POSTGRES_SCHEMES:
        return StoreLocation(conninfo=raw)
    raise StoreError(
        f"Unknown store URL scheme {scheme!r} in {mask_url(raw)}: use a file path, tinydb:///path "
        "or postgresql://user@host/database"
    )


def mask_url(text: str) -> str:
    """``text`` with any password replaced by ``***`` (URL user:password@ or conninfo password=)."""
    text = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", text, flags=re.IGNORECASE)
    try:
        parts = urlsplit(text)
    except ValueError:
        return re.sub(r"//([^/@:]*):[^/@]*@", r"//\1:***@", text)
    if parts.password is None:
        return text
    host = parts.netloc.rpartition("@")[2]
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
