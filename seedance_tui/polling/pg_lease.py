"""The poller's lease on a PostgreSQL store: one poller per account across every machine.

The role is a session-level advisory lock (``pg_try_advisory_lock``) held on a connection of its
own, keyed by a hash of the account (API and key fingerprint, never the key). The server drops the
lock when that connection ends: the holder exits, crashes, is SIGKILLed, or its machine vanishes.
For the last case the connection asks the server to probe an idle client (TCP keepalives), to give
up on unacknowledged data (``tcp_user_timeout``) and to end a session silent for longer than
``IDLE_SESSION_TIMEOUT`` (the holder beats every second), so the lock frees within ~20 s. The
holder checks its connection on every beat; the client side gives up within ~5 s, and a holder
whose connection is gone stops polling at once (``held`` turns False).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from seedance_tui.polling.lease import STALE_AFTER, Role, RoleState

#: Client side of the lease connection: notice a dead server within ~5 s of a beat going unanswered.
CLIENT_SIDE = {
    "connect_timeout": "5",
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "3",
    "tcp_user_timeout": "5000",
}
#: Server side (set for this session only): end the holder's session, and so free the lock,
#: within ~20 s of its machine going silent.
SERVER_SIDE = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "3",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "15000",
    "idle_session_timeout": "15000",
}
#: Statements on the lease connection never wait longer than this (ms). (PostgreSQL before 14 has
#: no ``idle_session_timeout``: it is then left out, and the keepalives alone end a silent session.)
STATEMENT_TIMEOUT = "3000"

_HOLDER = (
    "SELECT a.pid, a.application_name, extract(epoch FROM now() - a.state_change) "
    "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.classid = %s AND l.objid = %s AND l.objsubid = 1"
)


def lock_key(account: str) -> int:
    """The advisory lock's 64-bit key for one account (API and key fingerprint)."""
    digest = hashlib.sha256(f"seedance-tui poller\0{account}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgPollerLease:
    """Try to take, hold and give back the poller's role for one account in one database."""

    def __init__(self, conninfo: str, account: str, *, server_side: Mapping[str, str] = SERVER_SIDE) -> None:
        self.key = lock_key(account)
        self._host = socket.gethostname()
        self._conninfo = make_conninfo(
            conninfo, **CLIENT_SIDE, application_name=f"seedance-tui poller {os.getpid()}@{self._host}"[:63]
        )
        #: The session settings asked of the server; one an older server does not know is dropped.
        self._server_side = {**server_side, "statement_timeout": STATEMENT_TIMEOUT}
        self._conn: psycopg.Connection[Any] | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def try_acquire(self) -> RoleState:
        """Take the role if nobody holds it (never waits for the lock); the role this process now has."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            self._held = bool(row and row[0])
            if self._held:
                return RoleState(Role.POLLING, holder_pid=os.getpid(), holder_host=self._host)
            return self._follower_view(self._conn)
        except psycopg.Error as exc:
            self._drop()
            # Without the database nobody here can know who polls: following is the safe side.
            return RoleState(Role.FOLLOWING, detail=f"database unreachable: {type(exc).__name__}")

    def _connect(self) -> psycopg.Connection[Any]:
        """The lock's own connection; a setting the server does not know (too old) is done without."""
        while True:
            options = " ".join(f"-c {name}={value}" for name, value in self._server_side.items())
            try:
                return psycopg.connect(make_conninfo(self._conninfo, options=options), autocommit=True)
            except psycopg.OperationalError as exc:
                unknown = re.search(r'unrecognized configuration parameter "([^"]+)"', str(exc))
                if unknown is None or unknown.group(1) not in self._server_side:
                    raise
                del self._server_side[unknown.group(1)]

    def _follower_view(self, conn: psycopg.Connection[Any]) -> RoleState:
        """Who holds the lock, from its session's name; how long since its last beat."""
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        row = conn.execute(_HOLDER, (unsigned >> 32, unsigned & 0xFFFFFFFF)).fetchone()
        if row is None or row[1] is None:
            return RoleState(Role.FOLLOWING)
        pid, host = _parse_name(str(row[1]))
        silent = float(row[2]) if row[2] is not None else None
        stale = silent is not None and silent > STALE_AFTER
        return RoleState(Role.FOLLOWING, pid, host, stale=stale, silent_for=silent)

    def beat(self) -> None:
        """Check that the lock's connection still lives; if not, the role is lost (``held`` False)."""
        if not self._held or self._conn is None:
            return
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self._drop()

    def release(self) -> None:
        """Give the role back: closing the connection ends the session, which frees the lock."""
        self._drop()

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


def _parse_name(name: str) -> tuple[int | None, str | None]:
    """``seedance-tui poller PID@HOST`` → (PID, HOST); anything else → (None, None)."""
    prefix = "seedance-tui poller "
    if not name.startswith(prefix):
        return None, None
    pid, _, host = name[len(prefix) :].partition("@")
    return (int(pid), host or None) if pid.isdigit() else (None, host or None)
