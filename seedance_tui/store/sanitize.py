"""The last line of defence for saving: a document JSON cannot carry is made storable, never refused.

Numbers from the network are range-checked where they are read; this only runs when something
slipped through anyway, so that one bad value can never stop every other job from being saved.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from seedance_tui.jsonlimits import INT_RANGE, MAX_DEPTH

#: Nesting beyond this is cut (a stored job is a few levels deep, metadata at most MAX_DEPTH more).
_MAX_DOC_DEPTH = MAX_DEPTH + 8


def encodable(doc: Any) -> bool:
    """True when orjson can encode ``doc`` as the store writes it."""
    try:
        orjson.dumps(doc)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return True


def storable(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with every unstorable part replaced by None (unknown), keys made strings."""
    if depth > _MAX_DOC_DEPTH:
        return None
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value in INT_RANGE else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {storable(str(key)): storable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item, depth + 1) for item in value]
    return None
