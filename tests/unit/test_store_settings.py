"""Where the store setting comes from: flags over environment over config file, a path beating a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedance_tui.config import ConfigError, load_settings

URL = "postgresql://team@db.example.com/seedance"


def test_store_url_from_the_environment_or_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'store = "{URL}"\n')
    assert load_settings({}, config_path=config).store == URL
    assert (
        load_settings({"SEEDANCE_TUI_STORE": "tinydb:///x.json"}, config_path=config).store
        == "tinydb:///x.json"
    )


def test_a_file_named_by_a_higher_layer_beats_a_url_from_a_lower_one(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'store = "{URL}"\n')
    settings = load_settings({"SEEDANCE_TUI_DB": str(tmp_path / "mine.json")}, config_path=config)
    assert settings.store is None and settings.db_path == tmp_path / "mine.json"
    flagged = load_settings(
        {"SEEDANCE_TUI_STORE": URL}, config_path=config, overrides={"db_path": tmp_path / "f.json"}
    )
    assert flagged.store is None and flagged.db_path == tmp_path / "f.json"


def test_a_file_and_a_url_in_the_same_place_is_an_error(tmp_path: Path) -> None:
    env = {"SEEDANCE_TUI_DB": str(tmp_path / "a.json"), "SEEDANCE_TUI_STORE": URL}
    with pytest.raises(ConfigError, match="give one"):
        load_settings(env, config_path=tmp_path / "absent.toml")
