"""The Textual app: runs the service in the background and forwards its changes to every open screen."""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from urllib.parse import urlsplit

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled

from seedance_tui.config import Settings
from seedance_tui.models import Job, JobStatus, is_final
from seedance_tui.service import (
    Alerter,
    ApiHealth,
    HealthState,
    JobService,
    NotifyMode,
    Role,
    RoleState,
    StoreError,
    toast_for,
)
from seedance_tui.text import one_line
from seedance_tui.ui.commands import SeedanceCommands, main_screen_commands
from seedance_tui.ui.messages import HealthChanged, JobsChanged, RoleChanged
from seedance_tui.ui.preferences import apply_preferences
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.styles import style_path
from seedance_tui.ui.widgets.job_rows import short_id

#: The service's background work for as long as the app is open, given where to send warnings
#: (built by the composition root, ``seedance_tui/launch.py``; the app only runs it).
ServiceRunner = Callable[[Callable[[str], None]], Awaitable[None]]

#: The cyclic GC's young generation once the first screen is up (Python's default is 700; 3.13's
#: is 2,000). Each repaint leaves cyclic garbage (Textual's line strips cache themselves), which
#: at 700 outlived the young passes and piled up for a full pass every ~10 key presses (25-55 ms
#: at 10,000 jobs: the long frames while moving through the split view, issue 14). With a larger
#: young generation most of it is unreachable by then and freed young: 4 full passes in 600
#: presses instead of 36 (tests/perf/bench_split.py).
YOUNG_GENERATION = 2_000


