"""The poller's lease: of all processes with one store open against one API and key, one polls.

The role is a kernel lock (``flock``) on a file beside the store, named by a fingerprint of the
store's real path, the API base URL and the key (never the key itself). The kernel drops the lock
when its holder exits, crashes or is SIGKILLed, so a lease is never left held by a dead process; the
next follower to try takes it. The holder also rewrites a small heartbeat file once a second, which
followers read to say who polls and to notice a holder that is alive but silent (stopped, hung):
that is reported, never acted on, because only the lock decides (so a clock jump cannot hand the
role to two processes). Where locks do not work (some network file systems), every process polls
on its own and says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

try:
    import fcntl
except ImportError:  # not a POSIX system: no flock, so every process polls on its own
    fcntl = None  # type: ignore[assignment]

#: A holder whose heartbeat is older than this is reported as silent (seconds).
STALE_AFTER = 10.0


class Role(StrEnum):
    """What this process does about polling."""

    POLLING = "polling"
    FOLLOWING = "following"
    #: Locks do not work here: this process polls on its own, as every other one does.
    ALONE = "alone"


@dataclass(frozen=True)
class RoleState:
    """This process's role, and for a follower who polls and how long ago it said so."""

    role: Role
    holder_pid: int | None = None
    holder_host: str | None = None
    #: The poller holds the lock but has not written a heartbeat for ``STALE_AFTER`` s.
    stale: bool = False
    #: Seconds since the poller's last heartbeat (None when unknown); not compared, so that a
    #: follower's role only "changes" (and the header redraws) when something worth saying does.
    silent_for: float | None = field(default=None, compare=False)
    #: Why this process polls alone (locks unavailable).
    detail: str | None = None

    @property
    def polls(self) -> bool:
        return self.role != Role.FOLLOWING


def api_fingerprint(base_url: str, api_key: str) -> str:
    """Which API and key: stored on jobs and part of a lease's name, so never the key itself."""
    key_hash = hashlib.sha256(api_key.encode()).hexdigest()
    return hashlib.sha256(f"{base_url.rstrip('/').lower()}\0{key_hash}".encode()).hexdigest()[:16]


def lease_key(store_path: Path, base_url: str, api_key: str) -> str:
    """The fingerprint that names a lease: the same store reached by two paths shares one."""
    text = f"{os.path.realpath(store_path)}\0{api_fingerprint(base_url, api_key)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class PollerLease:
    """Try to take, hold and give back the poller's role for one store, API and key."""

    def __init__(
        self,
        store_path: Path,
        base_url: str,
        api_key: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        store_path = Path(store_path)
        stem = f"{store_path.name}.poller-{lease_key(store_path, base_url, api_key)}"
        self.lock_path = store_path.with_name(stem + ".lock")
        self.beat_path = store_path.with_name(stem + ".json")
        self._clock = clock
        self._fd: int | None = None
        self._host = socket.gethostname()
        #: Set once locks proved not to work here: this process then polls alone.
        self._unavailable: str | None = None if fcntl is not None else "this system has no flock()"

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> RoleState:
        """Take the role if nobody holds it (never blocks); the role this process now has."""
        if self._unavailable is not None:
            return RoleState(Role.ALONE, detail=self._unavailable)
        if self._fd is None:
            try:
                self._fd = self._lock()
            except OSError as exc:
                self._unavailable = f"cannot lock {self.lock_path}: {exc.strerror or exc}"
                return RoleState(Role.ALONE, detail=self._unavailable)
        if self._fd is None:
            return self._follower_view()
        self.beat()
        return RoleState(Role.POLLING, holder_pid=os.getpid(), holder_host=self._host)

    def _lock(self) -> int | None:
        """The locked file's descriptor, or None if another process holds it; OSError if locks fail."""
        assert fcntl is not None
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError:
            os.close(fd)
            raise
        if not self._lock_is_exclusive():
            os.close(fd)
            raise OSError(0, "the file system accepts the lock but does not enforce it")
        return fd

    def _lock_is_exclusive(self) -> bool:
        """A second open of the file must be refused the lock we hold, or locks do not work here."""
        assert fcntl is not None
        probe = os.open(self.lock_path, os.O_RDWR)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(probe)
        return False

    def beat(self) -> None:
        """Say (in the heartbeat file) that the holder is alive; only the holder calls this."""
        if self._fd is None:
            return
        record = {"pid": os.getpid(), "host": self._host, "beat": self._clock()}
        temp = self.beat_path.with_name(f"{self.beat_path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError):  # a missed beat only makes followers say "silent"
            temp.write_text(json.dumps(record), encoding="utf-8")
            os.replace(temp, self.beat_path)

    def _follower_view(self) -> RoleState:
        try:
            record = json.loads(self.beat_path.read_text(encoding="utf-8"))
            pid, host, beat = int(record["pid"]), str(record["host"]), float(record["beat"])
        except (OSError, ValueError, KeyError, TypeError):
            return RoleState(Role.FOLLOWING)
        # A clock that went back makes the age negative: that is "just now", not an error.
        silent = max(0.0, self._clock() - beat)
        return RoleState(Role.FOLLOWING, pid, host, stale=silent > STALE_AFTER, silent_for=silent)

    def release(self) -> None:
        """Give the role back (closing the file drops the lock); the heartbeat file goes too."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.beat_path.unlink()
        os.close(self._fd)
        self._fd = None


class Lease(Protocol):
    """What the service needs of a lease, on a file (``PollerLease``) or a database (``PgPollerLease``)."""

    @property
    def held(self) -> bool: ...

    def try_acquire(self) -> RoleState: ...

    def beat(self) -> None: ...

    def release(self) -> None: ...
