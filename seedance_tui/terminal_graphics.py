"""Which picture protocol the preview draws with: half blocks, Sixel, or Kitty's graphics protocol.

Half blocks work in any terminal, over SSH and inside tmux, and need no question to the terminal:
they are the default and the fallback. Inside tmux it stays half blocks (tmux redraws the pane
and would garble or drop an image). Kitty is recognised by what it sets in the environment
(``TERM=xterm-kitty`` crosses SSH; ``KITTY_WINDOW_ID``). Sixel terminals set nothing common, so
the terminal is asked, once, and only when a graphic preview can be shown at all (``textual-image``
installed, a terminal on both ends):

- The question is DECRQM for mode 80 (DECSDM, the Sixel display mode): a terminal that knows
  Sixel recognises the mode. A terminal that answers nothing within ``PROBE_TIMEOUT`` (20 ms) gets
  half blocks.
- It is asked as soon as the dashboard is known to start and its answer read once the dashboard's
  code has loaded (``SixelQuestion``): the reply's trip, an SSH round trip away, overlaps the ~100 ms
  of loading instead of adding up to 20 ms to the start-up.
- Why not the usual Device Attributes (``ESC [ c``, "4" in the reply) or Kitty's own query: once
  Textual runs, its input thread owns stdin, and its parser replays a reply it does not know as
  key presses (``?`` opens help, digits switch filters). A late DECRQM reply is one it knows and
  drops (Textual asks the same of modes 2026 and 2048), so a terminal slower than 20 ms (a far SSH
  host) costs nothing but the picture.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any


class Graphics(StrEnum):
    """The ``preview_graphics`` setting, and what ``auto`` resolves to."""

    AUTO = "auto"
    HALFBLOCK = "halfblock"
    SIXEL = "sixel"
    KITTY = "kitty"


#: DECRQM: "is private mode 80 (DECSDM) set?"; the reply is ``ESC [ ? 80 ; Ps $ y``.
SIXEL_QUERY = b"\x1b[?80$p"
_SIXEL_REPLY = rb"\x1b\[\?80;(\d)\$y"
#: Ps: 1 set, 2 reset, 3 permanently set (the mode is known); 0 unknown, 4 permanently reset.
_KNOWN = frozenset({b"1", b"2", b"3"})
#: Longest start-up wait for a terminal that does not answer.
PROBE_TIMEOUT = 0.02
#: Bytes read looking for the answer before giving up (the answer itself is ~10).
_MOST_READ = 1024


def from_environment(env: Mapping[str, str]) -> Graphics | None:
    """What the environment alone decides (None: the terminal must be asked)."""
    term = env.get("TERM", "")
    if env.get("TMUX") or term.startswith(("tmux", "screen")):
        return Graphics.HALFBLOCK
    if term == "xterm-kitty" or env.get("KITTY_WINDOW_ID"):
        return Graphics.KITTY
    return None


def choose(setting: str, env: Mapping[str, str], ask_sixel: Callable[[], bool] | None) -> Graphics:
    """The protocol for ``setting``: as set, or for ``auto`` the environment's, else the terminal's
    answer (``ask_sixel``; None when it cannot be asked), else half blocks."""
    chosen = Graphics(setting)
    if chosen != Graphics.AUTO:
        return chosen
    known = from_environment(env)
    if known is not None:
        return known
    return Graphics.SIXEL if ask_sixel is not None and ask_sixel() else Graphics.HALFBLOCK


class SixelQuestion:
    """The Sixel question in flight: sent when made, answered by ``answer()``.

    The terminal is in cbreak mode (no echo) from the question until the answer or ``close()``, so
    the reply is never echoed; keys typed meanwhile are lost, as with any such query.
    """

    def __init__(self, fd_in: int, fd_out: int, timeout: float = PROBE_TIMEOUT) -> None:
        import termios
        import tty

        self._fd_in = fd_in
        self._saved: list[Any] | None = termios.tcgetattr(fd_in)
        self._answer: bool | None = None
        self._deadline = time.monotonic() + timeout
        try:
            tty.setcbreak(fd_in, termios.TCSANOW)
            os.write(fd_out, SIXEL_QUERY)
        except OSError:
            self.close()
            raise

    @classmethod
    def ask(cls, fd_in: int, fd_out: int) -> SixelQuestion | None:
        """The question sent, or None when this terminal cannot be asked (then it means no)."""
        import termios

        try:
            return cls(fd_in, fd_out)
        except (OSError, termios.error):
            return None

    def answer(self) -> bool:
        """True when the terminal said it knows Sixel: what has arrived, waiting no later than the
        question's deadline (long past when the answer is wanted after loading). Gives the terminal's
        mode back."""
        if self._answer is None:
            try:
                self._answer = self._read()
            finally:
                self.close()
        return self._answer

    def _read(self) -> bool:
        import re
        import select

        reply = b""
        while True:
            left = max(0.0, self._deadline - time.monotonic())
            try:
                if not select.select([self._fd_in], [], [], left)[0]:
                    return False
                chunk = os.read(self._fd_in, 256)
            except OSError:  # the terminal went away
                return False
            if not chunk:
                return False
            reply += chunk
            if match := re.search(_SIXEL_REPLY, reply):
                return match.group(1) in _KNOWN
            if len(reply) > _MOST_READ:  # keys pasted meanwhile, not an answer: stop reading them
                return False

    def close(self) -> None:
        """Give the terminal its mode back (idempotent); an unanswered question then means no, and
        the answer, if it has come, is read first: left unread, a shell would take it as typed."""
        import termios

        if self._answer is None and self._saved is not None:
            self._answer = self._read()
        if self._saved is not None:
            saved, self._saved = self._saved, None
            with contextlib.suppress(OSError, termios.error):  # a terminal gone has no mode to restore
                termios.tcsetattr(self._fd_in, termios.TCSANOW, saved)
        if self._answer is None:
            self._answer = False


def ask_sixel_early(setting: str, env: Mapping[str, str] | None = None) -> SixelQuestion | None:
    """Send the Sixel question now if ``setting`` will need the terminal's answer (None otherwise)."""
    env = os.environ if env is None else env
    if (
        setting != Graphics.AUTO
        or from_environment(env) is not None
        or not (sys.stdin.isatty() and sys.stdout.isatty())
        or not graphics_installed()
    ):
        return None
    return SixelQuestion.ask(sys.stdin.fileno(), sys.stdout.fileno())


