"""Binding ids, the [keys] table's checks, `seedance-tui keys`, and the CLI's read-only refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedance_tui.cli import main
from seedance_tui.config import load_settings
from seedance_tui.config_file import update_config
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.keymap import build_keymap, key_problem, key_rows, scopes

REQUIRED_IDS = {"new_job", "submit", "cancel_job", "refresh", "search", "help", "quit", "detail", "download"}


def test_every_binding_of_every_screen_has_an_id() -> None:
    for _, classes in scopes():
        for cls in classes:
            for binding in cls.__dict__.get("BINDINGS", []):
                assert binding.id, f"{cls.__name__} binds {binding.key} without an id"
    assert {row.id for row in key_rows()} >= REQUIRED_IDS


def test_ids_are_unique_within_a_screen() -> None:
    for screen, classes in scopes():
        ids = [b.id for cls in classes for b in cls.__dict__.get("BINDINGS", [])]
        assert len(ids) == len(set(ids)), screen


def test_keys_command_lists_id_screen_keys_and_description(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[keys]\nnew_job = "f2"\n')
    assert main(["keys", "--json", "--config", str(cfg)]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_screen = {(row["id"], row["screen"]): row for row in rows}
    assert by_screen[("new_job", "main")]["keys"] == "f2"
    assert by_screen[("submit", "submit")]["keys"] == "ctrl+s,f5"
    assert by_screen[("download", "detail")]["description"] == "Download"
    assert main(["keys", "--config", str(cfg)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split() == ["ID", "SCREEN", "KEYS", "DESCRIPTION"]
    assert any(line.split()[:3] == ["new_job", "main", "f2"] for line in text.splitlines())


def test_unknown_ids_bad_key_names_and_clashes_name_the_line_and_keep_defaults(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '# mine\n[keys]\nnew_job = "f2"\nlaunch = "x"\nsearch = "ctrl+nope"\n'
        'refresh = "f2"\nhelp = "bogus+h"\nquit = 3\n'
    )
    settings = load_settings({}, config_path=cfg)
    keymap, problems = build_keymap(settings.keys, cfg)
    assert keymap == {"new_job": "f2"}
    text = "\n".join(problems)
    assert f"{cfg}:4: unknown action id 'launch'" in text
    assert f"{cfg}:5: 'ctrl+nope' is not a key name" in text
    assert f"{cfg}:6: f2 is already bound to new_job (main); refresh keeps its default keys" in text
    assert f"{cfg}:7: 'bogus' is not a modifier" in text
    assert f"{cfg}:8: keys for quit must be a string" in text


@pytest.mark.parametrize(
    "key", ["f5", "ctrl+s", "n", "?", "question_mark", "enter", "shift+tab", "G", "slash"]
)
def test_real_key_names_are_accepted(key: str) -> None:
    assert key_problem(key) is None


def test_keys_that_are_not_a_table_name_the_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('base_url = "http://x.test"\nkeys = "n"\n')
    assert main(["keys", "--config", str(cfg)]) == 2


def test_set_key_keeps_the_comments_of_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('# hand written\ntheme = "nord"  # dark\n\n[keys]\nsubmit = "f5"\n')
    update_config(cfg, {"keys.new_job": "f2"})
    assert (
        cfg.read_text() == '# hand written\ntheme = "nord"  # dark\n\n[keys]\nsubmit = "f5"\nnew_job = "f2"\n'
    )


@pytest.mark.parametrize("how", ["flag", "config"])
@pytest.mark.parametrize(
    "command", [["submit", "--model", "seedance-2.0", "--prompt", "a cat"], ["cancel", "req_0001"]]
)
def test_read_only_cli_refuses_submit_and_cancel_with_exit_2_and_sends_nothing(
    tmp_path: Path,
    sim: SimulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
    command: list[str],
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("read_only = true\n" if how == "config" else "")
    monkeypatch.setenv("SEEDANCE_API_KEY", "sd2_demo_key")
    monkeypatch.setenv("SEEDANCE_BASE_URL", sim.url)
    flags = ["--read-only"] if how == "flag" else []
    argv = [command[0], *flags, "--config", str(cfg), "--db", str(tmp_path / "jobs.json"), *command[1:]]
    assert main(argv) == 2
    assert "read-only mode" in capsys.readouterr().err
    stats = sim.app.state.sim.stats()
    assert stats["submits_received"] == 0 and stats["cancels"] == 0


def test_a_config_syntax_error_names_file_and_line_and_nothing_is_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "config.toml"
    broken = '# mine\ntheme = "nord"\n[keys\nnew_job = "f2"\n'
    cfg.write_text(broken)
    assert main(["keys", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert str(cfg) in err and "line 3" in err
    assert cfg.read_text() == broken
