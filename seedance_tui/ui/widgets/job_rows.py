"""The job table's model without any widget: columns, cell text, filter, search and sort over a plain list."""

from __future__ import annotations

import time
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from seedance_tui.config import Settings
from seedance_tui.models import RESOLUTIONS, Job, JobStatus
from seedance_tui.service import Query, job_haystack, output_state, parse_query
from seedance_tui.text import one_line
from seedance_tui.ui.status_look import STATUS_LOOKS
from seedance_tui.ui.widgets.more_columns import EXTRA_COLUMNS, META_PREFIX, extra_cell, extra_sort_value

#: Symbol and short label per status (owned by status_look): colour alone must never carry the meaning.
STATUS_LABELS: dict[str, tuple[str, str]] = {
    status: (look.symbol, look.label) for status, look in STATUS_LOOKS.items()
}

#: The status filters offered by the number keys, in order.
FILTERS: dict[str, frozenset[str] | None] = {
    "all": None,
    "queued": frozenset({JobStatus.QUEUED}),
    "processing": frozenset({JobStatus.PROCESSING}),
    "succeeded": frozenset({JobStatus.SUCCEEDED}),
    "failed": frozenset({JobStatus.FAILED}),
    "cancelled": frozenset({JobStatus.CANCELLED}),
    "problems": frozenset(
        {JobStatus.REJECTED, JobStatus.OUTCOME_UNKNOWN, JobStatus.PROBABLY_NOT_CREATED, JobStatus.NOT_FOUND}
    ),
}

#: A succeeded job's video, when worth a flag: saved locally, link expired, or unsaved for long.
OUTPUT_LABELS: dict[str, tuple[str, str]] = {
    "saved": ("✔", "saved"),
    "expired": ("⌛", "expired"),
    "unsaved": ("⚠", "unsaved"),
}
#: A succeeded job's video unsaved this long is flagged (its link may expire).
UNSAVED_AFTER = Settings.output_expiry_hours * 3600


def in_filter(name: str, job: Job) -> bool:
    """True when ``job`` belongs to status filter ``name`` (an expired output is a problem too)."""
    statuses = FILTERS[name]
    if statuses is None or job.status in statuses:
        return True
    return name == "problems" and job.output_expired


_STATUS_ORDER = {status: rank for rank, status in enumerate(STATUS_LABELS)}


class Column(NamedTuple):
    """One table column: its key, header, name in words, natural width, and whether it may hide."""

    key: str
    title: str
    label: str
    width: int
    optional: bool = False
    right: bool = False
    sortable: bool = True
    #: Shown only on terminals at least this wide.
    min_total: int = 0


COLUMNS: tuple[Column, ...] = (
    Column("id", "ID", "request id", 10),
    Column("status", "STATUS", "status", 12),
    Column("model", "MODEL", "model", 8),
    Column("resolution", "RES", "resolution", 5, optional=True),
    Column("aspect", "AR", "aspect ratio", 4, optional=True),
    Column("duration", "DUR", "duration", 3, right=True),
    Column("credits", "CRED", "credits", 5, right=True),
    Column("age", "AGE", "age (time since created)", 6, right=True),
    Column("eta", "ETA", "time left (estimate)", 5, optional=True, right=True, sortable=False, min_total=100),
    Column("prompt", "PROMPT", "prompt", 0),
)
#: The prompt is what tells jobs apart: optional columns hide (last first) until it has this much room.
PROMPT_MIN = 28
#: Sort cycle for the ``s`` key: the columns left to right (the age column sorts by creation time).
SORT_KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS if column.sortable)
#: Columns whose natural order is descending: newest, longest and dearest first.
DESCENDING_FIRST: frozenset[str] = frozenset({"age", "duration", "credits"})
_RESOLUTION_ORDER = {resolution: rank for rank, resolution in enumerate(RESOLUTIONS)}


def column_for(key: str) -> Column | None:
    """The column with this key: a default one, an extra one, or ``meta.KEY``; None if there is none."""
    for column in COLUMNS:
        if column.key == key:
            return column
    if key in EXTRA_COLUMNS:
        title, label, width, right = EXTRA_COLUMNS[key]
        return Column(key, title, label, width, optional=True, right=right)
    name = key.removeprefix(META_PREFIX)
    if key.startswith(META_PREFIX) and name:
        return Column(key, name.upper()[:12], f"metadata {name}", 12, optional=True)
    return None


