"""The job table's model: columns, cell text, filter, search and sort, without a terminal."""

from __future__ import annotations

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.ui.widgets.job_rows import (
    PROMPT_MIN,
    JobRows,
    cell_text,
    format_duration,
    layout_columns,
    status_text,
)


def make_job(
    n: int, status: str = JobStatus.QUEUED, prompt: str = "a cat", credits: int | None = None
) -> Job:
    job = Job(local_id=f"local{n:04d}", request=GenerationRequest(model="seedance-2.0", prompt=prompt))
    job.request_id = f"req_{n:016x}"
    job.status = status
    job.created_at = 1000.0 + n
    job.credits_charged = credits
    return job


def ids(rows: JobRows) -> list[str]:
    return [job.local_id for job in rows.rows]


def test_newest_first_by_default() -> None:
    rows = JobRows()
    rows.load([make_job(1), make_job(3), make_job(2)])
    assert ids(rows) == ["local0003", "local0002", "local0001"]


def test_status_filters_and_problems_group() -> None:
    rows = JobRows()
    statuses = [
        JobStatus.QUEUED,
        JobStatus.FAILED,
        JobStatus.REJECTED,
        JobStatus.OUTCOME_UNKNOWN,
        "not_found",
    ]
    rows.load([make_job(i, status) for i, status in enumerate(statuses)])
    rows.set_filter("failed")
    assert ids(rows) == ["local0001"]
    rows.set_filter("problems")
    assert ids(rows) == ["local0004", "local0003", "local0002"]
    rows.set_filter("all")
    assert len(rows.rows) == 5


def test_search_matches_prompt_and_ids_case_insensitively() -> None:
    rows = JobRows()
    rows.load([make_job(1, prompt="A Red Fox"), make_job(2, prompt="ocean"), make_job(0xABC, prompt="x")])
    rows.set_search("red f")
    assert ids(rows) == ["local0001"]
    rows.set_search("ABC")  # part of the request id
    assert ids(rows) == [f"local{0xABC:04d}"]
    rows.set_search("local0002")
    assert ids(rows) == ["local0002"]


def test_sort_by_column_and_reverse() -> None:
    rows = JobRows()
    rows.load([make_job(1, credits=40), make_job(2, credits=20), make_job(3)])
    rows.set_sort("credits", reverse=False)
    assert ids(rows) == ["local0003", "local0002", "local0001"]
    rows.set_sort("credits", reverse=True)
    assert ids(rows) == ["local0001", "local0002", "local0003"]


def test_status_change_is_applied_in_place() -> None:
    rows = JobRows()
    jobs = [make_job(i) for i in range(5)]
    rows.load(jobs)
    before = rows.rebuilds
    jobs[2].status = JobStatus.PROCESSING
    structural, positions = rows.apply([jobs[2]])
    assert not structural and positions == [2]
    assert rows.rebuilds == before


def test_job_leaving_a_filter_or_new_job_replaces_rows() -> None:
    rows = JobRows()
    jobs = [make_job(i) for i in range(3)]
    rows.load(jobs)
    rows.set_filter("queued")
    jobs[0].status = JobStatus.PROCESSING
    structural, _ = rows.apply([jobs[0]])
    assert structural and ids(rows) == ["local0002", "local0001"]
    structural, _ = rows.apply([make_job(9)])
    assert structural and ids(rows) == ["local0009", "local0002", "local0001"]


def test_sorted_column_change_moves_the_row() -> None:
    rows = JobRows()
    jobs = [make_job(i, credits=10 * i) for i in range(4)]
    rows.load(jobs)
    rows.set_sort("credits", reverse=True)
    jobs[0].credits_charged = 100
    structural, _ = rows.apply([jobs[0]])
    assert structural and ids(rows)[0] == "local0000"
    assert rows.index_of("local0000") == 0


def test_columns_give_way_prompt_first_then_optional() -> None:
    wide = dict((c.key, w) for c, w in layout_columns(200))
    assert wide["prompt"] > 100 and "aspect" in wide
    # At 80 columns (less the scrollbar) the prompt gets the room of the optional columns.
    at_80 = dict((c.key, w) for c, w in layout_columns(78))
    assert at_80["prompt"] >= PROMPT_MIN and "resolution" not in at_80 and "aspect" not in at_80
    at_100 = dict((c.key, w) for c, w in layout_columns(98))
    assert at_100["prompt"] >= PROMPT_MIN and "resolution" in at_100 and "aspect" in at_100
    narrow = dict((c.key, w) for c, w in layout_columns(66))
    assert "aspect" not in narrow and narrow["prompt"] > 12
    for total in (66, 79, 120, 200):
        widths = layout_columns(total)
        assert sum(w for _, w in widths) + len(widths) - 1 == total


def test_cell_text_is_printable_and_symbols_carry_meaning() -> None:
    job = make_job(1, JobStatus.FAILED, prompt="[red]x[/] \x1b[2J\nnext")
    assert cell_text(job, "status", 0) == "✘ failed"
    prompt = cell_text(job, "prompt", 0)
    assert "\x1b" not in prompt and "\\x1b[2J" in prompt and "[red]x[/]" in prompt and "\n" not in prompt
    assert status_text(JobStatus.PROCESSING) == "◐ processing"
    assert status_text("weird") == "• weird"


def test_ages() -> None:
    assert [format_duration(s) for s in (5, 64, 119, 3725, 90000)] == ["5s", "1m", "1m", "1h02m", "1d01h"]
    job = make_job(1, JobStatus.PROCESSING)
    assert cell_text(job, "age", job.created_at + 65) == "1m"
    # One meaning for every job: time since it was created (how long it ran is in the detail pane).
    job.status, job.finished_at = JobStatus.SUCCEEDED, job.created_at + 30
    assert cell_text(job, "age", job.created_at + 999) == "16m"
