"""Finished-job alerts: grouped text, modes, the rate limit on an injected clock, untrusted text."""

from __future__ import annotations

import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.notify import BEL, ESC, Alerter, NotifyMode, desktop_sequence, summary, toast_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ended(status: str, prompt: str = "p", error: str | None = None) -> Job:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt=prompt))
    job.request_id = "req_0123456789abcdef"
    job.error_message = error
    job.set_status(status)
    return job


def test_one_job_is_named_and_many_are_counted() -> None:
    one = toast_for([ended(JobStatus.SUCCEEDED)], lambda j: "abc")
    assert one is not None and one.message == "Job abc succeeded." and one.severity == "information"
    many = [ended(JobStatus.SUCCEEDED)] * 12 + [ended(JobStatus.FAILED)] * 2
    toast = toast_for(many, lambda j: "x")
    assert toast is not None and toast.message == "12 succeeded, 2 failed." and toast.severity == "error"
    assert toast_for([ended(JobStatus.QUEUED)], lambda j: "x") is None


def test_failure_reason_is_printed_literally() -> None:
    toast = toast_for([ended(JobStatus.FAILED, error="[b]bad[/b]\x1b]0;pwn\x07")], lambda j: "x")
    assert toast is not None
    assert "[b]bad[/b]" in toast.message and "\x1b" not in toast.message and "\x07" not in toast.message


def test_bell_is_rate_limited_and_summarises_what_happened_meanwhile() -> None:
    clock = Clock()
    alerter = Alerter(NotifyMode.BELL, clock=clock)
    alerter.add([ended(JobStatus.SUCCEEDED)])
    assert alerter.take() == BEL
    for _ in range(1000):
        alerter.add([ended(JobStatus.SUCCEEDED)])
        assert alerter.take() is None
    assert alerter.wait() == pytest.approx(10.0)
    clock.now += 10
    assert alerter.take() == BEL and not alerter.has_pending
    clock.now += 60
    assert alerter.take() is None  # nothing happened: nothing to say


def test_off_writes_nothing_and_failures_can_be_louder() -> None:
    clock = Clock()
    quiet = Alerter(NotifyMode.OFF, clock=clock)
    quiet.add([ended(JobStatus.SUCCEEDED), ended(JobStatus.FAILED)])
    assert quiet.take() is None and not quiet.has_pending
    louder = Alerter(NotifyMode.OFF, NotifyMode.BELL, clock=clock)
    louder.add([ended(JobStatus.SUCCEEDED)])
    assert louder.take() is None
    louder.add([ended(JobStatus.FAILED)])
    assert louder.take() == BEL


def test_desktop_uses_the_terminal_protocol_wraps_for_tmux_and_falls_back_to_bell() -> None:
    clock = Clock()
    unknown = Alerter(NotifyMode.DESKTOP, env={"TERM": "xterm"}, clock=clock)
    unknown.add([ended(JobStatus.SUCCEEDED)])
    assert unknown.take() == BEL
    iterm = Alerter(NotifyMode.DESKTOP, env={"TERM_PROGRAM": "iTerm.app"}, clock=clock)
    iterm.add([ended(JobStatus.SUCCEEDED)] * 3)
    assert iterm.take() == f"{ESC}]9;seedance-tui: jobs finished: 3 succeeded{BEL}"
    tmux = Alerter(NotifyMode.DESKTOP, env={"TMUX": "/tmp/x,1,0", "TERM_PROGRAM": "tmux"}, clock=clock)
    tmux.add([ended(JobStatus.FAILED)])
    data = tmux.take()
    assert data is not None and data.startswith(f"{ESC}Ptmux;{ESC}{ESC}]777;notify;")
    assert data.endswith(f"{ESC}\\{BEL}")


def test_desktop_text_cannot_break_out_of_its_sequence() -> None:
    sequence = desktop_sequence("t;x", "a\x07b\x1b\\c;d", protocol="osc777", in_tmux=False)
    body = sequence[len(f"{ESC}]777;notify;") : -1]
    assert "\x07" not in body and "\x1b" not in body and body.count(";") == 1


def test_summary_order_and_mode_parse() -> None:
    assert summary({JobStatus.FAILED: 1, JobStatus.SUCCEEDED: 2, JobStatus.NOT_FOUND: 1}) == (
        "2 succeeded, 1 failed, 1 not found"
    )
    assert NotifyMode.parse(" Desktop ") == NotifyMode.DESKTOP
    with pytest.raises(ValueError, match="bell, desktop, off"):
        NotifyMode.parse("loud")
