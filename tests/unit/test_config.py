"""Settings precedence, the config file's safety rules, and key masking."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from seedance_tui.config import (
    DEFAULT_BASE_URL,
    ConfigError,
    Settings,
    load_settings,
    mask_key,
    read_config_file,
)
from seedance_tui.config_file import write_api_key

KEY = "sd2_live_abcdefghijklmnop1234"


def test_defaults_without_env_or_file(tmp_path: Path) -> None:
    settings = load_settings({}, config_path=tmp_path / "none.toml")
    assert settings.api_key is None
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.db_path.name == "jobs.json"


def test_env_beats_file_and_flags_beat_env(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('base_url = "http://file.test"\nconcurrency = 3\n')
    env = {
        "SEEDANCE_API_KEY": KEY,
        "SEEDANCE_BASE_URL": "http://env.test/",
        "SEEDANCE_TUI_DB": str(tmp_path / "e"),
    }
    settings = load_settings(env, config_path=cfg)
    assert (settings.api_key, settings.base_url, settings.concurrency) == (KEY, "http://env.test", 3)
    assert settings.db_path == tmp_path / "e"
    flagged = load_settings(env, config_path=cfg, overrides={"base_url": "http://flag.test", "db_path": None})
    assert flagged.base_url == "http://flag.test" and flagged.db_path == tmp_path / "e"


def test_write_api_key_creates_a_0600_file_and_keeps_other_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "sub" / "config.toml"
    cfg.parent.mkdir()
    cfg.write_text('base_url = "http://keep.test"\n')
    write_api_key(cfg, KEY)
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert read_config_file(cfg) == {"base_url": "http://keep.test", "api_key": KEY}
    assert load_settings({}, config_path=cfg).api_key == KEY


def test_a_readable_config_file_holding_a_key_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    write_api_key(cfg, KEY)
    os.chmod(cfg, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_settings({}, config_path=cfg)


def test_invalid_toml_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({}, config_path=cfg)


def test_key_is_masked_and_never_in_repr() -> None:
    assert mask_key(KEY) == "sd2_…1234"
    assert mask_key(None) == "(none)"
    assert KEY not in repr(Settings(api_key=KEY)) and KEY not in str(Settings(api_key=KEY))


def test_mouse_can_be_switched_off_in_the_config_file_or_by_flag(tmp_path: Path) -> None:
    from seedance_tui.cli import build_parser, settings_from_args

    cfg = tmp_path / "config.toml"
    assert load_settings({}, config_path=cfg).mouse is True
    cfg.write_text("mouse = false\n")
    assert load_settings({}, config_path=cfg).mouse is False
    args = build_parser().parse_args(["--no-mouse", "--config", str(tmp_path / "other.toml")])
    assert settings_from_args(args).mouse is False


@pytest.mark.parametrize(
    ("text", "message"),
    [("demo = true\n", "Unknown setting 'demo'"), ("requests_per_second = inf\n", "invalid value")],
)
def test_config_file_cannot_set_internal_or_absurd_values(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings({}, config_path=cfg)


def test_write_api_key_keeps_tables_comments_and_layout(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    original = '# my settings\nbase_url = "http://keep.test"  # staging\n\n[keys]\n# tmux eats ctrl+s\nsubmit = "f5"\n'
    cfg.write_text(original)
    write_api_key(cfg, KEY)
    text = cfg.read_text()
    assert text.replace(f'api_key = "{KEY}"\n', "") == original
    assert read_config_file(cfg)["keys"] == {"submit": "f5"}


def test_write_api_key_never_rewrites_a_file_it_cannot_parse(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("base_url = = broken\n")
    with pytest.raises(ConfigError, match="left unchanged"):
        write_api_key(cfg, KEY)
    assert cfg.read_text() == "base_url = = broken\n"
