"""The installed command in tmux with a config file that maps new_job to f2; f5 submits through tmux."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tests.e2e.test_tmux_demo import COMMAND, Tmux, tmux  # noqa: F401  (tmux is the fixture)

pytestmark = pytest.mark.e2e


def test_config_maps_new_job_to_f2_and_f5_submits(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    config = tmp_path / "config.toml"
    config.write_text('# tmux users\n[keys]\nnew_job = "f2"\n')
    db = tmp_path / "jobs.json"
    command = (
        f"env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(config))} "
        f"{shlex.quote(str(COMMAND))} --demo --demo-failure-rate 0 --db {shlex.quote(str(db))}; "
        "echo EXITED:$?; sleep 60"
    )
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "30", command)
    screen = tmux.wait_for("No jobs yet", timeout=30)
    assert "f2 New" in screen
    # n no longer opens the form: the help screen that follows is the main screen's.
    tmux.send("n")
    tmux.send("?")
    screen = tmux.wait_for("Keys: main", timeout=10)
    assert "f2" in screen
    tmux.send("Escape")
    # F2 straight after Escape could read as one escape sequence: wait for the help to close.
    tmux.wait_gone("Keys: main", timeout=10)
    tmux.send("F2")
    screen = tmux.wait_for("Prompt", timeout=10)
    assert "f5 submit" in screen
    tmux.type("A kite over the dunes")
    tmux.send("F5")
    tmux.wait_gone("New video", timeout=15)
    tmux.wait_for("kite over", timeout=15)
    # As in test_tmux_demo: quitting while a job is live can take over 20 s on a loaded machine.
    tmux.wait_for("succeeded", timeout=90)
    tmux.send("q")
    tmux.wait_for("EXITED:0", timeout=20)
    docs = [doc for table in json.loads(db.read_text()).values() for doc in table.values()]
    assert [d["request"]["prompt"] for d in docs] == ["A kite over the dunes"]
