"""A dashboard without a screen, for the one-poller suite: a real JobService holding or following the lease.

Run as ``python -m tests.reliability.lease_worker URL STORE RPS`` from the project root. It prints
``role <role>`` at start and whenever its role changes, and runs until killed.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from seedance_tui.polling import RequestBudget
from seedance_tui.polling.lease import PollerLease, RoleState
from tests.conftest import API_KEY
from tests.reliability.helpers import build_service, running


async def follow_or_poll(url: str, store: Path, rps: float) -> None:
    service = build_service(
        url,
        store,
        budget=RequestBudget(requests_per_second=rps, concurrency=4),
        lease=PollerLease(store, url, API_KEY),
        flush_interval=0.2,
    )

    def said(state: RoleState) -> None:
        print(f"role {state.role}", flush=True)

    service.add_role_listener(said)
    async with running(service):
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("store", type=Path)
    parser.add_argument("rps", type=float)
    args = parser.parse_args()
    asyncio.run(follow_or_poll(args.url, args.store, args.rps))


if __name__ == "__main__":
    main()
