"""Which picture protocol the preview draws with: half blocks, Sixel, or Kitty's graphics protocol.

Half blocks work in any terminal, over SSH and inside tmux, and need no question to the terminal:
they are the default and the fallback. Inside tmux it stays half blocks (tmux redraws the pane
and would garble or drop an image). Kitty is recognised by what it sets in the environment
(``TERM=xterm-kitty`` crosses SSH; ``KITTY_WINDOW_ID``). Sixel terminals set nothing common, so
the terminal is asked, once, just before the dashboard takes the screen, and only when a graphic
preview can be shown at all (``textual-image`` installed, a terminal on both ends):

- The question is DECRQM for mode 80 (DECSDM, the Sixel display mode): a terminal that knows
  Sixel recognises the mode. A terminal that answers nothing costs ``PROBE_TIMEOUT`` (20 ms) and
  gets half blocks.
- Why not the usual Device Attributes (``ESC [ c``, "4" in the reply) or Kitty's own query: once
  Textual runs, its input thread owns stdin, and its parser replays a reply it does not know as
  key presses (``?`` opens help, digits switch filters). A late DECRQM reply is one it knows and
  drops (Textual asks the same of modes 2026 and 2048), so a terminal slower than 20 ms (a far SSH
  host) costs nothing but the picture.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from enum import StrEnum


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


def ask_sixel(fd_in: int, fd_out: int, timeout: float = PROBE_TIMEOUT) -> bool:
    """Ask the terminal on ``fd_in``/``fd_out`` whether it knows Sixel; False without an answer in time.

    The terminal is put in cbreak mode (no echo) for the wait and restored after; keys typed in
    those milliseconds are lost, as with any such query.
    """
    import re
    import select
    import termios
    import tty

    saved = termios.tcgetattr(fd_in)
    try:
        tty.setcbreak(fd_in, termios.TCSANOW)
        os.write(fd_out, SIXEL_QUERY)
        deadline = time.monotonic() + timeout
        reply = b""
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([fd_in], [], [], left)
            if not ready:
                break
            reply += os.read(fd_in, 256)
            if match := re.search(_SIXEL_REPLY, reply):
                return match.group(1) in _KNOWN
        return False
    finally:
        termios.tcsetattr(fd_in, termios.TCSANOW, saved)


def graphics_for_this_terminal(setting: str, env: Mapping[str, str] | None = None) -> Graphics:
    """``setting`` resolved before the dashboard starts (see the module's docstring for the rules)."""
    env = os.environ if env is None else env
    if setting == Graphics.AUTO and not graphics_installed():
        return Graphics.HALFBLOCK  # nothing to draw pictures with: no question, no note

    def ask() -> bool:
        return ask_sixel(sys.stdin.fileno(), sys.stdout.fileno())

    can_ask = sys.stdin.isatty() and sys.stdout.isatty()
    return choose(setting, env, ask if can_ask else None)


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
