"""``seedance-tui keys``: every action id with its screen, keys in force and description."""

from __future__ import annotations

import json
import sys

from seedance_tui.config import Settings
from seedance_tui.ui.keymap import build_keymap, key_rows


def print_keys(settings: Settings, *, as_json: bool) -> int:
    """Print the key table (config ``[keys]`` applied); problems with the table go to stderr."""
    keymap, problems = build_keymap(settings.keys, settings.config_path)
    for problem in problems:
        sys.stderr.write(f"warning: {problem}\n")
    rows = key_rows(keymap)
    if as_json:
        sys.stdout.write(json.dumps([row._asdict() for row in rows], indent=2) + "\n")
        return 0
    sys.stdout.write(f"{'ID':<18} {'SCREEN':<8} {'KEYS':<28} DESCRIPTION\n")
    for row in rows:
        sys.stdout.write(f"{row.id:<18} {row.screen:<8} {row.keys:<28} {row.description}\n")
    return 0
