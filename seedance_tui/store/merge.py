"""The rule for two versions of one job written by different processes."""

from __future__ import annotations

from typing import Any

from seedance_tui.models import is_final

Document = dict[str, Any]


def _final(doc: Document) -> bool:
    status = doc.get("status")
    return isinstance(status, str) and is_final(status)


def _number(doc: Document, key: str) -> float:
    value = doc.get(key)
    return value if isinstance(value, int | float) else 0


def merge_docs(ours: Document, theirs: Document) -> Document:
    """The version to keep: a final status beats a non-final one, else the newer ``updated_at``
    (ours on a tie); ``poll_count`` is the larger of the two.

    Returns ``ours`` or ``theirs`` itself when nothing needs combining, so callers can tell by identity.
    """
    if _final(ours) != _final(theirs):
        winner = ours if _final(ours) else theirs
    else:
        winner = ours if _number(ours, "updated_at") >= _number(theirs, "updated_at") else theirs
    polls = max(_number(ours, "poll_count"), _number(theirs, "poll_count"))
    return winner if _number(winner, "poll_count") == polls else {**winner, "poll_count": polls}
