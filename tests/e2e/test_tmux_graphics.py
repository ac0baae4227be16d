"""The preview's Sixel question in a real terminal (issue 14): the installed dashboard asks it once
before start-up, a terminal that answers nothing (tmux does not know DECRQM's mode 80) costs it
nothing more, and an answer arriving late reaches the running app as nothing at all."""

from __future__ import annotations

import shlex
from pathlib import Path

from seedance_tui.terminal_graphics import SIXEL_QUERY
from tests.e2e.test_tmux_demo import COMMAND, Tmux, pytestmark, tmux

__all__ = ["pytestmark", "tmux"]


def test_the_sixel_question_is_asked_once_and_a_late_answer_types_nothing(tmux: Tmux, tmp_path: Path) -> None:
    raw = tmp_path / "pane.bin"
    raw.touch()
    # Outside tmux as far as the app knows (no $TMUX), so that it asks; pipe-pane is on before it starts.
    command = (
        f"sleep 1; env -u TMUX TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(tmp_path / 'none.toml'))} "
        f"{shlex.quote(str(COMMAND))} --demo --db {shlex.quote(str(tmp_path / 'jobs.json'))}; "
        "echo EXITED:$?; sleep 60"
    )
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "30", command)
    tmux.run("pipe-pane", "-o", "-t", "e2e", f"cat >> {shlex.quote(str(raw))}")
    before = tmux.wait_for("No jobs yet", timeout=30)
    assert raw.read_bytes().count(SIXEL_QUERY) == 1
    # A terminal slower than the 20 ms wait answers now, into the running app: Textual drops it.
    tmux.type("\x1b[?80;2$y")
    tmux.send("n")  # had the answer been typed ("?" opens help, "2" filters), this would not open the form
    form = tmux.wait_for("Prompt", timeout=10)
    assert "Help" not in form
    tmux.send("Escape")
    tmux.wait_for("No jobs yet", timeout=10)
    assert tmux.screen().splitlines()[1:] == before.splitlines()[1:]  # all but the clock-ish header
    tmux.send("q")
    tmux.wait_for("EXITED:0", timeout=20)
