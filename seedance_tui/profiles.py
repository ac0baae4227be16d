"""Profiles: ``[profiles.NAME]`` tables naming one account's API, key source, store and downloads.

With a profile selected its values win over ``SEEDANCE_*`` environment variables (ignored, with a
one-line warning, so accounts never mix); explicit flags still win. Each profile has its own store
unless it names one, so jobs of different accounts never share a file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from seedance_tui.config import ConfigError, default_db_path, where

#: What a profile table may hold.
PROFILE_KEYS = ("base_url", "db_path", "download_dir", "api_key_env", "api_key_file", "api_key", "read_only")
#: Environment variables a profile overrides.
OVERRIDDEN_ENV = ("SEEDANCE_API_KEY", "SEEDANCE_BASE_URL", "SEEDANCE_TUI_DB", "SEEDANCE_DOWNLOAD_DIR")


def profile_db_path(name: str) -> Path:
    """The store a profile uses when it names none: one per profile, beside the default one."""
    return default_db_path().parent / "profiles" / name / "jobs.json"


def profile_values(
    name: str, file_values: dict[str, Any], env: dict[str, str], path: Path
) -> tuple[dict[str, Any], list[str]]:
    """The settings profile ``name`` gives, and warnings (environment variables it makes ignored)."""
    profiles = file_values.get("profiles", {})
    text = _text(path)
    if not isinstance(profiles, dict) or not isinstance(profiles.get(name), dict):
        known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) and profiles else "none"
        raise ConfigError(
            f"There is no profile {name!r} in {path}: add a [profiles.{name}] table "
            f"(profiles there: {known})."
        )
    table: dict[str, Any] = profiles[name]
    for key in table:
        if key not in PROFILE_KEYS:
            raise ConfigError(
                f"{where(path, text, key, f'profiles.{name}')}: unknown profile setting {key!r} "
                f"(known: {', '.join(PROFILE_KEYS)})"
            )
    values: dict[str, Any] = {
        k: table[k] for k in ("base_url", "db_path", "download_dir", "read_only") if k in table
    }
    values.setdefault("db_path", profile_db_path(name))
    values["api_key"] = _profile_key(name, table, env, path, text)
    ignored = [var for var in OVERRIDDEN_ENV if env.get(var)]
    warnings = (
        [f"Profile {name} is in use: ignoring {', '.join(ignored)} from the environment."] if ignored else []
    )
    return values, warnings


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _profile_key(name: str, table: dict[str, Any], env: dict[str, str], path: Path, text: str) -> str | None:
    section = f"profiles.{name}"
    if "api_key" in table:
        if _readable_by_others(path):
            raise ConfigError(
                f"{where(path, text, 'api_key', section)}: profile {name} holds an API key but others "
                f"can read the file. Run: chmod 600 {path}"
            )
        return str(table["api_key"])
    if "api_key_file" in table:
        key_file = Path(str(table["api_key_file"])).expanduser()
        if _readable_by_others(key_file):
            raise ConfigError(
                f"The key file {key_file} of profile {name} can be read by others. Run: chmod 600 {key_file}"
            )
        try:
            return key_file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ConfigError(
                f"Cannot read the key file {key_file} of profile {name}: {exc.strerror}"
            ) from None
    if "api_key_env" in table:
        variable = str(table["api_key_env"])
        if not env.get(variable):
            raise ConfigError(
                f"{where(path, text, 'api_key_env', section)}: profile {name} takes its key from "
                f"${variable}, which is not set."
            )
        return env[variable]
    return None


def _readable_by_others(path: Path) -> bool:
    if os.name != "posix":
        return False
    try:
        return bool(stat.S_IMODE(path.stat().st_mode) & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False
