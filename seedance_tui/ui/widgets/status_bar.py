"""The one-line header: which API, whether it answers, how many jobs are in each state, credits spent."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from rich.text import Text
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from seedance_tui.models import Job, JobStatus
from seedance_tui.service import ApiHealth, HealthState, Role, RoleState
from seedance_tui.text import one_line
from seedance_tui.ui.widgets.job_rows import STATUS_LABELS

#: Buckets shown in the bar, in order; rejected, unknown and not-found jobs count as "problems"
#: (the 6 filter), a job being submitted as queued.
BUCKETS: tuple[str, ...] = (
    JobStatus.QUEUED,
    JobStatus.PROCESSING,
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
)
PROBLEMS = "problems"
#: Short words for the narrow bar, where only buckets holding jobs are named.
SHORT_LABELS: dict[str, str] = {
    JobStatus.QUEUED: "queued",
    JobStatus.PROCESSING: "running",
    JobStatus.SUCCEEDED: "done",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "cancel",
}
#: Jobs whose credits were charged without a video to show for it (the API does not say about refunds).
_NO_VIDEO = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})


def bucket_of(status: str) -> str:
    """The bar's bucket for a status."""
    if status in BUCKETS:
        return status
    return JobStatus.QUEUED if status == JobStatus.SUBMITTING else PROBLEMS


class JobCounts:
    """Jobs per status bucket and credits charged, kept up to date per batch (never by rescanning)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.credits = 0
        #: The part of ``credits`` charged for jobs that failed or were cancelled.
        self.credits_without_video = 0
        self._seen: dict[str, tuple[str, int, int]] = {}

    def update(self, jobs: Iterable[Job]) -> None:
        """Account for new or changed jobs."""
        for job in jobs:
            bucket = bucket_of(job.status)
            credits = job.credits_charged or 0
            lost = credits if job.status in _NO_VIDEO else 0
            old = self._seen.get(job.local_id)
            if old is not None:
                self.counts[old[0]] -= 1
                self.credits -= old[1]
                self.credits_without_video -= old[2]
            self.counts[bucket] += 1
            self.credits += credits
            self.credits_without_video += lost
            self._seen[job.local_id] = (bucket, credits, lost)


def health_text(state: HealthState, now: float) -> tuple[str, str]:
    """What to say about the API's health, and the style class to say it in."""
    if state.health == ApiHealth.UNREACHABLE:
        since = time.strftime("%H:%M:%S", time.localtime(state.since)) if state.since else "now"
        return f"✘ API unreachable since {since}", "status-bar--error"
    if state.health == ApiHealth.RATE_LIMITED:
        wait = max(0, round((state.retry_at or now) - now))
        return f"◔ rate limited, retry in {wait}s", "status-bar--warning"
    if state.health == ApiHealth.KEY_REJECTED:
        return "✘ API key rejected", "status-bar--error"
    return "● OK", "status-bar--ok"


def role_text(state: RoleState) -> tuple[str, str]:
    """Whether this window polls or follows the one that does, and the style class to say it in."""
    if state.role == Role.POLLING:
        return "⇅ polling", "status-bar--dim"
    if state.role == Role.ALONE:
        return "⇅ polling alone (no locks)", "status-bar--warning"
    who = f" pid {state.holder_pid}" if state.holder_pid is not None else ""
    if state.stale and state.silent_for is not None:
        return f"⇣ following{who}, silent {state.silent_for:.0f}s", "status-bar--warning"
    return f"⇣ following{who}", "status-bar--dim"


