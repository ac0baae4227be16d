"""Bounds on JSON from outside (API replies, webhook bodies, ``--metadata``), so none can exhaust us.

A real reply is a few hundred bytes and three levels deep; these limits are far beyond that,
and anything past them is refused as malformed rather than parsed, stored or recursed into.
"""

from __future__ import annotations

from typing import Any

import orjson

#: Largest reply body read from the API (decoded bytes).
MAX_REPLY_BYTES = 4 * 1024 * 1024
#: Deepest nesting of objects and arrays accepted anywhere JSON is read.
MAX_DEPTH = 32
#: Longest request id believed (the contract's look like ``req_1234567890``).
MAX_ID_CHARS = 256
#: Encoded size of the unknown fields of a reply that are kept with a job.
MAX_EXTRA_BYTES = 8 * 1024
#: Whole numbers the job store can hold (tinydb's JSON, orjson: signed or unsigned 64 bits).
INT_RANGE = range(-(2**63), 2**64)


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        super().__init__(f"nested more than {limit} levels deep")


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests objects or arrays more than ``limit`` deep (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def load_json(raw: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """Parse JSON from outside: no NaN/Infinity, at most ``limit`` deep; ValueError otherwise."""
    try:
        value = orjson.loads(raw)  # orjson itself refuses NaN and stops at 1,024 levels, never recursing
    except orjson.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None
    if depth_exceeds(value, limit):
        raise TooDeep(limit)
    return value


def bounded_int(value: Any) -> int | None:
    """A whole number the store can keep, or None (unknown) for anything else: bools, huge, fractional."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():  # also False for inf and nan
            return None
        value = int(value)
    if isinstance(value, int) and value in INT_RANGE:
        return value
    return None


def bounded_fields(fields: dict[str, Any], limit: int = MAX_EXTRA_BYTES) -> dict[str, Any]:
    """The fields whose encoded size fits in ``limit`` bytes together (first come first kept)."""
    kept: dict[str, Any] = {}
    used = 0
    for key, value in fields.items():
        try:
            size = len(key) + len(orjson.dumps(value))
        except (TypeError, orjson.JSONEncodeError):
            continue
        if used + size <= limit:
            kept[key] = value
            used += size
    return kept
