"""What to tell the user when jobs finish: grouped toast text, and rate-limited terminal alerts.

Pure logic (no textual, no I/O): the app feeds finished jobs in and writes out what comes back.
An alert is the terminal bell (BEL: it crosses SSH and marks the tmux window) or a desktop
notification escape sequence (OSC 777 / OSC 9, wrapped for tmux passthrough inside tmux).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple

from seedance_tui.models import Job, JobStatus
from seedance_tui.text import one_line

BEL = "\x07"
ESC = "\x1b"

#: At most one alert per this many seconds by default; what ends meanwhile is summarised.
DEFAULT_MIN_INTERVAL = 10.0

#: Final statuses worth telling about, in the order a summary names them.
ANNOUNCED: tuple[str, ...] = (
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
    JobStatus.NOT_FOUND,
)
#: Endings that count as failures (these may be set to alert louder than successes).
FAILURES: frozenset[str] = frozenset({JobStatus.FAILED, JobStatus.NOT_FOUND})

_WORDS: dict[str, str] = {
    JobStatus.SUCCEEDED: "succeeded",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "cancelled",
    JobStatus.NOT_FOUND: "not found",
}


class NotifyMode(StrEnum):
    """How a terminal alert is given."""

    BELL = "bell"
    DESKTOP = "desktop"
    OFF = "off"

    @classmethod
    def parse(cls, value: object, setting: str = "notify") -> NotifyMode:
        """The mode named by ``value``; ValueError with the allowed names otherwise."""
        text = str(value).strip().lower()
        try:
            return cls(text)
        except ValueError:
            allowed = ", ".join(mode.value for mode in cls)
            raise ValueError(f"{setting} must be one of {allowed}, not {value!r}") from None


def summary(counts: Mapping[str, int]) -> str:
    """``"12 succeeded, 2 failed"``: the counts of each ending, in a fixed order."""
    parts = [f"{counts[status]} {_WORDS[status]}" for status in ANNOUNCED if counts.get(status)]
    return ", ".join(parts)


class Toast(NamedTuple):
    """One on-screen notification: already plain text (never markup)."""

    title: str
    message: str
    severity: Literal["information", "warning", "error"]


def toast_for(jobs: list[Job], name: Callable[[Job], str]) -> Toast | None:
    """One toast for a batch of jobs that just ended: named one by one if few, counted if many."""
    jobs = [job for job in jobs if job.status in _WORDS]
    if not jobs:
        return None
    counts = Counter(job.status for job in jobs)
    severity: Literal["information", "warning", "error"] = "information"
    if any(status in FAILURES for status in counts):
        severity = "error"
    elif counts.get(JobStatus.CANCELLED):
        severity = "warning"
    if len(jobs) == 1:
        job = jobs[0]
        message = f"Job {one_line(name(job), 40)} {_WORDS[job.status]}"
        if job.status in FAILURES:
            reason = job.error_message or job.error_code or job.last_error or "no reason given"
            message += f": {one_line(reason, 200)}"
        title = {"error": "Failed", "warning": "Cancelled"}.get(severity, "Done")
        return Toast(title, message + ".", severity)
    return Toast("Jobs finished", summary(counts) + ".", severity)


def desktop_sequence(title: str, body: str, *, protocol: str, in_tmux: bool) -> str:
    """The escape sequence of a desktop notification; its text has no control characters.

    ``protocol`` is ``"osc9"`` (iTerm2, Windows Terminal, ConEmu) or ``"osc777"`` (urxvt, foot,
    WezTerm, VTE, Ghostty). Inside tmux the sequence is wrapped so tmux passes it to the outer
    terminal (needs ``set -g allow-passthrough on`` in tmux ≥ 3.3).
    """
    # one_line escapes every control character, so nothing in a job's text can end the sequence.
    # ';' separates OSC 777 fields; it is replaced there only.
    safe_title = one_line(title, 80)
    safe_body = one_line(body, 200)
    if protocol == "osc9":
        sequence = f"{ESC}]9;{safe_title}: {safe_body}{BEL}"
    else:
        safe_title, safe_body = safe_title.replace(";", ","), safe_body.replace(";", ",")
        sequence = f"{ESC}]777;notify;{safe_title};{safe_body}{BEL}"
    if in_tmux:
        sequence = f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ESC}\\"
    return sequence


def desktop_protocol(env: Mapping[str, str]) -> str | None:
    """The desktop-notification escape this terminal is known to show, or None (unknown: ring instead).

    Terminals answer no query for this, so it is read from the environment they set. Inside tmux
    the outer terminal is unknown; OSC 777 is sent (passed through) along with the bell.
    """
    program = env.get("TERM_PROGRAM", "")
    if program in ("iTerm.app",) or env.get("WT_SESSION") or env.get("ConEmuPID"):
        return "osc9"
    if (
        program in ("WezTerm", "ghostty", "tmux")
        or env.get("VTE_VERSION")
        or env.get("TMUX")
        or env.get("TERM", "").startswith(("rxvt", "foot"))
    ):
        return "osc777"
    return None


@dataclass
class Alerter:
    """Turns finished jobs into terminal alerts, at most one per ``min_interval`` seconds.

    Endings that arrive while alerts are held back are counted and summarised in the next alert.
    ``clock`` is injectable so tests need no real waiting.
    """

    mode: NotifyMode = NotifyMode.BELL
    failure_mode: NotifyMode | None = None
    min_interval: float = DEFAULT_MIN_INTERVAL
    env: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    _pending: Counter[str] = field(default_factory=Counter)
    _last_alert: float | None = None

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def mode_for(self, status: str) -> NotifyMode:
        """The alert mode of one ending (failures may have their own, louder, mode)."""
        if status in FAILURES and self.failure_mode is not None:
            return self.failure_mode
        return self.mode

    def add(self, jobs: Iterable[Job]) -> None:
        """Count jobs that just ended (those whose mode is ``off`` are not counted)."""
        for job in jobs:
            if job.status in _WORDS and self.mode_for(job.status) != NotifyMode.OFF:
                self._pending[job.status] += 1

    def wait(self) -> float:
        """Seconds until the pending alert may be given (0: now)."""
        if self._last_alert is None:
            return 0.0
        return max(0.0, self._last_alert + self.min_interval - self.clock())

    def take(self) -> str | None:
        """The bytes to write to the terminal now (None: nothing pending, or not allowed yet)."""
        if not self._pending or self.wait() > 0:
            return None
        counts, self._pending = self._pending, Counter()
        self._last_alert = self.clock()
        loudest = self._loudest(counts)
        if loudest == NotifyMode.OFF:
            return None
        if loudest == NotifyMode.BELL:
            return BEL
        protocol = desktop_protocol(self.env)
        if protocol is None:
            return BEL
        failed = any(status in FAILURES for status in counts)
        title = "seedance-tui: jobs failed" if failed else "seedance-tui: jobs finished"
        in_tmux = bool(self.env.get("TMUX"))
        sequence = desktop_sequence(title, summary(counts), protocol=protocol, in_tmux=in_tmux)
        # Inside tmux the outer terminal may not show it: the bell still marks the window.
        return sequence + BEL if in_tmux else sequence

    def _loudest(self, counts: Mapping[str, int]) -> NotifyMode:
        modes = {self.mode_for(status) for status in counts}
        for mode in (NotifyMode.DESKTOP, NotifyMode.BELL):
            if mode in modes:
                return mode
        return NotifyMode.OFF
