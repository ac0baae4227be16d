"""Helpers shared by the pilot tests: settings for a test app, and bounded waiting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from seedance_tui.config import Settings


def make_settings(url: str, tmp_path: Path, **fields: Any) -> Settings:
    """Settings for an app talking to a test simulator at ``url``, with files in ``tmp_path``."""
    values: dict[str, Any] = {
        "api_key": "sd2_demo_key",
        "db_path": tmp_path / "jobs.json",
        "download_dir": tmp_path / "dl",
        "config_path": tmp_path / "config.toml",
        **fields,
    }
    return Settings(base_url=url, **values)


async def wait_for(pilot: Any, cond: Callable[[], bool], steps: int = 120) -> bool:
    """Let the app run until ``cond()`` holds, at most ``steps`` short pauses."""
    for _ in range(steps):
        if cond():
            return True
        await pilot.pause(0.05)
    return cond()
