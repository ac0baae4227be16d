"""Every status is told apart by its symbol alone (16 colours, NO_COLOR), and one module owns the look."""

from __future__ import annotations

from seedance_tui.models import JobStatus
from seedance_tui.ui.status_look import STATUS_LOOKS, look_of
from seedance_tui.ui.widgets.job_rows import STATUS_LABELS, status_text


def test_every_known_status_has_its_own_symbol_and_label() -> None:
    assert set(STATUS_LOOKS) == set(JobStatus)
    symbols = [look.symbol for look in STATUS_LOOKS.values()]
    labels = [look.label for look in STATUS_LOOKS.values()]
    assert len(set(symbols)) == len(symbols) and len(set(labels)) == len(labels)


def test_processing_and_failed_never_share_a_colour_variable() -> None:
    colour = {status: look.style.split()[0] for status, look in STATUS_LOOKS.items()}
    assert colour[JobStatus.PROCESSING] != colour[JobStatus.FAILED]
    assert colour[JobStatus.PROCESSING] != colour[JobStatus.SUCCEEDED]


def test_table_text_and_labels_come_from_the_one_module() -> None:
    for status, look in STATUS_LOOKS.items():
        assert STATUS_LABELS[status] == (look.symbol, look.label)
        assert status_text(status) == f"{look.symbol} {look.label}"
    assert look_of("paused").label == "paused"
