"""A dashboard without a screen, for the one-poller suite: a real JobService holding or following the lease.

Run as ``python -m tests.reliability.lease_worker URL STORE RPS [--no-lease]`` from the project root.
It prints ``role <role>`` at start and whenever its role changes, and runs until killed. ``Window``
starts one and follows what it says. ``--no-lease``: every process polls (the behaviour before).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

from seedance_tui.polling import RequestBudget
from seedance_tui.polling.lease import PollerLease, RoleState, api_fingerprint
from seedance_tui.polling.pg_lease import PgPollerLease
from tests.conftest import API_KEY
from tests.reliability.helpers import ROOT, build_service, running


class Window:
    """One worker process (a dashboard without a screen) and the roles it has announced."""

    def __init__(self, url: str, store: Path | str, rps: float, *, lease: bool = True) -> None:
        argv = [sys.executable, "-m", "tests.reliability.lease_worker", url, str(store), str(rps)]
        self.process = subprocess.Popen(
            [*argv, *([] if lease else ["--no-lease"])], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        self.roles: list[tuple[float, str]] = []
        self._reader = asyncio.get_running_loop().run_in_executor(None, self._read)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("role "):
                self.roles.append((time.monotonic(), line.split()[1]))

    @property
    def role(self) -> str | None:
        return self.roles[-1][1] if self.roles else None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


async def follow_or_poll(url: str, store: str, rps: float, lease: bool) -> None:
    # The lease a dashboard gets: a lock file beside the store, or an advisory lock in the database.
    pg = store.startswith("postgresql://")
    chosen = (
        PgPollerLease(store, api_fingerprint(url, API_KEY)) if pg else PollerLease(Path(store), url, API_KEY)
    )
    service = build_service(
        url,
        store,
        budget=RequestBudget(requests_per_second=rps, concurrency=4),
        lease=chosen if lease else None,
        flush_interval=0.2,
    )

    def said(state: RoleState) -> None:
        print(f"role {state.role}", flush=True)

    service.add_role_listener(said)
    if not lease:
        said(service.role)
    async with running(service):
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("store", help="a store path or a postgresql:// URL")
    parser.add_argument("rps", type=float)
    parser.add_argument("--no-lease", action="store_true")
    args = parser.parse_args()
    asyncio.run(follow_or_poll(args.url, args.store, args.rps, not args.no_lease))


if __name__ == "__main__":
    main()
