"""Every user setting described once: its flag, environment variable, config key, help and coercion.

The command line's flags, the environment reading and the config file's checks in
``seedance_tui.config`` are built from ``FIELDS``, and so is the README's settings table
(``tests/unit/test_config_fields.py`` checks that it matches). A field's type and default are
those of the ``Settings`` attribute of the same name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NamedTuple

from seedance_tui.filenames import check_pattern
from seedance_tui.notify import NotifyMode
from seedance_tui.terminal_graphics import Graphics

ENV_PREFIX = "SEEDANCE_"
#: "Nothing here" in the README's table.
DASH = "\N{EN DASH}"


class SettingMessageError(ValueError):
    """A value refused with a message that already names the setting (shown as is)."""


def _path(value: Any) -> Path:
    return Path(str(value)).expanduser()


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")


def _table(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(value)
    return dict(value)


def _names(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValueError(value)
    return list(value)


def _text(value: Any) -> str:
    return str(value)


def _at_least_one(value: Any) -> int:
    return max(1, int(value))


def _notify_mode(key: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        try:
            return NotifyMode.parse(value, key).value
        except ValueError as exc:
            raise SettingMessageError(str(exc)) from None

    return parse


def _pattern(value: Any) -> str:
    try:
        return check_pattern(str(value))
    except ValueError as exc:
        raise SettingMessageError(str(exc)) from None


def _hours(value: Any) -> float:
    hours = float(value)
    if not math.isfinite(hours) or hours <= 0:
        raise ValueError(hours)
    return hours


def _graphics(value: Any) -> str:
    return Graphics(str(value).lower()).value


def _days(value: Any) -> float:
    days = float(value)
    if not math.isfinite(days) or days < 0:
        raise ValueError(days)
    return days


def _rate(value: Any) -> float:
    rate = float(value)
    if not math.isfinite(rate):
        raise ValueError(rate)
    return max(0.1, rate)


def _url(value: Any) -> str:
    return str(value).rstrip("/")


def _as_is(value: Any) -> Any:
    return value


#: Where a flag goes: every command (``common``), or the dashboard's own options (``main``).
FlagPlace = Literal["common", "main"]


class Field(NamedTuple):
    """One user setting: the ``Settings`` attribute ``name`` and the ways to set it."""

    name: str
    help: str
    coerce: Callable[[Any], Any] = _as_is
    #: The command-line flag; ``--no-x`` flags turn a boolean off, other boolean flags turn it on.
    flag: str | None = None
    flag_dest: str | None = None
    flag_type: Callable[[str], Any] = str
    flag_metavar: str | None = None
    flag_choices: tuple[str, ...] | None = None
    flag_place: FlagPlace = "main"
    #: The environment variable, without the ``SEEDANCE_`` prefix.
    env: str | None = None
    #: What the README says of the default (when it is not just the attribute's default value).
    default_text: str | None = None
    #: Shown in messages about a value of the wrong type.
    expected: str = "a value of the right type"
    #: How the README shows the config key (e.g. ``mouse = false``); None: the bare key.
    key_example: str | None = None

    @property
    def env_var(self) -> str | None:
        return ENV_PREFIX + self.env if self.env else None

    @property
    def dest(self) -> str:
        """The argparse destination of the flag."""
        assert self.flag is not None
        return self.flag_dest or self.flag.removeprefix("--no-").removeprefix("--").replace("-", "_")

    @property
    def is_switch(self) -> bool:
        """The flag takes no value: it sets a boolean (on, or off for ``--no-``)."""
        return self.coerce is _flag

    def flag_value(self, given: Any) -> Any:
        """The setting a parsed flag asks for, or None when the flag was not given."""
        if not self.is_switch:
            return given
        if not given:
            return None
        return not (self.flag or "").startswith("--no-")


FIELDS: tuple[Field, ...] = (
    Field("api_key", "API key", env="API_KEY", key_example="`api_key` (file must be mode 0600)"),
    Field(
        "base_url", "API base URL", _url, flag="--base-url", flag_place="common", env="BASE_URL"
    ),
    Field(
        "db_path", "job store file", _path, flag="--db", flag_dest="db", flag_type=Path,
        flag_metavar="PATH", flag_place="common", env="TUI_DB",
        default_text="`jobs.json` in the user data dir",
    ),
    Field(
        "store", "job store URL: a path, tinydb:///path or postgresql://user@host/db", _text,
        flag="--store", flag_metavar="URL", flag_place="common", env="TUI_STORE", default_text=DASH,
    ),
    Field(
        "download_dir", "download folder", _path, flag="--download-dir", flag_type=Path,
        flag_metavar="PATH", env="DOWNLOAD_DIR", default_text="`seedance-tui` in the user downloads dir",
    ),
    Field(
        "mouse", "mouse (off: the terminal's own text selection, e.g. over SSH)", _flag, flag="--no-mouse",
        key_example="`mouse = false`",
    ),
    Field(
        "requests_per_second", "poll budget: requests per second", _rate, flag="--rps",
        flag_type=float, flag_metavar="N",
    ),
    Field(
        "concurrency", "poll budget: requests in flight", _at_least_one, flag="--concurrency",
        flag_type=int, flag_metavar="N",
    ),
    Field(
        "keys", "keys per action id (`[keys]` table)", _table, expected='a table of action id = "keys"',
        default_text=DASH,
    ),
    Field(
        "theme", "a Textual theme, e.g. nord, gruvbox, textual-ansi", _text, flag="--theme",
        default_text="Textual's",
    ),
    Field(
        "read_only", "refuse everything that sends a POST: submit, cancel, re-run, batch", _flag,
        flag="--read-only", flag_place="common",
    ),
    Field("views", "saved views (`[views.NAME]` tables)", _table, expected="[views.NAME] tables",
          default_text=DASH),
    Field("default_view", "the view shown at start-up", _text, default_text=DASH),
    Field(
        "columns", "table columns in order", _names, expected='a list such as ["id", "status", "prompt"]',
        default_text="the default set",
    ),
    Field(
        "notify", "alert when jobs finish: bell, desktop or off", _notify_mode("notify"), flag="--notify",
        flag_choices=("bell", "desktop", "off"), flag_metavar="MODE",
    ),
    Field(
        "notify_failures", "alert mode for failures", _notify_mode("notify_failures"),
        default_text="as `notify`",
    ),
    Field(
        "auto_download", "save every succeeded job's video in the background", _flag,
        flag="--auto-download",
    ),
    Field("download_name", "file name of an automatically saved video", _pattern),
    Field("download_concurrency", "videos saved at once", _at_least_one),
    Field("output_expiry_hours", "hours before an unsaved video is flagged", _hours),
    Field("archive_after_days", "days before a finished job moves into the archive (0: never)", _days),
    Field(
        "preview_graphics", "how the preview draws: auto, halfblock, sixel or kitty", _graphics,
        flag="--preview-graphics", flag_choices=tuple(kind.value for kind in Graphics), flag_metavar="KIND",
    ),
)  # fmt: skip

BY_NAME = {field.name: field for field in FIELDS}
#: What the config file, the environment and flags may set (not, say, ``demo``).
USER_SETTINGS = tuple(BY_NAME)


def flag_help(field: Field) -> str:
    """A flag's help: the setting's text, and its environment variable when it has one."""
    if field.is_switch and (field.flag or "").startswith("--no-"):
        return f"turn off: {field.help}"
    return f"{field.help} (env {field.env_var})" if field.env_var else field.help


def environment_values(env: dict[str, str]) -> dict[str, Any]:
    """The settings the environment gives (None where the variable is unset)."""
    return {field.name: env.get(field.env_var) for field in FIELDS if field.env_var}


def readme_table(defaults: dict[str, Any]) -> str:
    """The README's settings table (``defaults``: each attribute's default value, when simple)."""
    lines = ["| setting | default | flag | environment | config file key |", "|---|---|---|---|---|"]
    for field in FIELDS:
        default = field.default_text or _shown(defaults.get(field.name))
        flag = f"`{field.flag} {field.flag_metavar}`" if field.flag_metavar else _code(field.flag)
        key = field.key_example or f"`{field.name}`"
        lines.append(f"| {field.help} | {default} | {flag} | {_code(field.env_var)} | {key} |")
    return "\n".join(lines) + "\n"


def _code(text: str | None) -> str:
    return f"`{text}`" if text else DASH


def _shown(value: Any) -> str:
    return _code(None if value is None else str(value).lower() if isinstance(value, bool) else str(value))
