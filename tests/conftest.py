"""Shared fixtures: a real simulator on 127.0.0.1, real job stores in temp dirs, real services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from seedance_tui.config import DEMO_API_KEY

if TYPE_CHECKING:
    # Imported lazily below so that each package's own tests run while others are built.
    from seedance_tui.api.client import SeedanceClient
    from seedance_tui.polling import PollPolicy
    from seedance_tui.service import JobService
    from seedance_tui.sim.server import SimulatorServer

pytest_plugins = ("tests.pg_fixtures",)

API_KEY = DEMO_API_KEY

#: Fast enough for tests: a task is queued ~0.3 s and processes ~0.8 s.
FAST_SIM = {"queue_seconds": 0.3, "process_seconds": 0.8, "failure_rate": 0.0, "seed": 7}


def fast_policy() -> PollPolicy:
    """Poll quickly in tests."""
    from seedance_tui.polling import PollPolicy

    return PollPolicy(
        young_interval=0.1, processing_interval=0.1, queued_interval=0.1, max_interval=0.5,
        backoff_base=0.05, backoff_max=0.5,
    )  # fmt: skip


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., SimulatorServer]]:
    """Start simulators with given SimConfig fields; all are stopped at the end."""
    from seedance_tui.sim.config import SimConfig
    from seedance_tui.sim.server import SimulatorServer

    started: list[SimulatorServer] = []

    def start(**fields: object) -> SimulatorServer:
        server = SimulatorServer(SimConfig(**{**FAST_SIM, **fields}))  # type: ignore[arg-type]
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sim(sim_factory: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A running simulator with fast tasks and no faults."""
    return sim_factory()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.json"


@pytest.fixture
async def client(sim: SimulatorServer) -> AsyncIterator[SeedanceClient]:
    from seedance_tui.api.client import SeedanceClient

    async with SeedanceClient(sim.url, API_KEY) as c:
        yield c


@pytest.fixture
def service_factory(db_path: Path) -> Iterator[Callable[..., JobService]]:
    """Build JobServices on a real store file and a real client for a simulator URL."""
    from seedance_tui.api.client import SeedanceClient
    from seedance_tui.polling import RequestBudget
    from seedance_tui.service import JobService
    from seedance_tui.store import JobStore

    stores: list[JobStore] = []

    def build(url: str, *, path: Path | None = None, key: str = API_KEY, **kwargs: object) -> JobService:
        store = JobStore.open(path or db_path)
        stores.append(store)
        kwargs.setdefault("policy", fast_policy())
        kwargs.setdefault("budget", RequestBudget(requests_per_second=200, concurrency=16))
        kwargs.setdefault("flush_interval", 0.1)
        kwargs.setdefault("refresh_interval", 0.2)
        return JobService(store, SeedanceClient(url, key), **kwargs)  # type: ignore[arg-type]

    yield build
    for store in stores:
        store.close()


@pytest.fixture
def service(sim: SimulatorServer, service_factory: Callable[..., JobService]) -> JobService:
    """A JobService on a fresh store, talking to the fast simulator."""
    return service_factory(sim.url)
