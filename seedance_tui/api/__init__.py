"""The Seedance API client and its errors."""

import sys

# httpx imports its command-line tool (click, rich.progress, pygments: ~25 ms) only to re-export
# ``httpx.main``, and falls back quietly when that import fails; this app never runs that tool.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
