"""The start-and-wait loop both embedded servers share."""

from __future__ import annotations

import types
from typing import Any, cast

import pytest

from seedance_tui.serving import startup_pauses


def _server(started: bool) -> Any:
    return cast(Any, types.SimpleNamespace(started=started))


def test_a_started_server_needs_no_pause() -> None:
    assert list(startup_pauses(_server(True), lambda: True, timeout=1.0)) == []


def test_a_runner_that_stopped_fails_at_once() -> None:
    with pytest.raises(TimeoutError):
        next(startup_pauses(_server(False), lambda: False, timeout=60.0))


def test_pauses_until_the_server_is_up_or_time_runs_out() -> None:
    server = _server(False)
    pauses = startup_pauses(server, lambda: True, timeout=60.0, pause=0.0)
    assert next(pauses) == 0.0
    server.started = True
    assert list(pauses) == []
    with pytest.raises(TimeoutError):
        list(startup_pauses(_server(False), lambda: True, timeout=-1.0))
