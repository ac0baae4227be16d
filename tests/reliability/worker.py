"""A worker process for the crash and multi-process suites: a real JobService submitting and polling.

Run as ``python -m tests.reliability.worker URL STORE ATTEMPTS_LOG TAG JOBS [--until-final]
[--orphan-age S]`` from the project root; STORE is a file or a store URL. Each submission is noted
in ATTEMPTS_LOG before it is made. It prints ``ready`` once its service runs; with ``--until-final``
it exits 0 when all its accepted jobs are final, else it polls until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from seedance_tui.service import SubmitError
from tests.reliability.helpers import build_service, request, running
from tests.support import until

#: Short enough that a restarted worker settles the jobs its killed predecessor left mid-POST.
ORPHAN_AGE = 0.5


async def work(
    url: str,
    store: str,
    attempts: Path,
    tag: str,
    jobs: int,
    until_final: bool,
    orphan_age: float = ORPHAN_AGE,
) -> None:
    """Submit ``jobs`` jobs one after the other while the service polls, then keep polling."""
    service = build_service(url, store, orphan_age=orphan_age)
    accepted: list[str] = []
    async with running(service):
        print("ready", flush=True)
        with attempts.open("a", encoding="utf-8") as log:
            for n in range(jobs):
                name = f"{tag}-{n}"
                # Written (to the kernel, which outlives a SIGKILL) before the POST can be sent.
                log.write(name + "\n")
                log.flush()
                with contextlib.suppress(SubmitError):
                    accepted.append((await service.submit(request(name))).local_id)
                await asyncio.sleep(0.05)
        if not until_final:
            await asyncio.Event().wait()
        await until(lambda: all(service.get(lid).is_final for lid in accepted), 30, "own jobs final")  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("store", help="a store file or URL")
    parser.add_argument("attempts", type=Path)
    parser.add_argument("tag")
    parser.add_argument("jobs", type=int)
    parser.add_argument("--until-final", action="store_true")
    parser.add_argument("--orphan-age", type=float, default=ORPHAN_AGE)
    args = parser.parse_args()
    asyncio.run(
        work(args.url, args.store, args.attempts, args.tag, args.jobs, args.until_final, args.orphan_age)
    )


if __name__ == "__main__":
    main()
