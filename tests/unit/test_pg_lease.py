"""One poller per account on PostgreSQL: the role is an advisory lock on a connection of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable

import psycopg

from seedance_tui.api.client import SeedanceClient
from seedance_tui.models import GenerationRequest
from seedance_tui.polling import RequestBudget
from seedance_tui.polling.lease import Role, api_fingerprint
from seedance_tui.polling.leases import lease_for
from seedance_tui.polling.pg_lease import PgPollerLease
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store.errors import StoreError
from seedance_tui.store.opening import open_store_url
from tests.conftest import API_KEY, fast_policy
from tests.pg_fixtures import PgCluster
from tests.support import running, until, until_sync

REQ = GenerationRequest("seedance-2.0", "a lighthouse at dusk", duration=5)


def _end_lease_sessions(url: str) -> int:
    """Kill the server side of every lease connection (what the server does to a vanished client)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name LIKE 'seedance-tui poller %' AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def test_one_holder_per_account_and_the_role_is_lost_with_the_connection(pg_url: str) -> None:
    first, second = PgPollerLease(pg_url, "acct-a"), PgPollerLease(pg_url, "acct-a")
    other_account = PgPollerLease(pg_url, "acct-b")
    try:
        assert first.try_acquire().role == Role.POLLING and first.held
        follower = second.try_acquire()
        assert follower.role == Role.FOLLOWING and not second.held
        assert (follower.holder_pid, follower.holder_host) == (os.getpid(), first.try_acquire().holder_host)
        assert follower.silent_for is not None and not follower.stale
        assert other_account.try_acquire().role == Role.POLLING  # accounts never share a poller

        assert _end_lease_sessions(pg_url) == 3
        first.beat()  # every beat checks the lock's connection
        assert not first.held
        # The server frees the lock when that session has ended; the next retry takes it.
        until_sync(lambda: second.try_acquire().role == Role.POLLING, 5, "the lock freed")
        assert first.try_acquire().role == Role.FOLLOWING
    finally:
        for lease in (first, second, other_account):
            lease.release()


def test_release_frees_the_lock_at_once(pg_url: str) -> None:
    first, second = PgPollerLease(pg_url, "acct"), PgPollerLease(pg_url, "acct")
    try:
        assert first.try_acquire().role == Role.POLLING
        first.release()
        assert second.try_acquire().role == Role.POLLING
    finally:
        first.release()
        second.release()


def test_the_lease_connection_asks_the_server_to_end_a_silent_holder_within_30_s(pg_url: str) -> None:
    lease = PgPollerLease(pg_url, "acct")
    try:
        lease.try_acquire()
        assert lease._conn is not None
        names = "tcp_keepalives_idle tcp_keepalives_interval tcp_keepalives_count tcp_user_timeout"
        shown = {
            name: str(lease._conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in [*names.split(), "idle_session_timeout", "statement_timeout"]
        }
        assert shown == {
            "tcp_keepalives_idle": "5",
            "tcp_keepalives_interval": "3",
            "tcp_keepalives_count": "3",
            "tcp_user_timeout": "15000",
            "idle_session_timeout": "15s",
            "statement_timeout": "3s",
        }
    finally:
        lease.release()


def test_a_setting_the_server_does_not_know_is_left_out_and_the_lease_still_works(pg_url: str) -> None:
    # As on a server older than PostgreSQL 14, which refuses idle_session_timeout at connection time.
    asked = {"tcp_keepalives_idle": "5", "seedance_no_such_setting": "1"}
    lease, other = PgPollerLease(pg_url, "acct", server_side=asked), PgPollerLease(pg_url, "acct")
    try:
        assert lease.try_acquire().role == Role.POLLING
        assert lease._conn is not None
        assert lease._conn.execute("SHOW tcp_keepalives_idle").fetchone() == ("5",)
        assert other.try_acquire().role == Role.FOLLOWING
    finally:
        lease.release()
        other.release()


async def test_two_services_on_one_database_only_one_polls_and_a_lost_database_stops_it(
    own_cluster: PgCluster, sim_factory: Callable[..., SimulatorServer]
) -> None:
    sim = sim_factory(queue_seconds=1000.0)
    url = own_cluster.url()
    account = api_fingerprint(sim.url, API_KEY)
    services = []
    for _ in range(2):
        store = open_store_url(url, api_key=API_KEY, notice=lambda message: None)
        services.append(
            JobService(
                store,
                SeedanceClient(sim.url, API_KEY),
                policy=fast_policy(),
                budget=RequestBudget(requests_per_second=10, concurrency=4),
                lease=lease_for(store, sim.url, API_KEY, account),
                flush_interval=0.1,
                lease_retry_interval=0.2,
            )
        )
    a, b = services
    try:
        async with running(a), running(b):
            for _ in range(3):
                await a.submit(REQ)
            await until(
                lambda: sorted(s.role.role for s in services) == ["following", "polling"], 10, "roles"
            )
            gets = lambda: int(sim.state.stats()["gets"])  # noqa: E731
            before, start = gets(), time.monotonic()
            await until(lambda: gets() - before >= 20, 10, "polling")
            rate = (gets() - before) / (time.monotonic() - start)
            assert rate <= 10 * 1.3, f"{rate:.1f} GET/s from two services: the budget is 10/s per account"

            own_cluster.stop()  # both lose the database: the poller's next beat fails
            await until(lambda: all(s.role.role == Role.FOLLOWING for s in services), 10, "poller stops")
            stopped = gets()
            await asyncio.sleep(1.0)  # an absence is watched for a while: nothing may be sent now
            assert gets() - stopped <= 4  # at most the requests already in flight
    finally:
        for service in services:
            with contextlib.suppress(StoreError):  # the database is down: nothing to write to
                service.store.close()
