"""What the dashboard says when the archive of old finished jobs has been read into the table."""

from __future__ import annotations

from seedance_tui.service import ArchivedRead


def older_page_message(read: ArchivedRead) -> str:
    """What scrolling to the end of the table brought in, and what it cost."""
    return f"Loaded {read.added:,} older job(s) from the archive in {read.seconds * 1000:,.0f} ms."


def archive_loaded_message(read: ArchivedRead) -> str:
    """Where the extra rows came from and what reading them cost, so a slow search is explained."""
    return (
        f"{read.added:,} older job(s) read from the archive in {read.seconds * 1000:,.0f} ms "
        f"({len(read.jobs):,} in all): search, filters, sort and export now include them."
    )
