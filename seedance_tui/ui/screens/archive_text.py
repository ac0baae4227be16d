"""What the dashboard says when the archive of old finished jobs has been read into the table."""

from __future__ import annotations

from seedance_tui.service import ArchivedRead


def archive_loaded_message(read: ArchivedRead) -> str:
    """Where the extra rows came from and what reading them cost, so a slow search is explained."""
    return (
        f"{read.added:,} older job(s) read from the archive in {read.seconds * 1000:,.0f} ms "
        f"({len(read.jobs):,} in all): search, filters, sort and export now include them."
    )
