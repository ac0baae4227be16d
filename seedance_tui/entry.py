"""The ``seedance-tui`` command's entry point: the program loads with the cyclic GC paused.

Loading the command (Textual, the service, the store's code: well over 100,000 objects, all kept
for the life of the process) made the collector run passes that found nothing to free; loaded with
it paused and then frozen, the dashboard paints 11-14 ms sooner (issue 15). The command itself runs
with the collector on, as always.
"""

from __future__ import annotations

from seedance_tui.lazy import gc_paused_load


def main() -> int:
    """Load the command line with the GC paused, then run it."""
    with gc_paused_load():
        from seedance_tui.cli import main as run
    return run()
