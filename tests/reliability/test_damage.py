"""Damage that hides jobs is never silent: the CLI says so on stderr (read commands exit 1), the
dashboard shows a banner, and a journal set aside is reported with its new name."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from seedance_tui.cli import main
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from tests.ui.helpers import make_settings, wait_for


def _job(n: int) -> Job:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"job {n}"))
    job.request_id = f"req_d{n}"
    job.set_status(JobStatus.QUEUED, time.time())
    return job


def store_with_journal(path: Path, in_file: int = 12, in_journal: int = 2) -> None:
    """``in_file`` jobs folded into the file, ``in_journal`` more only in its journal (as after a crash)."""
    with JobStore.open(path) as store:
        for n in range(in_file):
            store.add(_job(n))
    store = JobStore.open(path)
    for n in range(in_file, in_file + in_journal):
        store.add(_job(n))  # appended to the journal; the store is then dropped without closing
    assert Path(f"{path}.journal").stat().st_size > 0


def flip_header_digit(journal: Path) -> None:
    raw = bytearray(journal.read_bytes())
    end = raw.index(b"\n")
    raw[end - 1] = ord("0") if raw[end - 1] != ord("0") else ord("1")
    journal.write_bytes(bytes(raw))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., int]:
    monkeypatch.setenv("SEEDANCE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("SEEDANCE_API_KEY", raising=False)
    return lambda *args: main([*args])


def test_a_damaged_journal_header_is_reported_and_jobs_exits_1(
    tmp_path: Path, cli: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "jobs.json"
    store_with_journal(path)
    journal = Path(f"{path}.journal")
    flip_header_digit(journal)
    assert cli("jobs", "--db", str(path)) == 1
    out, err = capsys.readouterr()
    assert out.count("req_d") == 12
    assert "not replayed" in err and str(journal) in err and "2 job record(s)" in err and "To recover" in err
    # The next write sets it aside, and says where.
    with JobStore.open(path) as store:
        store.add(_job(99))
        moved = [n for n in store.notices if "moved aside as" in n.message]
    assert len(moved) == 1 and moved[0].jobs_may_be_missing
    assert list(tmp_path.glob("jobs.json.journal.stale-*"))


def test_an_empty_store_file_is_reported(
    tmp_path: Path, cli: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "jobs.json"
    path.write_bytes(b"")
    assert cli("jobs", "--db", str(path)) == 1
    assert "is empty (0 bytes)" in capsys.readouterr().err


def test_a_missing_store_file_beside_its_journal_is_reported(
    tmp_path: Path, cli: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "jobs.json"
    store_with_journal(path, in_file=3, in_journal=2)
    path.unlink()
    assert cli("jobs", "--db", str(path)) == 1
    err = capsys.readouterr().err
    assert "is missing" in err and "not replayed" in err and "2 job record(s)" in err


def test_a_healthy_store_says_nothing(
    tmp_path: Path, cli: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "jobs.json"
    store_with_journal(path)  # a crash left a journal that belongs to the file: replayed, all fine
    assert cli("jobs", "--db", str(path)) == 0
    out, err = capsys.readouterr()
    assert out.count("req_d") == 14 and err == ""


async def test_the_dashboard_shows_a_banner_for_damage(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    path = tmp_path / "jobs.json"
    store_with_journal(path)
    flip_header_digit(Path(f"{path}.journal"))
    app = SeedanceApp(service_factory(sim.url, path=path), make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        assert await wait_for(pilot, lambda: any(n.title == "Job store damaged" for n in app._notifications))
        banner = next(n for n in app._notifications if n.title == "Job store damaged")
        assert "not replayed" in banner.message and banner.severity == "error"
