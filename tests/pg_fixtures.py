"""A throwaway PostgreSQL cluster per test process (so per xdist worker), one database per test.

The cluster runs initdb in a fresh temporary folder, as an unprivileged user when the tests run as
root (the server refuses to run as root), on a free loopback port with its sockets in that folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from seedance_tui.service import JobService
    from seedance_tui.sim.server import SimulatorServer

SUPERUSER_PASSWORD = "s3cret-pw"


def _bindir() -> Path | None:
    """Debian's versioned server binaries, newest first; else whatever initdb is on PATH."""
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(found).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgCluster:
    """A running server: where it listens and how to run its tools."""

    bindir: Path
    root: Path
    port: int
    user: str | None

    def url(
        self, dbname: str = "postgres", *, user: str = "postgres", password: str = SUPERUSER_PASSWORD
    ) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{dbname}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A server tool, as the cluster's owner."""
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def sql(self, statement: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(statement.encode())

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop", check=False)

    def start(self) -> None:
        self.run(
            "pg_ctl", "-D", str(self.root / "data"), "-w", "-t", "60", "-l", str(self.root / "log"),
            "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        )  # fmt: skip


def start_cluster() -> PgCluster:
    bindir = _bindir()
    if bindir is None:
        pytest.fail("PostgreSQL is not installed: apt-get install postgresql (.ci/run does it)")
    user = "nobody" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="seedance-pg-"))
    pwfile = root / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    cluster = PgCluster(bindir, root, _free_port(), user)
    cluster.run(
        "initdb", "-D", str(root / "data"), "-U", "postgres", f"--pwfile={pwfile}",
        "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
    )  # fmt: skip
    for attempt in range(5):
        try:
            cluster.start()
            break
        except subprocess.CalledProcessError:
            if attempt == 4:
                raise
            cluster.port = _free_port()  # another worker took it meanwhile
    return cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """This test process's own PostgreSQL server, stopped and deleted at the end."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh empty database for one test (its URL carries a password, to check masking)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_cluster.sql(f"CREATE DATABASE {name}")
    yield pg_cluster.url(name)
    with contextlib.suppress(Exception):
        pg_cluster.sql(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def own_cluster() -> Iterator[PgCluster]:
    """A server of the test's own, to stop and restart without disturbing other tests."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@contextlib.contextmanager
def service_builder(sim: SimulatorServer, refresh_interval: float) -> Iterator[Callable[[str], JobService]]:
    """Builds JobServices on store URLs, each with its own Store (as separate machines would have);
    their stores are closed on leaving."""
    from seedance_tui.api.client import SeedanceClient
    from seedance_tui.polling import RequestBudget
    from seedance_tui.service import JobService
    from seedance_tui.store.opening import open_store_url
    from tests.conftest import API_KEY, fast_policy

    services: list[JobService] = []

    def build(url: str) -> JobService:
        store = open_store_url(url, api_key=API_KEY, notice=lambda message: None)
        service = JobService(
            store,
            SeedanceClient(sim.url, API_KEY),
            policy=fast_policy(),
            budget=RequestBudget(requests_per_second=200, concurrency=16),
            flush_interval=0.1,
            refresh_interval=refresh_interval,
        )
        services.append(service)
        return service

    try:
        yield build
    finally:
        for service in services:
            with contextlib.suppress(Exception):
                service.store.close()


@pytest.fixture
def pg_services(sim: SimulatorServer) -> Iterator[Callable[[str], JobService]]:
    """JobServices on PostgreSQL stores that refresh only when woken by NOTIFY (no periodic re-reads)."""
    with service_builder(sim, refresh_interval=3600.0) as build:
        yield build
