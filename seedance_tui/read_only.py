"""Read-only mode: the one check that everything able to send a POST (spend credits) asks first.

Dashboard and CLI alike: ``--read-only`` or ``read_only = true`` in the config file.
"""

from __future__ import annotations

from seedance_tui.config import Settings

#: Binding ids of actions that send a POST, or open a form that does; hidden in read-only mode.
POST_ACTION_IDS: frozenset[str] = frozenset(
    {
        "new_job",
        "submit",
        "cancel_job",
        "edit_resubmit",
        "confirm_cancel",
        "rerun",
        "batch_file",
        "send_batch",
    }
)


class ReadOnlyError(Exception):
    """A POST-sending action was asked for in read-only mode (CLI exit code 2)."""


def check_writable(settings: Settings, what: str) -> None:
    """Raise ReadOnlyError naming ``what`` when ``settings`` forbid sending POSTs."""
    if settings.read_only:
        raise ReadOnlyError(
            f"{what} is not available in read-only mode (--read-only or read_only = true in "
            f"{settings.config_path})."
        )
