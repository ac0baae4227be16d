"""The LISTEN side: one thread holds a connection that hears every change announced on the channel.

A thread, not the event loop: the store is used synchronously from worker threads (as the file
store is), and a blocking ``notifies()`` wait costs nothing while idle — no polling of the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg

from seedance_tui.store.postgres.schema import CHANNEL

#: How long one wait for notifications lasts, i.e. how soon ``stop`` takes effect (seconds).
WAIT = 0.5
#: Pause between attempts to reconnect to a database that went away.
RETRY = 1.0


class Listener:
    """Collects the local ids other processes announce; after a lost connection, asks for a full reload."""

    def __init__(self, connect: Callable[[], psycopg.Connection], on_change: Callable[[], None]) -> None:
        self._connect = connect
        self._on_change = on_change
        self._lock = threading.Lock()
        self._ids: set[str] = set()
        self._reload = False
        self._stop = threading.Event()
        self.listening = threading.Event()
        #: Why the connection is down (None while listening).
        self.problem: str | None = "not connected yet"
        self._thread = threading.Thread(target=self._run, name="seedance-pg-listen", daemon=True)

    def start(self, timeout: float) -> bool:
        """Start listening; True once LISTEN is in place (within ``timeout``)."""
        self._thread.start()
        return self.listening.wait(timeout)

    def take(self) -> tuple[set[str], bool]:
        """The ids announced since the last call, and whether a full reload is needed instead."""
        with self._lock:
            ids, reload = self._ids, self._reload
            self._ids, self._reload = set(), False
        return ids, reload

    def give_back(self, ids: set[str], reload: bool) -> None:
        """Put back what ``take`` returned when it could not be fetched."""
        with self._lock:
            self._ids |= ids
            self._reload = self._reload or reload

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(WAIT * 4)

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if not first:
                        # Announcements made while we were away are lost: compare everything once.
                        with self._lock:
                            self._reload = True
                    first = False
                    self.problem = None
                    self.listening.set()
                    self._on_change()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=WAIT):
                            with self._lock:
                                self._ids.update(note.payload.split(","))
                            self._on_change()
            except Exception as exc:  # whatever it is, keep listening once the database is back
                self.problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                self.listening.clear()
                self._on_change()
                self._stop.wait(RETRY)
