"""The one-line header: which API, whether it answers, how many jobs are in each state, credits spent."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget

from seedance_tui.models import Job, JobStatus
from seedance_tui.polling import ApiHealth, HealthState
from seedance_tui.service import Role, RoleState
from seedance_tui.text import one_line
from seedance_tui.ui.widgets.job_rows import STATUS_LABELS

#: Buckets shown in the bar, in order; every other status counts as "other".
BUCKETS: tuple[str, ...] = (
    JobStatus.QUEUED,
    JobStatus.PROCESSING,
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
)


class JobCounts:
    """Jobs per status bucket and total credits, kept up to date per batch (never by rescanning)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.credits = 0
        self._seen: dict[str, tuple[str, int]] = {}

    def update(self, jobs: Iterable[Job]) -> None:
        """Account for new or changed jobs."""
        for job in jobs:
            bucket = job.status if job.status in BUCKETS else "other"
            credits = job.credits_charged or 0
            old = self._seen.get(job.local_id)
            if old is not None:
                self.counts[old[0]] -= 1
                self.credits -= old[1]
            self.counts[bucket] += 1
            self.credits += credits
            self._seen[job.local_id] = (bucket, credits)


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

    COMPONENT_CLASSES = {
        "status-bar--title",
        "status-bar--demo",
        "status-bar--ok",
        "status-bar--warning",
        "status-bar--error",
        "status-bar--dim",
    }

    def __init__(
        self,
        base_url: str,
        *,
        demo: bool = False,
        health: HealthState | None = None,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.host = urlsplit(base_url).netloc or base_url
        self.demo = demo
        self.health = health or HealthState(ApiHealth.OK)
        self.job_counts = JobCounts()
        self._clock = clock
        self._countdown: Timer | None = None
        #: Shown once the service has said (a service without a lease never does).
        self.role: RoleState | None = None

    def update_jobs(self, jobs: Iterable[Job]) -> None:
        """Count new or changed jobs; redraw only if a number changed."""
        counts = self.job_counts
        before = (counts.credits, dict(counts.counts))
        counts.update(jobs)
        if before != (counts.credits, dict(counts.counts)):
            self.refresh()

    def set_health(self, state: HealthState) -> None:
        """Show a new API health; a rate-limit countdown ticks once a second while it lasts."""
        self.health = state
        if state.health == ApiHealth.RATE_LIMITED and self._countdown is None:
            self._countdown = self.set_interval(1.0, self.refresh)
        elif state.health != ApiHealth.RATE_LIMITED and self._countdown is not None:
            self._countdown.stop()
            self._countdown = None
        self.refresh()

    def set_role(self, state: RoleState) -> None:
        self.role = state
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append("seedance-tui ", self.get_component_rich_style("status-bar--title", partial=True))
        text.append(one_line(self.host, 40))
        if self.demo:
            text.append(" ")
            text.append(" DEMO ", self.get_component_rich_style("status-bar--demo", partial=True))
        health, style = health_text(self.health, self._clock())
        text.append("  ")
        text.append(health, self.get_component_rich_style(style, partial=True))
        if self.role is not None:
            role, style = role_text(self.role)
            text.append("  ")
            text.append(role, self.get_component_rich_style(style, partial=True))
        text.append("  ")
        counts = self.job_counts.counts
        dim = self.get_component_rich_style("status-bar--dim", partial=True)
        wide = self.size.width >= 120
        for bucket in BUCKETS:
            symbol, label = STATUS_LABELS[bucket]
            count = counts[bucket]
            words = f"{symbol} {count} {label}  " if wide else f"{symbol}{count} "
            text.append(words, dim if not count else "")
        if counts["other"]:
            text.append(f"+{counts['other']} other ")
        text.append(f" {self.job_counts.credits:,} credits" if wide else f" {self.job_counts.credits:,} cr")
        return text
