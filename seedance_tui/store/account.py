"""An account's fingerprint: what a shared store keeps of the API key, to keep accounts apart."""

from __future__ import annotations

import hashlib

_DOMAIN = b"seedance-tui account v1\0"


def account_fingerprint(api_key: str | None) -> str:
    """A short one-way fingerprint of ``api_key`` (the key itself can never be read back from it)."""
    return "acct_" + hashlib.sha256(_DOMAIN + (api_key or "").encode("utf-8")).hexdigest()[:20]
