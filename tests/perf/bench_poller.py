"""One poller per store (issue 15): GET rate at the simulator with 1, 3 and 5 windows on one store and
1,000 jobs in flight, beside the same windows each polling on its own; takeover time after SIGKILL.

Run from the repository root: .venv/bin/python -m tests.perf.bench_poller [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from tests.perf.run import Row, med, print_table
from tests.perf.scenarios import SimProcess, dashboard_jobs, sim_process, submit_tasks
from tests.reliability.lease_worker import Window
from tests.support import until, write_store

IN_FLIGHT = 1_000
#: Each window's budget; its fast test policy wants ~10 polls per job per second, so the budget binds.
RPS = 20.0


async def get_rate(sim: SimProcess, store: Path | str, windows: int, *, lease: bool, seconds: float) -> float:
    """GETs per second the simulator answers while ``windows`` processes have ``store`` open."""
    started = [Window(sim.url, store, RPS, lease=lease) for _ in range(windows)]
    try:
        await until(lambda: all(w.role for w in started), 30, "every window started")
        if lease:
            await until(lambda: sum(w.role == "polling" for w in started) == 1, 30, "one poller")
        await asyncio.sleep(2.0)  # past the start-up burst
        before, t0 = sim.stats()["gets"], time.monotonic()
        await asyncio.sleep(seconds)
        return (sim.stats()["gets"] - before) / (time.monotonic() - t0)
    finally:
        for window in started:
            window.kill()


async def takeover_seconds(sim: SimProcess, store: Path) -> float:
    """Seconds from SIGKILL of the poller to another of three windows announcing it polls."""
    windows = [Window(sim.url, store, RPS) for _ in range(3)]
    try:
        await until(lambda: sum(w.role == "polling" for w in windows) == 1, 30, "one poller")
        await until(lambda: all(w.role for w in windows), 30, "every window started")
        poller = next(w for w in windows if w.role == "polling")
        killed = time.monotonic()
        poller.kill()
        others = [w for w in windows if w is not poller]
        await until(lambda: any(w.role == "polling" for w in others), 30, "takeover")
        return next(t for w in others for t, role in w.roles if role == "polling") - killed
    finally:
        for window in windows:
            window.kill()


async def measure(work: Path, seconds: float, rounds: int) -> list[Row]:
    rows: list[Row] = []
    with sim_process("--queue-seconds", "100000", "--failure-rate", "0") as sim:
        request_ids = await submit_tasks(sim.url, IN_FLIGHT)
        template = work / "template.json"
        write_store(template, dashboard_jobs(request_ids, 0, time.time()))
        for n in (1, 3, 5):
            store = work / f"windows-{n}.json"
            shutil.copy(template, store)
            ours = await get_rate(sim, store, n, lease=True, seconds=seconds)
            shutil.copy(template, store)
            naive = await get_rate(sim, store, n, lease=False, seconds=seconds)
            rows.append(
                Row(
                    f"8. GET/s at the API, {n} window(s), 1,000 in flight",
                    ours,
                    RPS * 1.1,
                    "/s",
                    baseline=naive,
                    note=f"budget {RPS:g}/s for the store; baseline: every window polls on its own",
                )
            )
        takeovers = []
        for _ in range(rounds):
            store = work / "takeover.json"
            shutil.copy(template, store)
            takeovers.append(await takeover_seconds(sim, store))
        rows.append(
            Row(
                "8. takeover after SIGKILL of the poller (3 windows)",
                med(takeovers) * 1000,
                5000,
                "ms",
                note="max " + f"{max(takeovers) * 1000:.0f} ms over {rounds}",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring window per row")
    parser.add_argument("--rounds", type=int, default=3, help="takeovers measured")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seedance-poller-") as tmp:
        print_table(asyncio.run(measure(Path(tmp), args.seconds, args.rounds)))


if __name__ == "__main__":
    main()
