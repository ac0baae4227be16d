"""Automatic download once per store (issue 14): of several services on one store, only the poller
saves videos; the others show the saved path it records, and a follower that takes over catches up."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from seedance_tui.polling.lease import PollerLease, Role
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from tests.conftest import API_KEY
from tests.reliability.helpers import sim_stats
from tests.support import until
from tests.unit.test_service_lease import REQ, running

PATTERN = "{prompt_slug}-{id}.mp4"


def ended(service: JobService, local_id: str) -> bool:
    job = service.get(local_id)
    return job is not None and job.is_final


def saved(service: JobService, local_id: str) -> str | None:
    job = service.get(local_id)
    return None if job is None else job.saved_path


async def test_two_dashboards_on_one_store_fetch_each_video_once_and_both_show_where_it_is(
    sim_factory: Callable[..., SimulatorServer],
    service_factory: Callable[..., JobService],
    db_path: Path,
    tmp_path: Path,
) -> None:
    # A video takes a second to come, as from a real CDN: the follower sees the job succeed, unsaved.
    sim = sim_factory(queue_seconds=0.5, process_seconds=0.5, file_latency=1.0)
    folder = tmp_path / "videos"
    services = [service_factory(sim.url, lease=PollerLease(db_path, sim.url, API_KEY)) for _ in range(2)]
    for service in services:
        service.enable_auto_download(folder, PATTERN)
    first, second = services
    async with running(first):
        await until(lambda: first.role.role == Role.POLLING, 5, "the first polls")
        async with running(second):
            await until(lambda: second.role.holder_pid is not None, 5, "the second follows")
            # Submitted from each window: whoever submits, the poller alone downloads.
            jobs = [await first.submit(REQ), await second.submit(REQ)]
            ids = [job.local_id for job in jobs]
            await until(
                lambda: all(saved(s, lid) for s in services for lid in ids), 20, "both show both saved"
            )
            assert second.role.role == Role.FOLLOWING
    assert sim_stats(sim.url)["video_gets"] == 2, "each video fetched once"
    paths = {saved(first, lid) for lid in ids}
    assert paths == {saved(second, lid) for lid in ids}
    assert sorted(p.name for p in folder.iterdir()) == sorted(Path(p or "").name for p in paths)
    assert all(Path(p or "").read_bytes()[4:8] == b"ftyp" for p in paths)


async def test_a_follower_that_takes_over_saves_what_the_old_poller_left_unsaved(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "videos"
    # The first window has auto-download off: its job succeeds but nobody saves it...
    poller = service_factory(sim.url, lease=PollerLease(db_path, sim.url, API_KEY))
    follower = service_factory(sim.url, lease=PollerLease(db_path, sim.url, API_KEY))
    follower.enable_auto_download(folder, PATTERN)
    saved_at: dict[str, float] = {}
    follower.add_listener(
        lambda jobs: saved_at.update({j.local_id: time.monotonic() for j in jobs if j.saved_path})
    )
    stopping = contextlib.AsyncExitStack()
    await stopping.enter_async_context(running(poller))
    await until(lambda: poller.role.role == Role.POLLING, 5, "the first polls")
    async with running(follower):
        await until(lambda: follower.role.holder_pid is not None, 5, "the second follows")
        job = await poller.submit(REQ)
        await until(lambda: ended(follower, job.local_id), 15, "the follower sees it end")
        assert saved(follower, job.local_id) is None and sim_stats(sim.url)["video_gets"] == 0
        # ...until the poller goes and the follower, now polling, catches up.
        await stopping.aclose()
        await until(lambda: follower.role.role == Role.POLLING, 5, "takeover")
        took_over = time.monotonic()
        await until(lambda: job.local_id in saved_at, 10, "saved by the new poller")
    assert sim_stats(sim.url)["video_gets"] == 1
    assert saved_at[job.local_id] >= took_over, "saved only once this process polls"
    assert Path(saved(follower, job.local_id) or "").parent == folder
