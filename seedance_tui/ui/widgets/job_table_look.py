"""How the job table looks: its CSS (theme colours of the header, cursor, marks, changed rows and each
status) and the component classes it draws with."""

from __future__ import annotations

from seedance_tui.ui.status_look import css_rules, look_of
from seedance_tui.ui.widgets.job_rows import STATUS_LABELS


def status_class(status: str) -> str:
    """The component class that colours ``status`` (one for every status this version does not know)."""
    return look_of(status).css_class("job-table", status if status in STATUS_LABELS else "other")


JOB_TABLE_CSS = """
JobTable {
    width: 1fr;
    height: 1fr;
    background: $surface;
    overflow-x: hidden;
    scrollbar-size-vertical: 1;
}

JobTable > .job-table--header {
    background: $panel;
    color: $text-muted;
    text-style: bold;
}

JobTable > .job-table--cursor {
    background: $block-cursor-background;
    color: $block-cursor-foreground;
}

JobTable > .job-table--cursor-blurred {
    background: $block-cursor-blurred-background;
}

/* Marked rows: a ✓ before the first cell says it; the tint only helps. */
JobTable > .job-table--marked {
    background: $accent 25%;
    text-style: bold;
}

/* A row that just changed: marked (• then ·) in its first gap, and tinted while it fades. */
JobTable > .job-table--changed {
    background: $accent 30%;
    text-style: bold;
}

JobTable > .job-table--fading {
    background: $accent 12%;
}

JobTable > .job-table--hint {
    color: $text-muted;
    text-style: italic;
}
""" + css_rules("JobTable", "job-table")

JOB_TABLE_CLASSES = {
    "job-table--header",
    "job-table--cursor",
    "job-table--cursor-blurred",
    "job-table--hint",
    "job-table--other",
    "job-table--marked",
    "job-table--changed",
    "job-table--fading",
    *(status_class(status) for status in STATUS_LABELS),
}
