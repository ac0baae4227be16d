"""What the dashboard says when the archive of old finished jobs has been read into the table."""

from __future__ import annotations

from seedance_tui.service import ArchivedRead


def archive_loaded_message(read: ArchivedRead) -> str:
    """Where the extra rows came from and what reading them cost, so a slow search is explained."""
    return (
        f"{len(read.jobs):,} older finished job(s) read from the archive ({read.months} month file(s)) "
        f"in {read.seconds:.1f} s: search, filters, sort and export now include them."
    )
