"""The installed ``seedance-tui --demo`` in a real terminal (tmux): type a job, watch it finish."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

COMMAND = Path(sys.executable).parent / "seedance-tui"


class Tmux:
    """One private tmux server (its own socket) with one session running a command."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, check=True
        )
        return result.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e")

    def send(self, *keys: str) -> None:
        self.run("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "e2e", "-l", text)

    def wait_for(self, text: str, timeout: float) -> str:
        return self.wait_for_line(lambda line: text in line, text, timeout)

    def wait_for_row(self, prompt: str, statuses: tuple[str, ...], timeout: float) -> str:
        """Wait for a job table row: the prompt and one of ``statuses`` on one line (the form shows neither)."""
        return self.wait_for_line(
            lambda line: prompt in line and any(status in line for status in statuses),
            f"a row with {prompt!r} and one of {statuses}",
            timeout,
        )

    def wait_for_line(self, match: Callable[[str], bool], what: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if any(match(line) for line in screen.splitlines()):
                return screen
            time.sleep(0.25)
        raise AssertionError(f"{what} did not appear within {timeout}s. Screen:\n{screen}")

    def wait_gone(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while text in screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} still shown after {timeout}s. Screen:\n{screen}")
            time.sleep(0.25)
            screen = self.screen()
        return screen


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is required in CI (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    assert COMMAND.exists(), f"the installed command is missing: {COMMAND}"
    server = Tmux(f"seedance-e2e-{uuid.uuid4().hex[:8]}")
    yield server
    subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True, timeout=20)


def test_demo_submit_by_typing_until_succeeded(tmux: Tmux, tmp_path: Path) -> None:
    db = tmp_path / "jobs.json"
    command = (
        f"env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(tmp_path / 'none.toml'))} "
        f"{shlex.quote(str(COMMAND))} --demo --demo-failure-rate 0 --db {shlex.quote(str(db))}; "
        "echo EXITED:$?; sleep 60"
    )
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "30", command)
    tmux.wait_for("No jobs yet", timeout=30)
    tmux.send("n")
    tmux.wait_for("Prompt", timeout=10)
    tmux.type("A paper boat drifting down a rainy street")
    tmux.send("C-s")
    # The form shows the prompt too: wait for the table row, which only the closed form reveals.
    tmux.wait_for_row("paper boat", ("queued", "processing", "succeeded"), timeout=15)
    screen = tmux.wait_for_row("paper boat", ("succeeded",), timeout=90)
    assert "New video" not in screen  # the form has closed: q now quits instead of being typed
    tmux.send("q")
    tmux.wait_for("EXITED:0", timeout=20)
    jobs = json.loads(db.read_text())
    docs = [doc for table in jobs.values() for doc in table.values()]
    assert [(d["status"], d["request"]["prompt"]) for d in docs] == [
        ("succeeded", "A paper boat drifting down a rainy street")
    ]
    assert docs[0]["request_id"].startswith("req_") and docs[0]["output_url"].endswith(".mp4")


def test_sixteen_colour_terminal_without_mouse(tmux: Tmux, tmp_path: Path) -> None:
    command = (
        f"env TERM=xterm COLORTERM= SEEDANCE_CONFIG={shlex.quote(str(tmp_path / 'none.toml'))} "
        f"{shlex.quote(str(COMMAND))} --demo --no-mouse --db {shlex.quote(str(tmp_path / 'j.json'))}; "
        "echo EXITED:$?; sleep 60"
    )
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", command)
    screen = tmux.wait_for("No jobs yet", timeout=30)
    assert "DEMO" in screen and "q Quit" in screen
    tmux.send("q")
    tmux.wait_for("EXITED:0", timeout=20)


def test_a_restarted_demo_still_follows_its_jobs(tmux: Tmux, tmp_path: Path) -> None:
    db = tmp_path / "jobs.json"
    command = (
        f"env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(tmp_path / 'none.toml'))} "
        f"{shlex.quote(str(COMMAND))} --demo --demo-speed 0.01 --db {shlex.quote(str(db))}; "
        "echo EXITED:$?; sleep 60"
    )
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "30", command)
    tmux.wait_for("No jobs yet", timeout=30)
    tmux.send("n")
    tmux.wait_for("Prompt", timeout=10)
    tmux.type("A lantern left on a pier")
    tmux.send("C-s")
    tmux.wait_for_row("lantern", ("queued",), timeout=15)
    tmux.send("q")
    tmux.wait_for("EXITED:0", timeout=20)
    before = next(doc for table in json.loads(db.read_text()).values() for doc in table.values())
    tmux.run("respawn-pane", "-k", "-t", "e2e", command)
    tmux.wait_for_row("lantern", ("queued",), timeout=30)
    tmux.send("Enter")  # the detail pane counts the polls live

    def polled_again(line: str) -> bool:
        words = line.split()
        return len(words) == 2 and words[0] == "Polls" and int(words[1]) > before["poll_count"]

    screen = tmux.wait_for_line(polled_again, "a poll by the restarted demo", timeout=30)
    assert "queued" in screen
    tmux.send("Escape")  # back to the table
    screen = tmux.wait_for_row("lantern", ("queued",), timeout=10)
    assert "not found" not in screen
    tmux.send("q")
    tmux.wait_for("EXITED:0", timeout=20)


def test_the_dashboard_with_output_to_a_file_refuses_and_exits_2(tmux: Tmux, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    command = (
        f"env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(tmp_path / 'none.toml'))} "
        f"{shlex.quote(str(COMMAND))} --demo > {shlex.quote(str(out))}; echo EXITED:$?; sleep 60"
    )
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", command)
    screen = tmux.wait_for("EXITED:", timeout=30)
    assert "EXITED:2" in screen and "needs a terminal" in screen
    assert "\x1b" not in out.read_text()
