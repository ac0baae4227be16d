"""Who is calling: the simulator's reading of the Authorization header."""

from __future__ import annotations

from enum import StrEnum


class KeyVerdict(StrEnum):
    """What the simulator makes of a request's key."""

    VALID = "valid"
    MISSING = "missing"
    INVALID = "invalid"
    REVOKED = "revoked"


def bearer_key(authorization: str | None) -> str | None:
    """The key in ``Authorization: Bearer <key>``, or None when the header is absent or not Bearer."""
    if not authorization:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def judge_key(key: str | None, api_keys: frozenset[str] | None) -> KeyVerdict:
    """Valid keys are the configured ones, or any ``sd2_...`` key; keys containing ``revoked`` are refused."""
    if key is None:
        return KeyVerdict.MISSING
    known = key.startswith("sd2_") if api_keys is None else key in api_keys
    if not known:
        return KeyVerdict.INVALID
    return KeyVerdict.REVOKED if "revoked" in key else KeyVerdict.VALID