def graphics_for_this_terminal(
    setting: str, question: SixelQuestion | None, env: Mapping[str, str] | None = None
) -> Graphics:
    """``setting`` resolved before the dashboard starts (see the module's docstring for the rules);
    ``question``: the one ``ask_sixel_early`` sent, None when the terminal was not asked."""
    env = os.environ if env is None else env
    if setting == Graphics.AUTO and (from_environment(env) == Graphics.HALFBLOCK or not graphics_installed()):
        return Graphics.HALFBLOCK  # nothing to draw pictures with, or tmux: no question, no note
    return choose(setting, env, question.answer if question is not None else None)


def graphics_installed() -> bool:
    """True when the ``[preview]`` extra's picture library is there (found, not imported)."""
    import importlib.util

    return importlib.util.find_spec("textual_image") is not None


def cell_pixels(fd: int, env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(width, height) of one terminal cell in pixels, with no question to the terminal: the tty's
    window size when it gives pixels, else textual-serve's variables, else a VT340's 10 x 20."""
    import fcntl
    import struct
    import termios

    env = os.environ if env is None else env
    try:
        rows, columns, width, height = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except (OSError, ValueError):  # no terminal there (or no descriptor at all)
        rows = columns = width = height = 0
    if rows and columns and width and height:
        return max(1, width // columns), max(1, height // rows)
    cell = env.get("TEXTUAL_CELL_WIDTH", ""), env.get("TEXTUAL_CELL_HEIGHT", "")
    if all(part.isdigit() and int(part) > 0 for part in cell):
        return int(cell[0]), int(cell[1])
    return 10, 20
