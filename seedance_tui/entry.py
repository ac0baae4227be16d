"""The ``seedance-tui`` command's entry point: the program loads with the cyclic GC paused.

Loading the command (Textual, the service, the store's code: well over 100,000 objects, all kept
for the life of the process) made the collector run passes that found nothing to free. The code
is loaded with it paused, then frozen (out of every later pass) before it resumes: 11-14 ms less
from process start to the dashboard's first paint (issue 15). The command itself runs with the
collector on, as always.
"""

from __future__ import annotations

import gc


def main() -> int:
    """Load the command line with the GC paused, then run it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        from seedance_tui.cli import main as run
    finally:
        gc.freeze()  # the modules just loaded live as long as the process
        if was_enabled:
            gc.enable()
    return run()