class SeedanceApp(App[int]):
    """The dashboard; all behaviour lives in its screens and widgets."""

    TITLE = "seedance-tui"
    # The main screen's sheet is read with the app's: read when the screen is pushed, it would make
    # Textual parse every sheet again and restyle the app before the first paint.
    CSS_PATH = [style_path("global.tcss"), style_path("main.tcss")]
    #: As Textual's default ("Footer"): our footer (KeyFooter, not a Footer) stays in a maximized view.
    ALLOW_IN_MAXIMIZED_VIEW = "KeyFooter"
    #: Textual's own system commands provider (see get_system_commands), searching their help text too.
    COMMANDS = {SeedanceCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit_interrupt"),
        Binding("question_mark,f1", "help", "Help", id="help"),
        # Only while Textual's key panel is open (see check_action): escape closes it.
        Binding("escape", "hide_help_panel", "Close keys", show=False, priority=True, id="close_key_panel"),
    ]

    def __init__(
        self,
        service: JobService,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        run: ServiceRunner | None = None,
        notices: Sequence[str] = (),
        terminal_write: Callable[[str], None] | None = None,
        alert_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        #: Warnings found before the app started (shown once it runs).
        self.startup_notices = tuple(notices)
        self.service = service
        self.settings = settings
        self._run: ServiceRunner = run or (lambda _warn: service.run())
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
        #: Where bells and desktop notifications go (the terminal; tests capture them).
        self._terminal_write = terminal_write or self._write_to_terminal
        failure_mode = NotifyMode(settings.notify_failures) if settings.notify_failures else None
        self.alerter = Alerter(
            NotifyMode(settings.notify), failure_mode, env=dict(os.environ), clock=alert_clock
        )
        self._alert_timer_armed = False
        #: The cyclic GC's thresholds before the first paint tuned them (restored when the app closes).
        self._gc_thresholds: tuple[int, int, int] | None = None
        #: The cyclic GC was on when the app started, and is paused until the first paint.
        self._gc_paused = False
        if settings.theme in self.available_themes:
            # Set before any style sheet is parsed: set in on_mount (apply_preferences, which still
            # reports an unknown one), it made Textual parse the app's sheets twice more (issue 15).
            self.theme = settings.theme

    def get_default_screen(self) -> Screen:
        """The main screen is the app's first screen: composed with the app, not pushed over an empty
        one that Textual would style, lay out and draw first (issue 15)."""
        return MainScreen(self.service, self.settings, clock=self.clock)

    def on_load(self) -> None:
        # Until the first paint the collector is paused: composing, styling and drawing the first
        # screen make tens of thousands of objects that live on (styles, rules, strips), and the
        # passes it ran meanwhile found next to nothing to free (issue 15).
        self._gc_paused = gc.isenabled()
        gc.disable()

    def _resume_gc(self) -> None:
        if self._gc_paused:
            self._gc_paused = False
            gc.enable()

    def on_mount(self) -> None:
        for problem in apply_preferences(self, self.settings):
            self.notify(problem, title="Config file", severity="warning", timeout=20, markup=False)
        self._last_status = {job.local_id: job.status for job in self.service.jobs()}
        self.service.add_listener(self._on_jobs)
        self.service.add_health_listener(self._on_health)
        self.service.add_store_listener(self._on_store_problem)
        self.service.add_damage_listener(self._on_store_damage)
        for notice in self.startup_notices:
            self.notify(notice, title="Demo", severity="warning", timeout=20, markup=False)
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
        foreign = self.service.foreign_jobs()
        if foreign:
            apis = ", ".join(sorted({one_line(job.api or "", 60) for job in foreign}))
            self.notify(
                f"{len(foreign)} job(s) in this store were sent to another API ({apis}): they are shown "
                "but not checked or cancelled here.",
                title="Jobs of another API",
                severity="warning",
                timeout=20,
                markup=False,
            )
        main = self.screen
        assert isinstance(main, MainScreen)
        # Polling starts once the table is on screen: its first steps (loading httpx, the TLS context,
        # the poller's lease) would otherwise hold the GIL during the first paint.
        main.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        # What the first screen was built from (the table's rows and index over every loaded job)
        # lives as long as the app: frozen out of the cyclic GC's reach, full passes no longer rescan it.
        self._gc_thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(YOUNG_GENERATION, *self._gc_thresholds[1:])
        self._resume_gc()
        self._start_service()

    def _start_service(self) -> None:
        if not self._service_closed:
            self._service_worker = self.run_worker(
                self._run(self._service_warning), name="service", group="service", exit_on_error=False
            )

    def _service_warning(self, message: str) -> None:
        self.notify(message, title="Background service", severity="warning", markup=False)

    def action_help(self) -> None:
        """Show every key of the current screen (as remapped) and the status legend."""
        from seedance_tui.ui.screens.help import HelpScreen, help_rows  # loaded when first shown (issue 15)

        if not isinstance(self.screen, HelpScreen):
            title = self.screen.name or type(self.screen).__name__.removesuffix("Screen").lower()
            self.push_screen(HelpScreen(title, help_rows(self.screen)))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Each action of the main screen while it is open, help on keys, then Textual's own entries."""
        if isinstance(screen, MainScreen):
            yield from main_screen_commands(screen)
        yield SystemCommand(
            "Help: keys",
            "Every key of this screen, and help for the focused field (escape closes it)",
            self.action_show_help_panel,
        )
        yield from super().get_system_commands(screen)

    def _broadcast(self, make: Callable[[], Message]) -> None:
        for screen in self.screen_stack:
            screen.post_message(make())

    def _on_jobs(self, jobs: list[Job]) -> None:
        self._broadcast(lambda: JobsChanged(jobs))
        ended: list[Job] = []
        for job in jobs:
            before = self._last_status.get(job.local_id)
            self._last_status[job.local_id] = job.status
            just_ended = before is not None and before != job.status and job.is_final and not is_final(before)
            # A cancel made here was answered by its dialog already: only others' cancels are news.
            cancelled_here = job.status == JobStatus.CANCELLED and job.local_id in self.service.cancelled_here
            if just_ended and not cancelled_here:
                ended.append(job)
        if ended:
            self._announce(ended)

    def _on_store_damage(self, message: str, jobs_may_be_missing: bool) -> None:
        """A banner that stays until dismissed when jobs may be missing from view."""
        if jobs_may_be_missing:
            self.notify(message, title="Job store damaged", severity="error", timeout=24 * 3600, markup=False)
        else:
            self.notify(message, title="Job store", severity="warning", timeout=30, markup=False)

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

    def _announce(self, jobs: list[Job]) -> None:
        """One toast for the jobs that just finished while we watched, and a (rate-limited) alert."""
        toast = toast_for(jobs, short_id)
        if toast is not None:
            timeout = 10 if toast.severity == "error" else 5
            self.notify(
                toast.message, title=toast.title, severity=toast.severity, timeout=timeout, markup=False
            )
        self.alerter.add(jobs)
        self._alert()

    def _alert(self) -> None:
        """Give the pending alert now, or once the rate limit allows (one timer at a time)."""
        data = self.alerter.take()
        if data:
            self._terminal_write(data)
        if self.alerter.has_pending and not self._alert_timer_armed:
            self._alert_timer_armed = True
            self.set_timer(self.alerter.wait() + 0.01, self._alert_due)

    def _alert_due(self) -> None:
        self._alert_timer_armed = False
        self._alert()

    def _write_to_terminal(self, data: str) -> None:
        driver = self._driver
        if driver is not None and not self.is_headless:
            driver.write(data)
            driver.flush()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hide_help_panel":
            return bool(self.screen.query("HelpPanel"))
        return True

    def _ask_before_losing_draft(self) -> bool:
        """The first quit from a form holding an unsent prompt only asks; True when it asked."""
        from seedance_tui.ui.screens.submit import SubmitScreen  # loaded when first opened, not to paint

        form = self.screen
        if not isinstance(form, SubmitScreen) or not form.has_unsent_text or form.quit_asked:
            return False
        form.quit_asked = True
        self.notify(
            "The prompt in the form was not sent. Press ctrl+c again to quit and lose it, "
            "or ctrl+s to submit it.",
            title="Quit?",
            severity="warning",
            markup=False,
        )
        return True

    async def action_quit(self) -> None:
        """Save everything, stop polling, leave; if the store cannot be written, warn once and stay."""
        if self._ask_before_losing_draft():
            return
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
        self._resume_gc()  # closed before its first paint
        await self._stop_service()
        if self._gc_thresholds is not None:  # the process may go on (tests): leave the GC as it was
            gc.set_threshold(*self._gc_thresholds)
            gc.unfreeze()

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
