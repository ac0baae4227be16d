"""Moving a damaged store aside, never overwriting anything, so the user can start fresh and keep it."""

from __future__ import annotations

import os
import time
from pathlib import Path

from seedance_tui.store.errors import StoreError

_MAX_ATTEMPTS = 100


def quarantine_file(path: Path, label: str = "corrupt") -> Path:
    """Rename ``path`` to ``<name>.<label>-<YYYYmmdd-HHMMSS>[-N]`` and return the new path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(_MAX_ATTEMPTS):
        suffix = f".{label}-{stamp}" + (f"-{attempt}" if attempt else "")
        target = path.with_name(path.name + suffix)
        try:
            # link + unlink instead of rename: link refuses to replace an existing file.
            os.link(path, target)
        except FileExistsError:
            continue
        except FileNotFoundError:
            raise StoreError(f"Cannot move the job store aside: {path} does not exist.") from None
        except OSError:
            # A filesystem without hard links: fall back to a rename after checking the name is free.
            if target.exists():
                continue
            _rename(path, target)
            return target
        try:
            os.unlink(path)
        except OSError as exc:
            raise StoreError(f"Cannot move {path} aside: {exc.strerror} (a copy is at {target}).") from None
        return target
    raise StoreError(f"Cannot move the job store {path} aside: too many quarantined copies already exist.")


def _rename(path: Path, target: Path) -> None:
    try:
        os.rename(path, target)
    except OSError as exc:
        raise StoreError(f"Cannot move the job store {path} aside: {exc.strerror}.") from None