#: Every column the chooser offers (``meta.KEY`` columns are added by name).
CHOOSABLE: tuple[str, ...] = (*(c.key for c in COLUMNS), *EXTRA_COLUMNS)


def layout_columns(total: int, columns: Sequence[Column] = COLUMNS) -> list[tuple[Column, int]]:
    """Columns shown at ``total`` cells wide and the width of each (one-cell gaps between)."""
    shown = [c for c in columns if total >= c.min_total]
    room = PROMPT_MIN if any(c.key == "prompt" for c in shown) else 0
    while True:
        fixed = sum(c.width for c in shown if c.key != "prompt") + len(shown) - 1
        optional = [c for c in shown if c.optional]
        if total - fixed >= room or not optional:
            break
        shown.remove(optional[-1])
    return [(c, c.width if c.key != "prompt" else max(0, total - fixed)) for c in shown]


def short_id(job: Job) -> str:
    """The request id without its ``req_`` prefix, or the local id before the API gave one."""
    return (job.request_id.removeprefix("req_") if job.request_id else job.local_id)[:10]


def status_text(status: str) -> str:
    """Symbol plus label (a static marker: an animation would cost terminal traffic over SSH)."""
    symbol, label = STATUS_LABELS.get(status, ("•", status))
    return f"{symbol} {label}"


def format_duration(seconds: float) -> str:
    """Compact elapsed time, k9s style: 42s, 3m, 2h05m, 3d04h.

    Past the first minute the text changes at most once a minute, so a screen of live
    rows stays quiet over SSH; the detail pane shows the exact figure.
    """
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def job_age(job: Job, now: float) -> str:
    """Time since the job was created, for every job alike (the detail pane shows how long it ran)."""
    return format_duration(now - job.created_at)


def cell_text(job: Job, key: str, now: float, unsaved_after: float = UNSAVED_AFTER) -> str:
    """The printable text of one cell (untrusted parts escaped; never markup)."""
    req = job.request
    if key == "id":
        return one_line(short_id(job), 64)
    if key == "status":
        state = output_state(job, now, unsaved_after)
        if state is not None:
            symbol, label = OUTPUT_LABELS[state]
            return f"{symbol} {label}"
        return one_line(status_text(job.status), 64)
    if key == "model":
        return one_line(req.model.removeprefix("seedance-"), 64)
    if key == "resolution":
        return one_line(req.resolution or "-", 16)
    if key == "aspect":
        return one_line(req.aspect_ratio or "-", 16)
    if key == "duration":
        return "-" if req.duration is None else f"{req.duration}s"
    if key == "credits":
        return "-" if job.credits_charged is None else str(job.credits_charged)
    if key == "age":
        return job_age(job, now)
    if key == "prompt":
        return one_line(req.prompt if isinstance(req.prompt, str) else "", 400)
    return extra_cell(job, key, now, format_duration)


def sort_key(job: Job, key: str) -> Any:
    """A comparable value for sorting by column ``key`` (ties broken by creation time)."""
    req = job.request
    value: Any
    if key == "status":
        value = _STATUS_ORDER.get(job.status, len(_STATUS_ORDER))
    elif key == "model":
        value = req.model
    elif key == "credits":
        value = -1 if job.credits_charged is None else job.credits_charged
    elif key == "duration":
        value = -1 if req.duration is None else req.duration
    elif key == "resolution":
        value = _RESOLUTION_ORDER.get(req.resolution or "", -1), req.resolution or ""
    elif key == "aspect":
        value = req.aspect_ratio or ""
    elif key == "prompt":
        value = req.prompt.casefold() if isinstance(req.prompt, str) else ""
    elif key == "id":
        value = job.request_id or job.local_id
    elif key in EXTRA_COLUMNS or key.startswith(META_PREFIX):
        value = extra_sort_value(job, key)
    else:
        return (job.created_at, job.local_id)
    # Ties: newest first in the column's natural direction. The local id comes last: keys are
    # unique and name their job.
    tie = job.created_at if key in DESCENDING_FIRST else -job.created_at
    return (value, tie, job.local_id)


