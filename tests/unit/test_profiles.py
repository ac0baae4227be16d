"""Profiles: their values beat SEEDANCE_* (ignored with a warning), flags beat them, stores never mix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seedance_tui.cli import main
from seedance_tui.config import ConfigError, load_settings
from seedance_tui.sim.server import SimulatorServer

ENV = {
    "SEEDANCE_API_KEY": "sd2_env_key_000000000000",
    "SEEDANCE_BASE_URL": "http://env.test",
    "SEEDANCE_TUI_DB": "/tmp/env-jobs.json",
}


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    os.chmod(cfg, mode)
    return cfg


def test_profile_beats_the_environment_with_a_one_line_warning_and_flags_beat_the_profile(
    tmp_path: Path,
) -> None:
    cfg = write_config(
        tmp_path,
        f'base_url = "http://top.test"\n\n[profiles.work]\nbase_url = "http://work.test"\n'
        f'api_key_env = "WORK_KEY"\ndb_path = "{tmp_path / "work.json"}"\n',
    )
    env = {**ENV, "WORK_KEY": "sd2_work_key_11111111111"}
    settings = load_settings(env, config_path=cfg, profile="work")
    assert (settings.base_url, settings.api_key, settings.db_path) == (
        "http://work.test",
        "sd2_work_key_11111111111",
        tmp_path / "work.json",
    )
    assert settings.profile == "work"
    assert settings.warnings == [
        "Profile work is in use: ignoring SEEDANCE_API_KEY, SEEDANCE_BASE_URL, SEEDANCE_TUI_DB from the environment."
    ]
    flagged = load_settings(env, config_path=cfg, profile="work", overrides={"base_url": "http://flag.test"})
    assert flagged.base_url == "http://flag.test"
    assert load_settings(env, config_path=cfg).base_url == "http://env.test"  # no profile: as before


def test_each_profile_has_its_own_store_by_default(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path, '[profiles.a]\nbase_url = "http://a.test"\n[profiles.b]\nbase_url = "http://b.test"\n'
    )
    paths = {load_settings({}, config_path=cfg, profile=name).db_path for name in ("a", "b")}
    paths.add(load_settings({}, config_path=cfg).db_path)
    assert len(paths) == 3


@pytest.mark.parametrize(
    ("text", "mode", "message"),
    [
        (
            '[profiles.work]\nbase_url = "http://w.test"\n',
            0o600,
            "There is no profile 'home' in .*profiles there: work",
        ),
        ("[profiles.home]\ncolour = 1\n", 0o600, r"config.toml:2: unknown profile setting 'colour'"),
        ('[profiles.home]\napi_key = "sd2_x_123456789012345"\n', 0o644, r"config.toml:2: .*chmod 600"),
        (
            '[profiles.home]\napi_key_env = "NOPE_KEY"\n',
            0o600,
            r"config.toml:2: .*\$NOPE_KEY, which is not set",
        ),
    ],
)
def test_bad_profiles_are_named_with_file_and_line(
    tmp_path: Path, text: str, mode: int, message: str
) -> None:
    cfg = write_config(tmp_path, text, mode)
    with pytest.raises(ConfigError, match=message):
        load_settings({}, config_path=cfg, profile="home")


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "home.key"
    key_file.write_text("sd2_file_key_2222222222\n")
    cfg = write_config(tmp_path, f'[profiles.home]\napi_key_file = "{key_file}"\n')
    os.chmod(key_file, 0o644)
    with pytest.raises(ConfigError, match="can be read by others"):
        load_settings({}, config_path=cfg, profile="home")
    os.chmod(key_file, 0o600)
    assert load_settings({}, config_path=cfg, profile="home").api_key == "sd2_file_key_2222222222"


def test_profiles_keep_separate_stores_through_the_cli(
    tmp_path: Path, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(
        tmp_path,
        "".join(
            f'[profiles.{name}]\nbase_url = "{sim.url}"\napi_key = "sd2_demo_key"\n'
            f'db_path = "{tmp_path / name / "jobs.json"}"\n'
            for name in ("a", "b")
        ),
    )
    monkeypatch.setenv("SEEDANCE_TUI_DB", str(tmp_path / "env.json"))
    common = ["--config", str(cfg)]
    assert main(["submit", "--profile", "a", *common, "--model", "seedance-2.0", "--prompt", "for a"]) == 0
    captured = capsys.readouterr()
    assert "ignoring SEEDANCE_TUI_DB" in captured.err
    listed = {}
    for name in ("a", "b"):
        assert main(["jobs", "--profile", name, *common, "--json"]) == 0
        listed[name] = [job["request"]["prompt"] for job in json.loads(capsys.readouterr().out)]
    assert listed == {"a": ["for a"], "b": []}
    assert not (tmp_path / "env.json").exists()
    assert main(["jobs", "--profile", "nope", *common]) == 2
    assert "There is no profile 'nope'" in capsys.readouterr().err
