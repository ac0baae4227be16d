"""A process that archives a store's old finished jobs; the crash test SIGKILLs it at random moments.

Usage: python -m tests.reliability.archive_worker STORE OLDER_THAN NOW
Prints "ready" once the store is open (imports done) and "done" once the jobs are moved.
"""

from __future__ import annotations

import sys
from pathlib import Path

from seedance_tui.store import JobStore
from seedance_tui.store.archive import archive_finished


def main(store: str, older_than: str, now: str) -> None:
    with JobStore.open(Path(store)) as opened:
        print("ready", flush=True)
        archive_finished(opened, older_than=float(older_than), now=float(now))
        print("done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
