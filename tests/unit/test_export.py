"""Export: every field of every stored job, read back equal (CSV once the inert prefix is removed)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from seedance_tui.export import CSV_COLUMNS, csv_row, export_to_file, inert, original, select, write_jobs
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.store import JobStore

HOSTILE = [
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "'quoted already",
    'comma, "quote"\nand newline',
    "日本語の滝 🎬",
]


def stored_jobs(path: Path) -> list[Job]:
    with JobStore.open(path) as store:
        for n, prompt in enumerate(HOSTILE):
            request = GenerationRequest(
                "seedance-2.0",
                prompt,
                aspect_ratio="16:9",
                duration=5,
                metadata={"note": "=1+2", "n": n},
                media_urls=["https://example.com/a.png"] if n % 2 else None,
            )
            job = Job.new(request)
            job.request_id = f"req_{n}"
            job.set_status(JobStatus.SUCCEEDED if n % 2 else JobStatus.FAILED)
            job.credits_charged = 40
            job.error_message = "-oops" if n == 3 else None
            job.batch_entry = f"k{n}-1"
            store.add(job)
        return store.all()


def test_jsonl_export_reads_back_equal_to_the_store(tmp_path: Path) -> None:
    jobs = select(stored_jobs(tmp_path / "jobs.json"), [])
    out = io.StringIO()
    assert write_jobs(jobs, "jsonl", out) == len(HOSTILE)
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert docs == [job.to_dict() for job in jobs]
    assert [Job.from_dict(d).to_dict() for d in docs] == docs


def test_csv_export_reads_back_equal_once_the_inert_prefix_is_removed(tmp_path: Path) -> None:
    jobs = select(stored_jobs(tmp_path / "jobs.json"), [])
    path = tmp_path / "out.csv"
    export_to_file(jobs, "csv", path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark: spreadsheets detect it
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(jobs)
    for row, job in zip(rows, jobs, strict=True):
        assert tuple(row) == CSV_COLUMNS
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@")), cell  # nothing a spreadsheet would run
        back = {name: original(cell) for name, cell in row.items()}
        assert back["prompt"] == job.request.prompt
        assert json.loads(back["metadata"]) == job.request.metadata
        assert back["request_id"] == job.request_id and back["status"] == job.status
        assert float(back["created_at"]) == job.created_at
        assert back["error_message"] == (job.error_message or "")
        assert back["batch_entry"] == job.batch_entry
        assert json.loads(back["history"]) == [{"at": h.at, "status": h.status} for h in job.history]
        assert (json.loads(back["mediaUrls"]) if back["mediaUrls"] else None) == job.request.media_urls


def test_inert_cells_survive_a_round_trip_including_a_leading_apostrophe() -> None:
    for text in [*HOSTILE, "plain", ""]:
        assert original(inert(text)) == text
    assert inert("=1") == "'=1" and inert("plain") == "plain"


def test_status_selection_and_order(tmp_path: Path) -> None:
    jobs = stored_jobs(tmp_path / "jobs.json")
    failed = select(jobs, ["failed"])
    assert {j.status for j in failed} == {"failed"} and len(failed) == 4
    assert [j.created_at for j in failed] == sorted(j.created_at for j in failed)
    assert csv_row(failed[0])["status"] == "failed"
