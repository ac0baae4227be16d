"""Where the .tcss style sheets are: in the package when installed from a wheel, else the repo's styles/."""

from __future__ import annotations

from pathlib import Path

import seedance_tui

_PACKAGE_STYLES = Path(seedance_tui.__file__).resolve().parent / "styles"
_SOURCE_STYLES = _PACKAGE_STYLES.parent.parent / "styles"


def style_path(name: str) -> Path:
    """The style sheet ``name`` (e.g. ``"main.tcss"``) for this installation."""
    folder = _PACKAGE_STYLES if _PACKAGE_STYLES.is_dir() else _SOURCE_STYLES
    return folder / name
