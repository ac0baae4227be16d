"""batch, track and export end to end: the real command in a subprocess, a real store, POSTs counted
at the simulator."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore

KEY = "sd2_cli_many_key_0123456789"
Run = Callable[..., subprocess.CompletedProcess[str]]


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SEEDANCE_CONFIG": str(tmp_path / "config.toml"),
        "SEEDANCE_BASE_URL": url,
        "SEEDANCE_TUI_DB": str(tmp_path / "jobs.json"),
        "SEEDANCE_API_KEY": KEY,
    }


@pytest.fixture
def run(tmp_path: Path, sim: SimulatorServer) -> Run:
    def runner(*args: str, stdin: str = "", url: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "seedance_tui", *args],
            capture_output=True,
            text=True,
            input=stdin,
            env=_env(tmp_path, url or sim.url),
            timeout=120,
        )

    return runner


def stats(sim: SimulatorServer) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{sim.url}/_sim/stats", timeout=5).json()
    return result


def sim_prompts(sim: SimulatorServer) -> Counter[tuple[str, str | None, str | None]]:
    tasks = httpx.get(f"{sim.url}/_sim/tasks", timeout=5).json()["tasks"]
    return Counter((t["prompt"], t.get("model"), t.get("resolution")) for t in tasks)


def stored(tmp_path: Path) -> list[Any]:
    with JobStore.open(tmp_path / "jobs.json") as store:
        return store.all()


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = [
    "# shot list",
    json.dumps({"prompt": "river at dawn", "duration": 5}),
    "",
    json.dumps({"prompt": "city at night", "model": "seedance-2.0-fast", "metadata": {"shot": 2}}),
    json.dumps({"prompt": "river at dawn", "duration": 5}),  # repeated on purpose: two jobs
]


def test_a_file_with_one_bad_line_sends_nothing_and_names_every_problem(
    run: Run, sim: SimulatorServer, tmp_path: Path
) -> None:
    lines = [*GOOD, json.dumps({"prompt": "x", "duration": 99}), "{not json", json.dumps({"colour": "red"})]
    result = run("batch", str(write_lines(tmp_path / "b.jsonl", lines)), "--yes")
    assert result.returncode == 2
    assert "line 6: duration: must be 4-15 for seedance-2.0" in result.stderr
    assert "line 7: (line): is not valid JSON" in result.stderr
    assert "line 8: colour: is not a request field" in result.stderr
    assert "nothing was sent" in result.stderr
    assert stats(sim)["submits_received"] == 0
    assert stored(tmp_path) == []


def test_the_good_file_sends_each_job_once_and_a_rerun_sends_nothing(
    run: Run, sim: SimulatorServer, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "b.jsonl", GOOD)
    first = run("batch", str(path), "--yes")
    assert first.returncode == 0, first.stderr
    assert "3 job(s), estimated 105 credits in all" in first.stderr
    assert stats(sim)["submits_received"] == 3
    assert sim_prompts(sim)[("river at dawn", "seedance-2.0", "720p")] == 2
    again = run("batch", str(path), "--yes")
    assert again.returncode == 0, again.stderr
    assert "Skipped 3 already in the store (queued 3)" in again.stderr
    assert "Nothing to send." in again.stderr
    assert stats(sim)["submits_received"] == 3
    keys = [job.batch_entry for job in stored(tmp_path)]
    assert len(set(keys)) == 3 and all(keys)


def test_matrix_expands_each_line_and_dry_run_prints_the_plan_sending_nothing(
    run: Run, sim: SimulatorServer, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "b.jsonl", [json.dumps({"prompt": "fox"}), json.dumps({"prompt": "owl"})])
    matrix = ["--matrix", "model=seedance-2.0,seedance-2.0-fast", "--matrix", "resolution=480p,720p"]
    dry = run("batch", str(path), *matrix, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert len(plan) == 8
    assert {(p["prompt"], p["model"], p["resolution"]) for p in plan} == {
        (prompt, model, res)
        for prompt in ("fox", "owl")
        for model in ("seedance-2.0", "seedance-2.0-fast")
        for res in ("480p", "720p")
    }
    assert sum(p["credits"] for p in plan) == 2 * (20 + 40 + 13 + 25)
    assert "seedance-2.0-fast" in dry.stderr and "Dry run: nothing was sent." in dry.stderr
    assert stats(sim)["submits_received"] == 0
    sent = run("batch", str(path), *matrix, "--yes", "--json")
    assert sent.returncode == 0, sent.stderr
    results = [json.loads(line) for line in sent.stdout.splitlines()]
    assert len(results) == 8 and {r["outcome"] for r in results} == {"queued"}
    assert stats(sim)["submits_received"] == 8


def test_without_a_terminal_or_yes_it_refuses(run: Run, sim: SimulatorServer, tmp_path: Path) -> None:
    result = run("batch", str(write_lines(tmp_path / "b.jsonl", GOOD)))
    assert result.returncode == 2 and "--yes" in result.stderr
    assert stats(sim)["submits_received"] == 0


def test_csv_from_standard_input(run: Run, sim: SimulatorServer, tmp_path: Path) -> None:
    text = (
        "prompt,model,duration,metadata,mediaUrls\n"
        '"a fox, running",seedance-1.5-pro,10,"{""k"": 1}",https://e.com/a.png|https://e.com/b.png\n'
        "# a comment row\n"
        "owl,,,,\n"
    )
    result = run("batch", "-", "--yes", stdin=text)
    assert result.returncode == 0, result.stderr
    jobs = {job.request.prompt: job for job in stored(tmp_path)}
    fox = jobs["a fox, running"].request
    assert (fox.model, fox.duration, fox.metadata) == ("seedance-1.5-pro", 10, {"k": 1})
    assert fox.media_urls == ["https://e.com/a.png", "https://e.com/b.png"]
    owl = jobs["owl"].request
    assert (owl.model, owl.duration, owl.resolution, owl.aspect_ratio) == ("seedance-2.0", 5, "720p", "16:9")
    bad = run("batch", "-", "--yes", stdin="prompt,model\nx,seedance-2.0,extra\n")
    assert bad.returncode == 2 and "line 2: (line): has 3 cells, the header has 2" in bad.stderr
    unknown = run("batch", "-", "--yes", stdin="prompt,colour\nx,red\n")
    assert unknown.returncode == 2 and "unknown column 'colour'" in unknown.stderr
    assert stats(sim)["submits_received"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl"], "missing.jsonl: no such file"),
        (["big.jsonl"], "larger than 50 MB"),
        (["many.jsonl", "--matrix", "duration=4,5,6,7,8,9,10,11,12,13,14"], "at most 100,000 per batch"),
        (["one.jsonl", "--matrix", "colour=red"], "--matrix 'colour': not a field"),
        (["one.jsonl", "--matrix", "resolution=999p"], "'999p' must be one of 480p, 720p, 1080p"),
        (["long.jsonl"], "line 1: prompt: must be at most 20,000 characters"),
    ],
)
def test_bad_input_is_named_and_nothing_is_sent(
    run: Run, sim: SimulatorServer, tmp_path: Path, args: list[str], message: str
) -> None:
    with (tmp_path / "big.jsonl").open("wb") as big:
        big.truncate(50 * 1024 * 1024 + 1)
    write_lines(tmp_path / "many.jsonl", [json.dumps({"prompt": f"p{n}"}) for n in range(10_000)])
    write_lines(tmp_path / "one.jsonl", [json.dumps({"prompt": "p"})])
    write_lines(tmp_path / "long.jsonl", [json.dumps({"prompt": "x" * 20_001})])
    result = run("batch", *[str(tmp_path / a) if a.endswith(".jsonl") else a for a in args], "--yes")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert stats(sim)["submits_received"] == 0


def test_a_429_with_the_api_envelope_is_waited_out_and_sent_again(
    sim_factory: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    sim = sim_factory(rate_limit_rate=0.5, retry_after=0.1, seed=3)
    path = write_lines(tmp_path / "b.jsonl", [json.dumps({"prompt": f"shot {n}"}) for n in range(6)])
    result = subprocess.run(
        [sys.executable, "-m", "seedance_tui", "batch", str(path), "--yes", "--json"],
        capture_output=True,
        text=True,
        env=_env(tmp_path, sim.url),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Rate limited by the API" in result.stderr
    results = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["outcome"] for r in results} == {"queued"} and len(results) == 6
    assert sum(stats(sim)["faults_injected"].values()) > 0
    assert stats(sim)["tasks_created"] == 6
    assert Counter(t[0] for t in sim_prompts(sim)) == Counter(f"shot {n}" for n in range(6))
    # Every 429 left a rejected job with its own key; each line's accepted job has the last attempt.
    with JobStore.open(tmp_path / "jobs.json") as store:
        jobs = store.all()
    keys = [job.batch_key for job in jobs]
    assert len(set(keys)) == len(keys) == sum(stats(sim)["faults_injected"].values()) + 6
    for job in jobs:
        assert (
            job.batch_key == f"{job.batch_entry}#{sum(j.batch_entry == job.batch_entry for j in jobs)}"
            or (job.status == "rejected")
        )


def test_sigkill_mid_batch_then_rerun_sends_only_what_is_missing(
    sim_factory: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    # Latency keeps POSTs in flight, so the kill lands in the middle of the batch.
    sim = sim_factory(latency=0.15)
    n = 40
    path = write_lines(tmp_path / "b.jsonl", [json.dumps({"prompt": f"shot {i}"}) for i in range(n)])
    argv = [sys.executable, "-m", "seedance_tui", "batch", str(path), "--yes", "--concurrency", "2"]
    proc = subprocess.Popen(argv, env=_env(tmp_path, sim.url), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while stats(sim)["tasks_created"] < 8:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stderr.close()
    created_before = stats(sim)["tasks_created"]
    assert created_before < n
    rerun = subprocess.run(argv, capture_output=True, text=True, env=_env(tmp_path, sim.url), timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "Skipped" in rerun.stderr
    prompts = Counter(t[0] for t in sim_prompts(sim))
    assert max(prompts.values()) == 1, "a job was sent twice"
    # Only jobs caught mid-POST by the kill may be missing; they are reported, never re-sent.
    missing = n - len(prompts)
    assert missing <= 2
    uncertain = [job for job in stored(tmp_path) if job.status in ("submitting", "outcome_unknown")]
    assert len(uncertain) == missing + sum(1 for j in uncertain if j.request.prompt in prompts)
    if uncertain:
        assert "unknown outcome: not sent again" in rerun.stderr


def test_track_stores_a_task_created_directly_at_the_simulator(
    run: Run, sim: SimulatorServer, tmp_path: Path
) -> None:
    reply = httpx.post(
        f"{sim.url}/api/open/v1/video/generations",
        headers={"Authorization": f"Bearer {KEY}"},
        json={
            "model": "seedance-2.0-fast",
            "prompt": "made by a script",
            "duration": 6,
            "resolution": "480p",
        },
    ).json()
    rid = reply["requestId"]
    result = run("track", rid, "req_unknown0000", "--json")
    assert result.returncode == 1
    answers = {a["requestId"]: a for a in map(json.loads, result.stdout.splitlines())}
    assert answers["req_unknown0000"]["result"] == "not_found"
    assert answers[rid]["result"] == "tracked"
    jobs = stored(tmp_path)
    assert len(jobs) == 1
    job = jobs[0]
    assert (job.request_id, job.request.model, job.request.prompt) == (
        rid,
        "seedance-2.0-fast",
        "made by a script",
    )
    assert (job.request.duration, job.request.resolution) == (6, "480p")
    assert job.status in ("queued", "processing", "succeeded")
    again = run("track", rid)
    assert again.returncode == 0 and "Already in the store" in again.stdout
    assert len(stored(tmp_path)) == 1
    bad = run("track", "req bad\x07")
    assert bad.returncode == 2 and "spaces or control characters" in bad.stderr
    assert stats(sim)["submits_received"] == 1


def test_export_command_writes_every_job(run: Run, sim: SimulatorServer, tmp_path: Path) -> None:
    assert run("batch", str(write_lines(tmp_path / "b.jsonl", GOOD)), "--yes").returncode == 0
    out = run("export", "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    docs = [json.loads(line) for line in out.stdout.splitlines()]
    assert sorted(d["local_id"] for d in docs) == sorted(j.local_id for j in stored(tmp_path))
    target = tmp_path / "out" / "jobs.csv"
    written = run("export", "--format", "csv", "--status", "queued", "-o", str(target))
    assert written.returncode == 0 and "Wrote 3 job(s)" in written.stderr
    assert target.read_text(encoding="utf-8-sig").count("river at dawn") == 2
