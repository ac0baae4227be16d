"""A frame as a real picture, in Sixel or Kitty's graphics protocol, through textual-image.

textual-image chooses its protocol when ``textual_image.renderable`` is first imported, by writing
queries to the terminal and reading stdin for the answers, and ``textual_image.widget`` asks the
terminal for its cell size the same way. Inside a running app Textual's input thread owns stdin:
it would read those answers as key presses, and the probe would wait for nothing. So the two
packages' ``__init__`` modules are never run: empty packages stand in for them (their submodules,
the renderables and widgets, import as usual), the protocol comes from the check made before
start-up (seedance_tui.terminal_graphics) and the cell size from the terminal's window size.

Imported only when such a picture is first shown; ImportError when the ``[preview]`` extra is not
installed.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Callable

from PIL import Image as PILImage
from textual.widget import Widget

from seedance_tui.service import Frame, cell_pixels

#: The packages whose ``__init__`` probes the terminal.
_PROBING_PACKAGES = ("textual_image.renderable", "textual_image.widget")


def _without_probes() -> None:
    for name in _PROBING_PACKAGES:
        if name not in sys.modules:
            spec = importlib.util.find_spec(name)
            if spec is None:
                raise ImportError(f"No module named {name!r}")
            sys.modules[name] = importlib.util.module_from_spec(spec)  # a package, not run
    from textual_image import _terminal

    if not hasattr(_terminal.get_cell_size, "_result"):  # its cache: it is never asked
        width, height = cell_pixels(_terminal_fd())
        _terminal.get_cell_size._result = _terminal.CellSize(width, height)  # type: ignore[attr-defined]


def _terminal_fd() -> int:
    try:
        return sys.__stdout__.fileno() if sys.__stdout__ else -1
    except (OSError, ValueError):  # not a real file (a test's, an embedding's)
        return -1


def picture(kind: str, frame: Frame, columns: int) -> Widget:
    """A widget drawing ``frame`` in ``kind`` ("sixel" or "kitty") ``columns`` cells wide, as many
    rows high as its aspect ratio needs; ImportError without textual-image.

    Both sides are set in cells. textual-image's ``height: auto`` works the height out from the
    widget's own laid-out width, which is 0 at its first layout: the picture got 0 rows, and kept
    them until something else happened to lay the screen out again (nothing does, on the detail
    screen of a finished job), so the picture was sometimes never drawn.

    The first call imports textual-image and Pillow (about 0.1 s): call ``load`` off the event
    loop first."""
    shown = load(kind)(PILImage.frombytes("RGB", (frame.width, frame.height), frame.rgb))
    from textual_image import _terminal

    shown.styles.width = columns
    shown.styles.height = rows_for(frame, columns, _terminal.get_cell_size())
    return shown


def rows_for(frame: Frame, columns: int, cell: tuple[int, int]) -> int:
    """Rows of ``cell`` (width, height in pixels) that show ``frame`` ``columns`` cells wide."""
    cell_width, cell_height = cell
    return max(1, round(columns * cell_width * frame.height / max(1, frame.width) / cell_height))


@functools.cache
def load(kind: str) -> Callable[[PILImage.Image], Widget]:
    """textual-image's widget class for ``kind``, imported without its terminal probes."""
    _without_probes()
    if kind == "sixel":
        from textual_image.widget.sixel import Image as SixelImage

        return SixelImage
    from textual_image.renderable.tgp import Image as KittyRenderable
    from textual_image.widget._base import Image as BaseImage

    class KittyImage(BaseImage, Renderable=KittyRenderable):
        """textual-image's TGP widget (its own is defined in the package ``__init__``, never run here)."""

    return KittyImage
