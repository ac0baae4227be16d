"""Messages the app sends its screens: batched job changes and API health changes."""

from __future__ import annotations

from textual.message import Message

from seedance_tui.models import Job
from seedance_tui.service import HealthState, RoleState


class JobsChanged(Message):
    """Some jobs changed (status, output, error) or were added; one batch per service tick."""

    def __init__(self, jobs: list[Job]) -> None:
        super().__init__()
        self.jobs = jobs


class HealthChanged(Message):
    """The API's health as seen by the poller changed (ok, unreachable, rate limited, key rejected)."""

    def __init__(self, state: HealthState) -> None:
        super().__init__()
        self.state = state


class RoleChanged(Message):
    """This window started polling, or follows another process that polls the same store."""

    def __init__(self, state: RoleState) -> None:
        super().__init__()
        self.state = state