class JobRows:
    """All jobs, and the filtered, searched, sorted list of those shown; row identity is ``local_id``.

    Every job's sort key is kept in one ascending list, so a filter or search keystroke is a single
    pass without sorting, and a changed job moves by bisection instead of a re-sort.
    """

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.rows: list[Job] = []
        self.filter_name = "all"
        self.search = ""
        self.query = Query()
        self.sort_column = "age"
        self.sort_reverse = True
        #: How many times the shown list was recomputed (filters, sorts, structural batches).
        self.rebuilds = 0
        self._index: dict[str, int] | None = None
        self._hay: dict[str, str] = {}
        self._keys: dict[str, Any] = {}
        # Sort keys of every job, ascending; each key ends with the job's local id.
        self._order: list[Any] = []

    def index_of(self, local_id: str) -> int | None:
        """The row position of a job, or None when it is not shown."""
        if self._index is None:
            self._index = {job.local_id: position for position, job in enumerate(self.rows)}
        return self._index.get(local_id)

    def jobs_of(self, local_ids: set[str]) -> list[Job]:
        """These jobs, the shown ones first in their shown order, then the ones the view hides."""
        shown = [job for job in self.rows if job.local_id in local_ids]
        hidden_ids = local_ids - {job.local_id for job in shown}
        return shown + [self.jobs[local_id] for local_id in sorted(hidden_ids) if local_id in self.jobs]

    def matches(self, job: Job) -> bool:
        """True when ``job`` passes the status filter and the search."""
        if not in_filter(self.filter_name, job):
            return False
        return self.query.empty or self.query.matches(job, self._hay[job.local_id])

    def load(self, jobs: Iterable[Job]) -> None:
        """Replace every job."""
        self.jobs = {job.local_id: job for job in jobs}
        self._hay = {local_id: job_haystack(job) for local_id, job in self.jobs.items()}
        self._resort()

    def apply(self, jobs: Iterable[Job]) -> tuple[bool, list[int]]:
        """Fold in changed or new jobs; return (rows were re-placed, positions changed in place)."""
        in_place: list[int] = []
        structural = False
        for job in jobs:
            local_id = job.local_id
            self.jobs[local_id] = job
            self._hay[local_id] = job_haystack(job)
            key = sort_key(job, self.sort_column)
            old_key = self._keys.get(local_id)
            if key != old_key:
                if old_key is not None:
                    del self._order[bisect_left(self._order, old_key)]
                insort(self._order, key)
                self._keys[local_id] = key
                structural = True
            if structural:
                continue
            position = self.index_of(local_id)
            if (position is not None) != self.matches(job):
                structural = True
            elif position is not None:
                self.rows[position] = job
                in_place.append(position)
        if structural:
            self._refilter()
            return True, []
        return False, in_place

    def set_filter(self, name: str) -> None:
        """Show only the statuses of filter ``name`` (a key of FILTERS)."""
        self.filter_name = name
        self._refilter()

    def set_search(self, text: str, now: float | None = None) -> None:
        """Show only jobs matching the query ``text`` (seedance_tui.query); on QueryError nothing changes."""
        self.query = parse_query(text, time.time() if now is None else now)
        self.search = text
        self._refilter()

    def set_sort(self, column: str, reverse: bool) -> None:
        """Order rows by ``column``."""
        changed = column != self.sort_column
        self.sort_column, self.sort_reverse = column, reverse
        if changed:
            self._resort()
        else:
            self._refilter()

    def _resort(self) -> None:
        column = self.sort_column
        self._keys = {local_id: sort_key(job, column) for local_id, job in self.jobs.items()}
        self._order = sorted(self._keys.values())
        self._refilter()

    def _refilter(self) -> None:
        self.rebuilds += 1
        order = reversed(self._order) if self.sort_reverse else iter(self._order)
        rows = [self.jobs[key[-1]] for key in order]
        name = self.filter_name
        if FILTERS[name] is not None:
            rows = [job for job in rows if in_filter(name, job)]
        if not self.query.empty:
            hay, query = self._hay, self.query
            rows = [job for job in rows if query.matches(job, hay[job.local_id])]
        self.rows = rows
        self._index = None
