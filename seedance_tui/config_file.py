"""The config file as the user wrote it: where a setting sits (for messages) and round-trip edits.

Edits go through tomlkit so the user's comments, order and layout survive; a file that does not
parse is never rewritten. tomlkit loads with the first edit: the dashboard only reads the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seedance_tui.config import ConfigError, _write_private


def update_config(path: Path, changes: dict[str, Any]) -> None:
    """Set top-level ``changes`` (dotted keys such as ``"keys.submit"`` reach into tables) in place.

    Comments and layout are kept; the file keeps (or gets) mode 0600 since it may hold a key.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc}") from None
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(
            f"The config file {path} is not valid TOML ({exc}); it was left unchanged."
        ) from None
    for dotted, value in changes.items():
        *tables, key = dotted.split(".")
        container: Any = document
        for name in tables:
            if name not in container:
                # A table holding only tables (views) gets no empty header of its own.
                container[name] = tomlkit.table(is_super_table=isinstance(value, dict))
            container = container[name]
            if not isinstance(container, dict):
                raise ConfigError(f"In {path}, {name} should be a table; it was left unchanged.")
        container[key] = value
    _write_private(path, tomlkit.dumps(document))


def write_api_key(path: Path, api_key: str) -> None:
    """Store the key in the config file (mode 0600), keeping every other line as it was."""
    update_config(path, {"api_key": api_key})
