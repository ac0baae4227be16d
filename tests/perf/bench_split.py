"""Frame times while the cursor moves through 10,000 rows with the split view open (issue 14, item 3).

Run from the repository root: .venv/bin/python -m tests.perf.bench_split [--rounds N] [--presses N]
Each round is a fresh app (as the dashboard starts: store loaded, ``gc.freeze()``) at 200x50 with the
split view open; ``j`` is pressed ``--presses`` times while a 5 ms ticker measures how long the event
loop is busy without a break (a frame). Reports the distribution of those lags over every round,
and the longest frames with what was running then (a cyclic GC pass, or the app's own work).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from pathlib import Path

from tests.perf.run import IN_FLIGHT, QUIET_BUDGET, STORED, build_app, close_app, split_view_loaded
from tests.perf.scenarios import LagProbe, dashboard_jobs, sim_process, submit_tasks
from tests.support import write_store


class Ticker(LagProbe):
    """A 5 ms LagProbe that also keeps when each frame began and the CPU the loop's thread used
    meanwhile (a late wake-up with little CPU is the machine's load, not the app's work)."""

    def __init__(self, period: float = 0.005) -> None:
        super().__init__(period)
        self.frames: list[tuple[float, float]] = []
        self.cpu: list[float] = []

    async def _run(self) -> None:
        while True:
            start, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(self.period)
            lag = time.perf_counter() - start - self.period
            self.lags.append(lag)
            self.frames.append((start, lag))
            self.cpu.append(time.thread_time() - cpu)


class GcWatch:
    """Collects the start and length of every cyclic GC pass (its generation too)."""

    def __init__(self) -> None:
        self.passes: list[tuple[float, float, int]] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.passes.append((self._start, time.perf_counter() - self._start, info["generation"]))

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


Frames = list[tuple[float, float]]
Passes = list[tuple[float, float, int]]


async def one_round(db: Path, url: str, presses: int) -> tuple[Frames, list[float], Passes]:
    """(start, lag) of each 5 ms tick while ``presses`` presses of j move the cursor; the GC passes."""
    app, service = build_app(db, url, QUIET_BUDGET)
    async with app.run_test(size=(200, 50)) as pilot:
        await split_view_loaded(pilot)
        ticker = Ticker()
        with GcWatch() as watch:
            ticker.start()
            for _ in range(presses):
                await pilot.press("j")
            await ticker.stop()
        await app.action_quit()
    close_app(service)
    return ticker.frames, ticker.cpu, watch.passes


def gc_in(frame: tuple[float, float], period: float, passes: Passes) -> float:
    """Seconds of GC inside ``frame`` (it began at ``start`` and held the loop ``period + lag``)."""
    start, lag = frame
    end = start + period + lag
    return sum(max(0.0, min(end, s + d) - max(start, s)) for s, d, _ in passes)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(rounds: int, presses: int) -> None:
    frames: Frames = []
    cpu: list[float] = []
    passes: Passes = []
    with (
        tempfile.TemporaryDirectory(prefix="seedance-split-") as tmp,
        sim_process("--queue-seconds", "100000", "--failure-rate", "0") as sim,
    ):
        request_ids = await submit_tasks(sim.url, IN_FLIGHT)
        db = Path(tmp) / "jobs.json"
        write_store(db, dashboard_jobs(request_ids, STORED - IN_FLIGHT, time.time()))
        for n in range(rounds):
            round_frames, round_cpu, round_passes = await one_round(db, sim.url, presses)
            frames += round_frames
            cpu += round_cpu
            passes += round_passes
            worst = max((lag for _, lag in round_frames), default=0.0) * 1000
            print(f"round {n + 1}: {len(round_frames)} ticks, longest frame {worst:.1f} ms")
    ms = [lag * 1000 for _, lag in frames]
    over = sum(lag > 50 for lag in ms)
    full = [length * 1000 for _, length, generation in passes if generation == 2]
    longest = [max((d * 1000 for _, d, g in passes if g == gen), default=0.0) for gen in range(3)]
    print(
        f"\n{rounds} rounds x {presses} presses of j, 10,000 rows, split view open, 200x50:\n"
        f"  frames (5 ms ticker lag): n={len(ms)}  median {statistics.median(ms):.1f} ms  "
        f"p99 {percentile(ms, 0.99):.1f} ms  p99.9 {percentile(ms, 0.999):.1f} ms  max {max(ms):.1f} ms  "
        f"over 50 ms: {over}\n"
        f"  GC passes while pressing: {len(passes)} (full: {len(full)}); longest by generation "
        f"0/1/2: {longest[0]:.1f} / {longest[1]:.1f} / {longest[2]:.1f} ms"
    )
    busy = [used * 1000 for used in cpu]
    print(
        f"  CPU used in each frame: p99 {percentile(busy, 0.99):.1f} ms  max {max(busy):.1f} ms  "
        f"over 50 ms: {sum(used > 50 for used in busy)}"
    )
    for i in sorted(range(len(frames)), key=lambda i: -frames[i][1])[:6]:
        print(
            f"  a {frames[i][1] * 1000:.1f} ms frame: {busy[i]:.1f} ms CPU, "
            f"{gc_in(frames[i], 0.005, passes) * 1000:.1f} ms of it cyclic GC"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="fresh apps, one after another")
    parser.add_argument("--presses", type=int, default=300, help="presses of j per round")
    args = parser.parse_args()
    asyncio.run(measure(args.rounds, args.presses))


if __name__ == "__main__":
    main()
