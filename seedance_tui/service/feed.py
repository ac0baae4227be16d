"""The service's change feed: who hears what changed, and job changes batched into one call per 50 ms.

A poll cycle answers hundreds of jobs within milliseconds; listeners (the dashboard's table) redraw
once per batch instead of once per job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from seedance_tui.models import Job
from seedance_tui.polling import HealthState
from seedance_tui.polling.lease import RoleState

JobsListener = Callable[[list[Job]], None]
HealthListener = Callable[[HealthState], None]
#: Called with a message when the store cannot be written (None once it can again).
StoreProblemListener = Callable[[str | None], None]
#: Called with what the store read around (a journal not replayed or set aside, an empty file),
#: and whether jobs may be missing from view because of it.
DamageListener = Callable[[str, bool], None]

RoleListener = Callable[[RoleState], None]

#: Changes within this many seconds reach listeners as one batch.
BATCH_DELAY = 0.05


class ChangeFeed:
    """Listener lists and their fan-out; job changes are collected and sent as one batch."""

    def __init__(self, before_batch: JobsListener) -> None:
        #: Called with each batch before any listener (the ETA model learns from it).
        self._before_batch = before_batch
        self.jobs: list[JobsListener] = []
        self.health: list[HealthListener] = []
        self.store_problems: list[StoreProblemListener] = []
        self.damage: list[DamageListener] = []
        self.roles: list[RoleListener] = []
        self._changed: dict[str, Job] = {}
        self._emit_handle: asyncio.Handle | None = None

    def changed(self, job: Job) -> None:
        """Send ``job`` with the next batch (its latest state only, however often it changed)."""
        self._changed[job.local_id] = job
        self._schedule_emit()

    def _schedule_emit(self) -> None:
        if self._emit_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._emit()
                return
            self._emit_handle = loop.call_later(BATCH_DELAY, self._emit)

    def _emit(self) -> None:
        self._emit_handle = None
        batch = list(self._changed.values())
        self._changed.clear()
        if batch:
            self._before_batch(batch)
            for listener in self.jobs:
                listener(batch)

    def health_changed(self, state: HealthState) -> None:
        for listener in self.health:
            listener(state)

    def store_problem(self, problem: str | None) -> None:
        for listener in self.store_problems:
            listener(problem)

    def damaged(self, message: str, jobs_may_be_missing: bool) -> None:
        for listener in self.damage:
            listener(message, jobs_may_be_missing)

    def role_changed(self, state: RoleState) -> None:
        for listener in self.roles:
            listener(state)
