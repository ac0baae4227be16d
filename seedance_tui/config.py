"""Settings: where the key, the API, the job store and downloads are; read from flags, env and a file."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from seedance_tui.config_fields import (
    BY_NAME,
    ENV_PREFIX,
    USER_SETTINGS,
    SettingMessageError,
    environment_values,
    readme_table,
)

APP_NAME = "seedance-tui"
DEFAULT_BASE_URL = "https://www.seedance2.ink"
DEMO_API_KEY = "sd2_demo_key"


class ConfigError(Exception):
    """A setting is missing or unsafe; the message tells the user what to do."""


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "jobs.json"


def default_download_dir() -> Path:
    return Path(platformdirs.user_downloads_dir()) / APP_NAME


def mask_key(key: str | None) -> str:
    """A form of the key safe to show: its prefix and last four characters at most."""
    if not key:
        return "(none)"
    if len(key) <= 12:
        return "…" + key[-2:]
    return f"{key[:4]}…{key[-4:]}"


@dataclass
class Settings:
    """Everything the app and the CLI need to run; built once at start-up."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    db_path: Path = field(default_factory=default_db_path)
    #: A store URL (``postgresql://...``, ``tinydb:///path``); when set, it is used instead of db_path.
    store: str | None = None
    download_dir: Path = field(default_factory=default_download_dir)
    config_path: Path = field(default_factory=default_config_path)
    mouse: bool = True
    requests_per_second: float = 20.0
    concurrency: int = 8
    demo: bool = False
    #: Action id -> keys (``"ctrl+s,f5"``) from the config file's ``[keys]`` table.
    keys: dict[str, str] = field(default_factory=dict)
    #: A Textual theme name; None keeps Textual's default.
    theme: str | None = None
    #: Nothing that sends a POST (submit, cancel, re-run, batch) may run.
    read_only: bool = False
    #: Saved views by name (``[views.NAME]`` tables: query, sort, reverse, columns); see seedance_tui.views.
    views: dict[str, Any] = field(default_factory=dict)
    #: The view shown at start-up.
    default_view: str | None = None
    #: The ``[profiles.NAME]`` in use, if any.
    profile: str | None = None
    #: Things to tell the user once at start (e.g. environment variables a profile made ignored).
    warnings: list[str] = field(default_factory=list)
    #: Table columns in order (keys as in the column chooser); None keeps the default set.
    columns: list[str] | None = None
    #: Terminal alert when jobs finish: "bell", "desktop" or "off" (see seedance_tui.notify).
    notify: str = "bell"
    #: Alert mode for failures ("" = same as ``notify``): failures may be louder than successes.
    notify_failures: str = ""
    #: Save every succeeded job's video in the background.
    auto_download: bool = False
    #: File name of an automatically saved video (fields: see seedance_tui.filenames).
    download_name: str = "{created:%Y%m%d-%H%M%S}-{prompt_slug}-{id}.mp4"
    #: Videos saved at once by the automatic download.
    download_concurrency: int = 2
    #: Hours after which a succeeded job's unsaved video is flagged (its link may have expired).
    output_expiry_hours: float = 12.0
    #: Days after which a finished job moves from the store file into its month archive (0: never).
    archive_after_days: float = 30.0
    #: How the preview draws: "auto", "halfblock", "sixel" or "kitty" (see seedance_tui.terminal_graphics).
    preview_graphics: str = "auto"

    def __repr__(self) -> str:  # never print the key, even by accident
        key = mask_key(self.api_key)
        return f"Settings(base_url={self.base_url!r}, db_path={str(self.db_path)!r}, key={key})"


def settings_table() -> str:
    """The README's settings table, from seedance_tui.config_fields and the defaults above."""
    defaults = {f.name: None if f.default is MISSING else f.default for f in fields(Settings)}
    return readme_table(defaults)


