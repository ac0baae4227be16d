"""Paper cuts of issue 9: each hostile input gets a clear message and the right exit code."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from seedance_tui.cli import main
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore, StoreError
from tests.reliability.helpers import sim_stats
from tests.reliability.test_damage import store_with_journal

SUBMIT = ["submit", "--model", "seedance-2.0"]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sim: SimulatorServer) -> Callable[..., int]:
    monkeypatch.setenv("SEEDANCE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("SEEDANCE_API_KEY", "sd2_paper_cuts_key")
    monkeypatch.setenv("SEEDANCE_BASE_URL", sim.url)
    monkeypatch.setenv("SEEDANCE_TUI_DB", str(tmp_path / "jobs.json"))
    return lambda *args: main([*args])


def test_deeply_nested_metadata_is_a_usage_error(
    cli: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    assert cli(*SUBMIT, "--prompt", "x", "--metadata", deep) == 2
    err = capsys.readouterr().err
    assert "metadata: is nested more than" in err and "unexpected" not in err


def test_a_prompt_that_is_not_utf8_is_one_clear_usage_error(
    cli: Callable[..., int], capsys: pytest.CaptureFixture[str], sim: SimulatorServer
) -> None:
    # Python hands undecodable argv bytes over as lone surrogates (surrogateescape).
    assert cli(*SUBMIT, "--prompt", "bad \udcff bytes") == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "prompt: is not valid UTF-8" in err and "job store" not in err
    assert sim_stats(sim.url)["submits_received"] == 0


def test_a_huge_stored_request_id_gets_a_clear_message(
    cli: Callable[..., int], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with JobStore.open(tmp_path / "jobs.json") as store:
        job = Job.new(GenerationRequest(model="seedance-2.0", prompt="huge id"))
        job.request_id = "req_" + "x" * 1_000_000
        job.set_status(JobStatus.QUEUED, time.time())
        store.add(job)
    code = cli("status", job.local_id)
    err = capsys.readouterr().err
    assert code == 1 and "Not a valid request id" in err and "unexpected" not in err
    assert len(err) < 2000


def test_an_immutable_journal_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    store_with_journal(path, in_file=1, in_journal=1)
    journal = Path(f"{path}.journal")
    if subprocess.run(["chattr", "+i", str(journal)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i needs root and a filesystem with attributes")
    try:
        store = JobStore.open(path)
        with pytest.raises(StoreError) as caught:
            store.add(Job.new(GenerationRequest(model="seedance-2.0", prompt="blocked")))
        assert "read-only or immutable" in str(caught.value)
    finally:
        subprocess.run(["chattr", "-i", str(journal)], check=False)