class StatusBar(Widget):
    """Host, demo badge, API health, per-status counts and credits; redrawn only when they change."""

    DEFAULT_CSS = """
        StatusBar {
            height: 1;
            background: $panel;
            color: $text;
        }

        StatusBar > .status-bar--title {
            text-style: bold;
            color: $primary;
        }

        StatusBar > .status-bar--demo {
            background: $warning;
            color: $background;
            text-style: bold;
        }

        StatusBar > .status-bar--ok {
            color: $success;
        }

        StatusBar > .status-bar--warning {
            color: $warning;
        }

        StatusBar > .status-bar--error {
            color: $error;
            text-style: bold;
        }

        StatusBar > .status-bar--dim {
            color: $text-disabled;
        }
    """
    COMPONENT_CLASSES = {
        "status-bar--title",
        "status-bar--demo",
        "status-bar--ok",
        "status-bar--warning",
        "status-bar--error",
        "status-bar--dim",
    }

    #: The API's health as last reported (set each time: the bar redraws on every report).
    health: reactive[HealthState] = reactive(HealthState(ApiHealth.OK), always_update=True, init=False)
    #: This process's polling role, shown once the service has said (a service without a lease never does).
    role: reactive[RoleState | None] = reactive(None, always_update=True, init=False)

    def __init__(
        self,
        base_url: str,
        *,
        demo: bool = False,
        read_only: bool = False,
        profile: str | None = None,
        health: HealthState | None = None,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.host = urlsplit(base_url).netloc or base_url
        self.demo = demo
        self.read_only = read_only
        self.profile = profile
        if health is not None:
            self.set_reactive(StatusBar.health, health)
        self.job_counts = JobCounts()
        self._clock = clock
        self._countdown: Timer | None = None

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Count new or changed jobs; redraw only if a number changed."""
        counts = self.job_counts
        before = (counts.credits, counts.credits_without_video, dict(counts.counts))
        counts.update(jobs)
        if before != (counts.credits, counts.credits_without_video, dict(counts.counts)):
            self.refresh()

    def watch_health(self, state: HealthState) -> None:
        """A rate-limit countdown ticks once a second while it lasts."""
        if state.health == ApiHealth.RATE_LIMITED and self._countdown is None:
            self._countdown = self.set_interval(1.0, self.refresh)
        elif state.health != ApiHealth.RATE_LIMITED and self._countdown is not None:
            self._countdown.stop()
            self._countdown = None

    def render(self) -> Text:
        # Host, health and credits come first: when the bar is too narrow, the counts give way.
        wide = self.size.width >= 120
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if wide:
            text.append("seedance-tui ", self.get_component_rich_style("status-bar--title", partial=True))
        if self.profile:
            text.append(
                f"[{one_line(self.profile, 20)}] ",
                self.get_component_rich_style("status-bar--title", partial=True),
            )
        text.append(one_line(self.host, 40 if wide else 24))
        if self.demo:
            text.append(" ")
            text.append(" DEMO ", self.get_component_rich_style("status-bar--demo", partial=True))
        if self.read_only:
            text.append(" ")
            text.append(" READ-ONLY ", self.get_component_rich_style("status-bar--demo", partial=True))
        health, style = health_text(self.health, self._clock())
        text.append("  ")
        text.append(health, self.get_component_rich_style(style, partial=True))
        job_counts = self.job_counts
        lost = job_counts.credits_without_video
        if wide:
            text.append(f"  {job_counts.credits:,} credits charged")
            text.append(f" ({lost:,} on failed/cancelled jobs)" if lost else "")
        else:
            text.append(f"  {job_counts.credits:,} cr" + (f" ({lost:,} on ✘⊘)" if lost else ""))
        if self.role is not None:
            role, style = role_text(self.role)
            text.append("  ")
            text.append(role, self.get_component_rich_style(style, partial=True))
        text.append("  ")
        counts = job_counts.counts
        dim = self.get_component_rich_style("status-bar--dim", partial=True)
        for bucket in BUCKETS:
            symbol, label = STATUS_LABELS[bucket]
            count = counts[bucket]
            if wide:
                text.append(f"{symbol} {count} {label}  ", dim if not count else "")
            elif count:
                text.append(f"{symbol}{count} {SHORT_LABELS[bucket]} ")
        if counts[PROBLEMS]:
            text.append(f"!{counts[PROBLEMS]} {PROBLEMS}" + (" (6)" if wide else ""))
        return text
