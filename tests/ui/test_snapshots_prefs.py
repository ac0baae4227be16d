"""Snapshots of what the user can make their own: the help screen (with a remapped key) at 80x24."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seedance_tui.sim.server import SimulatorServer
from tests.ui.test_snapshots_main import seeded_app


def test_help_screen_80x24(
    snap_compare: Any, sim: SimulatorServer, service_factory: Any, tmp_path: Path
) -> None:
    app = seeded_app(sim, service_factory, tmp_path, keys={"new_job": "f2"})
    assert snap_compare(app, press=["question_mark"], terminal_size=(80, 24))


def test_custom_column_set_80x24(
    snap_compare: Any, sim: SimulatorServer, service_factory: Any, tmp_path: Path
) -> None:
    columns = ["status", "request_id", "model", "elapsed", "credits", "prompt"]
    app = seeded_app(sim, service_factory, tmp_path, columns=columns)
    assert snap_compare(app, terminal_size=(80, 24))
