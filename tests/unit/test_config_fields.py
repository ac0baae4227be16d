"""The one table of settings: the README, the flags and the environment all come from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from seedance_tui.cli import build_parser, settings_from_args
from seedance_tui.config import ConfigError, Settings, load_settings, settings_table
from seedance_tui.config_fields import FIELDS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_settings_table_is_the_generated_one() -> None:
    readme = README.read_text(encoding="utf-8")
    assert settings_table() in readme, "README's settings table is stale; paste config.settings_table()"


def test_every_field_is_a_settings_attribute_and_every_flag_exists() -> None:
    attributes = {field.name for field in dataclasses.fields(Settings)}
    assert {field.name for field in FIELDS} <= attributes
    help_text = build_parser().format_help()
    for field in FIELDS:
        if field.flag:
            assert field.flag in help_text


def test_every_flag_reaches_its_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for field in FIELDS:
        if field.env_var:
            monkeypatch.delenv(field.env_var, raising=False)
    flags = "--no-mouse --rps 5 --concurrency 3 --theme nord --notify off --auto-download --read-only"
    args = build_parser().parse_args(
        [
            *flags.split(),
            *("--base-url", "http://x/", "--config", str(tmp_path / "none.toml")),
            *("--download-dir", str(tmp_path / "videos"), "jobs", "--db", str(tmp_path / "jobs.json")),
        ]
    )
    settings = settings_from_args(args)
    assert (settings.mouse, settings.requests_per_second, settings.concurrency) == (False, 5.0, 3)
    assert (settings.theme, settings.notify, settings.auto_download) == ("nord", "off", True)
    assert (settings.read_only, settings.base_url) == (True, "http://x")
    assert (settings.download_dir, settings.db_path) == (tmp_path / "videos", tmp_path / "jobs.json")


def test_unset_flags_leave_the_config_file_in_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('mouse = false\nread_only = true\nnotify = "desktop"\nrequests_per_second = 2\n')
    for field in FIELDS:
        if field.env_var:
            monkeypatch.delenv(field.env_var, raising=False)
    settings = settings_from_args(build_parser().parse_args(["--config", str(cfg)]))
    assert (settings.mouse, settings.read_only, settings.notify, settings.requests_per_second) == (
        False,
        True,
        "desktop",
        2.0,
    )


def test_every_environment_variable_reaches_its_setting(tmp_path: Path) -> None:
    env = {
        "SEEDANCE_API_KEY": "sd2_env_key_0000000000",
        "SEEDANCE_BASE_URL": "http://env.test/",
        "SEEDANCE_TUI_STORE": "postgresql://u@h/db",
        "SEEDANCE_DOWNLOAD_DIR": str(tmp_path / "d"),
    }
    settings = load_settings(env, config_path=tmp_path / "none.toml")
    assert (settings.api_key, settings.base_url, settings.store) == (
        "sd2_env_key_0000000000",
        "http://env.test",
        "postgresql://u@h/db",
    )
    assert settings.download_dir == tmp_path / "d"
    assert {field.env_var for field in FIELDS if field.env_var} == set(env) | {"SEEDANCE_TUI_DB"}


def test_a_setting_with_its_own_message_keeps_it_and_names_the_line(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('theme = "nord"\nnotify = "loud"\n')
    with pytest.raises(ConfigError, match=r"config\.toml:2: .*notify"):
        load_settings({}, config_path=cfg)
