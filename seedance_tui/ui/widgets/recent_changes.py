"""Which rows changed a moment ago, and how fresh the change still is (for a fading highlight)."""

from __future__ import annotations

#: Seconds a changed row stays fully highlighted, then how long it fades before going plain.
FRESH_SECONDS = 2.0
FADE_SECONDS = 4.0


class RecentChanges:
    """Change times per job; ``phase`` says how to draw a row: 2 fresh, 1 fading, 0 plain."""

    def __init__(self, fresh: float = FRESH_SECONDS, fade: float = FADE_SECONDS) -> None:
        self.fresh = fresh
        self.fade = fade
        self._at: dict[str, float] = {}

    def __bool__(self) -> bool:
        return bool(self._at)

    def mark(self, local_ids: list[str], now: float) -> None:
        for local_id in local_ids:
            self._at[local_id] = now

    def phase(self, local_id: str, now: float) -> int:
        at = self._at.get(local_id)
        if at is None:
            return 0
        age = now - at
        return 2 if age < self.fresh else 1 if age < self.fresh + self.fade else 0

    def forget_old(self, now: float) -> None:
        """Drop changes that no longer show (so an idle table keeps no state)."""
        limit = self.fresh + self.fade
        self._at = {local_id: at for local_id, at in self._at.items() if now - at < limit}
