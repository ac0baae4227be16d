"""Loading code when it is needed: package exports that load their module on first use (so a light
import does not pull in a web server), and loading with the cyclic GC paused."""

from __future__ import annotations

import contextlib
import gc
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: name -> the submodule (relative to it) that defines it."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__


@contextlib.contextmanager
def gc_paused_load() -> Iterator[None]:
    """Import modules with the cyclic GC paused, then freeze what was loaded.

    Loading code creates tens of thousands of objects that live as long as the process: the passes
    the collector would run meanwhile find nothing to free (~10 ms of the dashboard's start-up,
    issue 15), and frozen they stay out of every later pass.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
