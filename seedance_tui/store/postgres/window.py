"""Which of an account's jobs a PostgreSQL store holds in memory: what is needed to paint.

At open: every unfinished job, and the newest RECENT_CAP of those finished within ``recent_days``
(the tinydb store's rule: its archive takes finished jobs older than ``archive_after_days``).
Afterwards: any job another process changes while it is unfinished, or since the store opened
(so a poller's results on another machine show at once, while ``store copy`` of an old history
into the account loads nothing). Every other job is the history, paged in on demand.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from seedance_tui.models import is_final
from seedance_tui.store.merge import Document
from seedance_tui.store.postgres.history import UNFINISHED

#: At most this many finished jobs are loaded at open, newest first; the rest is the history.
RECENT_CAP = 2_000
#: A change counts as made since the store opened when its row says so within this slack (other
#: machines' clocks may run behind ours).
CLOCK_SLACK = 3_600.0

Where = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Window:
    #: Finished jobs last changed before this are left to the history (None: hold every job).
    cutoff: float | None
    #: Rows changed after this are taken in when another process announces them.
    watch_since: float

    @classmethod
    def opening_now(cls, recent_days: float) -> Window:
        """The window of a store opening now (``recent_days`` <= 0: every job, as before paging)."""
        if recent_days <= 0:
            return cls(None, -math.inf)
        now = time.time()
        return cls(now - recent_days * 86_400, now - CLOCK_SLACK)

    def at_open(self, account: str) -> list[Where]:
        """The conditions (``WHERE`` clauses and their parameters) of the rows loaded at open."""
        if self.cutoff is None:
            return [("account = %s", (account,))]
        return [
            (f"account = %s AND {UNFINISHED}", (account,)),
            (
                f"account = %s AND NOT ({UNFINISHED}) AND updated_at >= %s ORDER BY created_at DESC LIMIT %s",
                (account, self.cutoff, RECENT_CAP),
            ),
        ]

    def watched(self, account: str, held: list[str]) -> Where:
        """The condition of the rows whose changes are taken in: held ones, unfinished ones, and
        those changed since the store opened."""
        return (
            f"account = %s AND ({UNFINISHED} OR updated_at >= %s OR local_id = ANY(%s))",
            (account, self.watch_since, held),
        )

    def holds(self, doc: Document) -> bool:
        """True for a job a store opening now would load (unfinished, or finished recently)."""
        updated = doc.get("updated_at")
        return (
            self.cutoff is None
            or not is_final(str(doc.get("status")))
            or (isinstance(updated, int | float) and updated >= self.cutoff)
        )
