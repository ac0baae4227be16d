"""What a new user trips over on the command line: id forms, ambiguous prefixes, pipes, JSON errors, help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from seedance_tui.models import GenerationRequest, Job
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from tests.unit.test_cli import KEY, run  # noqa: F401  (the fixture)

Run = Callable[..., subprocess.CompletedProcess[str]]


def test_every_id_form_the_ui_shows_finds_the_job(run: Run) -> None:  # noqa: F811
    request_id = run("submit", "--model", "seedance-2.0", "--prompt", "ids").stdout.strip()
    local_id = json.loads(run("jobs", "--json").stdout)[0]["local_id"]
    table_id = request_id.removeprefix("req_")[:10]  # what the job table shows
    for form in (table_id, request_id, request_id.removeprefix("req_"), local_id, request_id[:8]):
        shown = run("status", form, "--json")
        assert shown.returncode == 0, (form, shown.stdout, shown.stderr)
        assert json.loads(shown.stdout)["request_id"] == request_id


def test_an_ambiguous_prefix_says_how_many_jobs_match(run: Run) -> None:  # noqa: F811
    ids = [run("submit", "--model", "seedance-2.0", "--prompt", f"p{n}").stdout.strip() for n in range(2)]
    result = run("status", "req_")
    assert result.returncode == 2
    assert "matches 2 jobs" in result.stderr and all(i in result.stderr for i in ids)
    assert "No job matching" not in result.stderr
    as_json = run("cancel", "req_", "--json")
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["matches"] == 2


def test_dashboard_without_a_terminal_refuses_with_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "SEEDANCE_CONFIG": str(tmp_path / "none.toml"), "TERM": "xterm-256color"}
    result = subprocess.run(
        [sys.executable, "-m", "seedance_tui", "--demo", "--db", str(tmp_path / "jobs.json")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "\x1b" not in result.stdout + result.stderr
    assert not (tmp_path / "jobs.json").exists()


def test_a_reader_closing_the_pipe_early_is_quiet(tmp_path: Path, run: Run) -> None:  # noqa: F811
    with JobStore.open(tmp_path / "jobs.json") as store:
        for n in range(3000):  # far more than a pipe buffer holds
            store.add(Job.new(GenerationRequest(model="seedance-2.0", prompt=f"prompt {n} " + "x" * 40)))
    env = {
        "PATH": "/usr/bin:/bin",
        "SEEDANCE_CONFIG": str(tmp_path / "none.toml"),
        "SEEDANCE_TUI_DB": str(tmp_path / "jobs.json"),
    }
    with subprocess.Popen(
        [sys.executable, "-m", "seedance_tui", "jobs"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith(b"REQUEST ID")
        proc.stdout.close()  # as `head -1` does
        stderr = proc.stderr.read().decode()
        code = proc.wait(timeout=30)
    assert stderr == "" and code == 141


def test_submit_json_reports_every_error_as_json(run: Run, sim: SimulatorServer) -> None:  # noqa: F811
    invalid = run("submit", "--model", "seedance-1.5-pro", "--prompt", " ", "--duration", "7", "--json")
    assert invalid.returncode == 2 and invalid.stderr == ""
    payload = json.loads(invalid.stdout)
    assert {f["field"] for f in payload["fields"]} == {"prompt", "duration"}
    bad_metadata = run("submit", "--model", "seedance-2.0", "--prompt", "p", "--metadata", "[", "--json")
    assert (
        bad_metadata.returncode == 2 and json.loads(bad_metadata.stdout)["fields"][0]["field"] == "metadata"
    )
    bad_option = run("submit", "--model", "seedance-2.0", "--prompt", "p", "--duration", "x", "--json")
    assert bad_option.returncode == 2 and "--duration" in json.loads(bad_option.stdout)["error"]
    no_key = run("submit", "--model", "seedance-2.0", "--prompt", "p", "--json", key=None)
    assert no_key.returncode == 2 and "SEEDANCE_API_KEY" in json.loads(no_key.stdout)["error"]


def test_read_commands_do_not_create_a_missing_store(run: Run, tmp_path: Path) -> None:  # noqa: F811
    listed = run("jobs")
    assert listed.returncode == 0 and "No jobs" in listed.stdout and "does not exist" not in listed.stdout
    assert "No job store at" in listed.stderr
    assert json.loads(run("jobs", "--json").stdout) == []
    status = run("status", "req_x")
    assert status.returncode == 2 and "No job store at" in status.stderr
    assert not list(tmp_path.glob("jobs.json*"))


def test_submit_help_lists_choices_and_an_unknown_option_shows_submit_usage(run: Run) -> None:  # noqa: F811
    shown = run("submit", "--help").stdout
    for text in (
        "16:9,9:16,1:1",
        "480p,720p,1080p",
        "seedance-1.5-pro: 5 or 10",
        "what the video shows",
        "JSON",
    ):
        assert text in shown, text
    unknown = run("submit", "--model", "seedance-2.0", "--prompt", "p", "--nope")
    assert unknown.returncode == 2
    assert "usage: seedance-tui submit" in unknown.stderr and "--nope" in unknown.stderr
