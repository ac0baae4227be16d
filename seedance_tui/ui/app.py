"""The Textual app: runs the service in the background and forwards its changes to every open screen."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.worker import Worker, WorkerCancelled

from seedance_tui.config import Settings
from seedance_tui.models import Job, JobStatus, is_final
from seedance_tui.polling import ApiHealth, HealthState
from seedance_tui.service import JobService, Role, RoleState
from seedance_tui.store import StoreError
from seedance_tui.text import one_line
from seedance_tui.ui.commands import SeedanceCommands
from seedance_tui.ui.messages import HealthChanged, JobsChanged, RoleChanged
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.styles import style_path
from seedance_tui.ui.widgets.job_rows import short_id
from seedance_tui.webhooks import WebhookPlan


class SeedanceApp(App[int]):
    """The dashboard; all behaviour lives in its screens and widgets."""

    TITLE = "seedance-tui"
    CSS_PATH = style_path("global.tcss")
    COMMANDS = App.COMMANDS | {SeedanceCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        service: JobService,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        webhooks: WebhookPlan | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        self.webhooks = webhooks
        self.clock = clock
        host = urlsplit(settings.base_url).netloc or settings.base_url
        self.sub_title = f"demo · {host}" if settings.demo else host
        self._service_worker: Worker[None] | None = None
        self._service_closed = False
        self._quit_unsaved_warned = False
        #: Why the last save failed when the app closed (None when everything was saved).
        self.unsaved_error: str | None = None
        # Last status seen per job: only transitions observed in this run are announced.
        self._last_status: dict[str, str] = {}

    def on_mount(self) -> None:
        self._last_status = {job.local_id: job.status for job in self.service.jobs()}
        self.service.add_listener(self._on_jobs)
        self.service.add_health_listener(self._on_health)
        self.service.add_store_listener(self._on_store_problem)
        self.service.add_role_listener(self._on_role)
        if self.service.unreadable_jobs:
            self.notify(
                f"{self.service.unreadable_jobs} job record(s) in the store could not be read by this "
                "version; they are kept on disk untouched.",
                title="Job store",
                severity="warning",
                timeout=20,
                markup=False,
            )
        if self.webhooks is None:
            running = self.service.run()
        else:
            from seedance_tui.webhooks import run_with_webhooks  # uvicorn only when webhooks are on

            running = run_with_webhooks(self.service, self.webhooks, on_error=self._webhooks_failed)
        self._service_worker = self.run_worker(running, name="service", group="service", exit_on_error=False)
        self.push_screen(MainScreen(self.service, self.settings, clock=self.clock))

    def _webhooks_failed(self, message: str) -> None:
        self.notify(message, title="Webhooks", severity="warning", markup=False)

    def _broadcast(self, make: Callable[[], Message]) -> None:
        for screen in self.screen_stack:
            screen.post_message(make())

    def _on_jobs(self, jobs: list[Job]) -> None:
        self._broadcast(lambda: JobsChanged(jobs))
        for job in jobs:
            before = self._last_status.get(job.local_id)
            self._last_status[job.local_id] = job.status
            if before is not None and before != job.status and job.is_final and not is_final(before):
                self._announce(job)

    def _on_store_problem(self, problem: str | None) -> None:
        if problem is None:
            self.notify("The job store is being saved again.", title="Job store", markup=False)
        else:
            self.notify(
                f"{problem}\nChanges are kept in memory and saved when possible. Do not quit yet.",
                title="Job store not saved",
                severity="error",
                timeout=30,
                markup=False,
            )

    def _on_role(self, state: RoleState) -> None:
        self._broadcast(lambda: RoleChanged(state))
        if state.role == Role.ALONE:
            self.notify(
                f"Locks do not work for this job store ({state.detail}). This window polls on its own, "
                "as every other open one will: the request budget is per window.",
                title="Polling",
                severity="warning",
                timeout=20,
                markup=False,
            )

    def _on_health(self, state: HealthState) -> None:
        self._broadcast(lambda: HealthChanged(state))
        detail = one_line(state.detail, 300)
        if state.health == ApiHealth.KEY_REJECTED:
            self.notify(
                f"{detail}\nPolling has stopped. Fix the key and restart, or press r to try it again.",
                title="API key rejected",
                severity="error",
                timeout=30,
                markup=False,
            )
        elif state.health == ApiHealth.UNREACHABLE:
            self.notify(detail, title="API unreachable", severity="warning", markup=False)

    def _announce(self, job: Job) -> None:
        """A toast for a job that finished while we watched."""
        name = short_id(job)
        if job.status == JobStatus.SUCCEEDED:
            self.notify(f"Job {name} succeeded.", title="Done", markup=False)
        elif job.status == JobStatus.FAILED:
            reason = one_line(job.error_message or job.error_code or "no reason given", 200)
            self.notify(f"Job {name} failed: {reason}", title="Failed", severity="error", markup=False)
        elif job.status == JobStatus.CANCELLED:
            self.notify(f"Job {name} was cancelled.", title="Cancelled", severity="warning", markup=False)

    async def action_quit(self) -> None:
        """Save everything, stop polling, leave; if the store cannot be written, warn once and stay."""
        if not self._quit_unsaved_warned:
            try:
                await self.service.flush(all_pending=True)
            except StoreError as exc:
                # Everything keeps running (and retrying the save); a second q leaves anyway.
                self._quit_unsaved_warned = True
                self.notify(
                    f"{exc}\nNot everything is saved. Press q again to quit anyway.",
                    title="Job store not saved",
                    severity="error",
                    timeout=30,
                    markup=False,
                )
                return
        await self._stop_service()
        self.exit(0)

    async def on_unmount(self) -> None:
        await self._stop_service()

    async def _stop_service(self) -> None:
        if self._service_closed:
            return
        self._service_closed = True
        if self._service_worker is not None:
            self._service_worker.cancel()
            with contextlib.suppress(WorkerCancelled):
                await self._service_worker.wait()
        try:
            await self.service.close()
        except StoreError as exc:
            self.unsaved_error = str(exc)  # said on stderr once the terminal is back
