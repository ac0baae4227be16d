"""The installed dashboard rings the bell when a job finishes: tmux flags the app's window."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from tests.e2e.test_tmux_demo import COMMAND, Tmux, pytestmark, tmux

__all__ = ["pytestmark", "tmux"]


def test_bell_marks_the_tmux_window_when_a_job_finishes_elsewhere(tmux: Tmux, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('notify = "bell"\n')
    command = (
        f"env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(config))} "
        f"{shlex.quote(str(COMMAND))} --demo --demo-failure-rate 0 --demo-speed 2 "
        f"--db {shlex.quote(str(tmp_path / 'jobs.json'))}; echo EXITED:$?; sleep 60"
    )
    tmux.run("new-session", "-d", "-s", "e2e", "-n", "app", "-x", "120", "-y", "30", command)
    tmux.run("set-option", "-g", "monitor-bell", "on")
    tmux.run("set-option", "-g", "bell-action", "any")
    tmux.wait_for("No jobs yet", timeout=30)
    tmux.send("n")
    tmux.wait_for("Prompt", timeout=10)
    tmux.type("A lighthouse in the fog")
    tmux.send("C-s")
    screen = tmux.wait_for("lighthouse", timeout=15)
    assert "succeeded" not in screen, "the job finished before the other window was opened"
    tmux.run("new-window", "-d", "-t", "e2e", "-n", "other", "sleep 600")
    tmux.run("select-window", "-t", "e2e:other")
    flag = ""
    for _ in range(240):
        flag = tmux.run("display-message", "-p", "-t", "e2e:app", "#{window_bell_flag}").strip()
        if flag == "1":
            break
        time.sleep(0.25)
    app_screen = tmux.run("capture-pane", "-p", "-t", "e2e:app")
    assert flag == "1", app_screen
    assert "succeeded" in app_screen, "the bell rang before the job finished"
    tmux.run("select-window", "-t", "e2e:app")
    tmux.wait_for("succeeded", timeout=10)
    tmux.send("q")
    tmux.wait_for("EXITED:0", timeout=20)


def test_desktop_notification_is_wrapped_for_tmux(tmux: Tmux, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('notify = "desktop"\n')
    raw = tmp_path / "pane.bin"
    raw.touch()
    command = (
        f"env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(config))} "
        f"{shlex.quote(str(COMMAND))} --demo --demo-failure-rate 0 --demo-speed 4 "
        f"--db {shlex.quote(str(tmp_path / 'jobs.json'))}; echo EXITED:$?; sleep 60"
    )
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "30", command)
    tmux.run("pipe-pane", "-o", "-t", "e2e", f"cat >> {shlex.quote(str(raw))}")
    tmux.wait_for("No jobs yet", timeout=30)
    tmux.send("n")
    tmux.wait_for("Prompt", timeout=10)
    tmux.type("A windmill; at dusk")
    tmux.send("C-s")
    tmux.wait_for("succeeded", timeout=60)
    wrapped = b"\x1bPtmux;\x1b\x1b]777;notify;seedance-tui: jobs finished;1 succeeded\x07\x1b\\\x07"
    deadline = time.monotonic() + 10
    while wrapped not in raw.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert wrapped in raw.read_bytes()
    tmux.send("q")
    tmux.wait_for("EXITED:0", timeout=20)
