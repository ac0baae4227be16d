"""The poller's lease (issue 15): one holder per store, API and key; followers see who holds it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seedance_tui.polling import lease as lease_module
from seedance_tui.polling.lease import STALE_AFTER, PollerLease, Role

URL = "http://127.0.0.1:9"


def test_one_holder_at_a_time_and_the_next_takes_over_on_release(tmp_path: Path) -> None:
    store = tmp_path / "jobs.json"
    first, second = PollerLease(store, URL, "key"), PollerLease(store, URL, "key")
    assert first.try_acquire().role == Role.POLLING
    follower = second.try_acquire()
    assert follower.role == Role.FOLLOWING and follower.holder_pid == os.getpid()
    assert follower.silent_for is not None and not follower.stale
    first.release()
    assert not first.beat_path.exists()
    assert second.try_acquire().role == Role.POLLING
    second.release()


def test_the_lease_is_per_store_api_and_key_and_never_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    same_name = [PollerLease(tmp_path / d / "jobs.json", URL, "key") for d in ("a", "b")]
    other_key = PollerLease(tmp_path / "a" / "jobs.json", URL, "another-key")
    other_api = PollerLease(tmp_path / "a" / "jobs.json", "http://127.0.0.1:10", "key")
    for lease in (*same_name, other_key, other_api):
        assert lease.try_acquire().role == Role.POLLING
        lease.release()
    assert "secret" not in PollerLease(tmp_path / "jobs.json", URL, "secret").lock_path.name


def test_one_store_reached_through_a_symlink_shares_one_lease(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    first = PollerLease(real / "jobs.json", URL, "key")
    assert first.try_acquire().role == Role.POLLING
    assert PollerLease(tmp_path / "link" / "jobs.json", URL, "key").lock_path.name == first.lock_path.name
    first.release()


def test_a_silent_holder_is_reported_stale_and_a_clock_that_went_back_is_not(tmp_path: Path) -> None:
    now = [1_000.0]
    store = tmp_path / "jobs.json"
    holder = PollerLease(store, URL, "key", clock=lambda: now[0])
    follower = PollerLease(store, URL, "key", clock=lambda: now[0])
    holder.try_acquire()
    now[0] += STALE_AFTER + 5
    state = follower.try_acquire()
    assert state.role == Role.FOLLOWING and state.stale
    now[0] -= 3600  # the clock jumped back an hour: the heartbeat looks like it came from the future
    state = follower.try_acquire()
    assert state.role == Role.FOLLOWING and state.silent_for == 0 and not state.stale
    holder.release()


def test_a_heartbeat_left_by_a_killed_holder_does_not_keep_the_role(tmp_path: Path) -> None:
    store = tmp_path / "jobs.json"
    lease = PollerLease(store, URL, "key")
    lease.beat_path.write_text(json.dumps({"pid": 999_999, "host": "gone", "beat": 0}))
    assert lease.try_acquire().role == Role.POLLING  # the lock decides, and nobody holds it
    assert json.loads(lease.beat_path.read_text())["pid"] == os.getpid()
    lease.release()


def test_where_locks_do_not_work_every_process_polls_alone_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_locks(fd: int, operation: int) -> None:
        raise OSError(37, "No locks available")

    monkeypatch.setattr(lease_module.fcntl, "flock", no_locks)
    state = PollerLease(tmp_path / "jobs.json", URL, "key").try_acquire()
    assert state.role == Role.ALONE and state.polls
    assert state.detail is not None and "No locks available" in state.detail


def test_a_lock_that_is_not_enforced_counts_as_no_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lease_module.fcntl, "flock", lambda fd, operation: None)
    state = PollerLease(tmp_path / "jobs.json", URL, "key").try_acquire()
    assert state.role == Role.ALONE and state.detail is not None and "does not enforce" in state.detail