def read_config_file(path: Path) -> dict[str, Any]:
    """The config file's values; refuses a file holding a key that others can read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror}") from None
    import tomllib  # only when a config file exists (~1 ms of start-up without one, issue 15)

    try:
        values = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The config file {path} is not valid TOML: {exc}") from None
    if values.get("api_key") and os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"The config file {path} holds an API key but others can read it "
                f"(mode {mode:o}). Run: chmod 600 {path}"
            )
    return values


WEBHOOK_TOKEN_FILE = "webhook-token"


def webhook_token(config_path: Path) -> str:
    """This install's secret webhook path segment, made once beside the config file (mode 0600)."""
    path = config_path.with_name(WEBHOOK_TOKEN_FILE)
    try:
        if not path.exists():
            _write_private(path, secrets.token_urlsafe(24) + "\n", keep_existing=True)
        mode = stat.S_IMODE(path.stat().st_mode)
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"Cannot read or create the webhook token file {path}: {exc.strerror}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"The webhook token file {path} can be read by others. Run: chmod 600 {path}")
    if not token:
        raise ConfigError(f"The webhook token file {path} is empty; delete it to make a new one.")
    return token


def _write_private(path: Path, text: str, *, keep_existing: bool = False) -> None:
    """Write ``text`` to ``path`` atomically, readable by its owner only (mode 0600).

    ``keep_existing``: when another process made the file first, theirs wins.
    """
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        if keep_existing:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        else:
            os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"Cannot write {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def where(path: Path, text: str, key: str, table: str | None = None) -> str:
    """``file:line`` of ``key`` (inside ``[table]`` when given), or the file alone if not found."""
    current: str | None = None
    pattern = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*=""")
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]+", line)
        if header:
            current = header.group(1).strip()
            continue
        if current == table and pattern.match(line):
            return f"{path}:{number}"
    return str(path)


def load_settings(
    env: dict[str, str] | None = None,
    *,
    config_path: Path | None = None,
    overrides: dict[str, Any] | None = None,
    profile: str | None = None,
) -> Settings:
    """Merge defaults < config file < environment (or ``profile``) < command-line overrides (None: unset)."""
    env = dict(os.environ if env is None else env)
    path = config_path or (Path(env[f"{ENV_PREFIX}CONFIG"]) if env.get(f"{ENV_PREFIX}CONFIG") else None)
    path = path or default_config_path()
    file_values = read_config_file(path)
    settings = Settings(config_path=path)
    environment = environment_values(env)
    if profile is not None:
        from seedance_tui.profiles import profile_values  # profiles builds on this module

        environment, settings.warnings = profile_values(profile, file_values, env, path)
        settings.profile = profile
    file_values = {k: v for k, v in file_values.items() if k != "profiles"}
    sources: list[dict[str, Any]] = [file_values, environment, overrides or {}]
    for source in sources:
        if source.get("db_path") and source.get("store"):
            raise ConfigError("Both a job store file (db_path) and a store URL (store) are set: give one.")
        for key, value in source.items():
            if value is None or value == "":
                continue
            if key not in USER_SETTINGS:
                raise ConfigError(
                    f"Unknown setting {key!r} in {_place(path, key)}: "
                    f"known ones are {', '.join(USER_SETTINGS)}"
                )
            try:
                setattr(settings, key, _coerce(key, value))
            except ConfigError as exc:
                if source is not file_values:
                    raise
                raise ConfigError(f"{_place(path, key)}: {exc}") from None
            if key == "db_path":
                settings.store = None  # a file named here beats a URL from a lower layer
    return settings


def _place(path: Path, key: str) -> str:
    try:
        return where(path, path.read_text(encoding="utf-8"), key)
    except (OSError, UnicodeDecodeError):
        return str(path)


def _coerce(key: str, value: Any) -> Any:
    """``value`` as setting ``key`` holds it (see seedance_tui.config_fields); ConfigError if it cannot."""
    field = BY_NAME[key]
    try:
        return field.coerce(value)
    except SettingMessageError as exc:
        raise ConfigError(str(exc)) from None
    except (TypeError, ValueError):
        raise ConfigError(
            f"Setting {key} has an invalid value: {value!r} (expected {field.expected})"
        ) from None
