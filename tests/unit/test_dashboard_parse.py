"""A dashboard start is parsed without building every command's parser (issue 15): same result,
anything that parser could decide differently goes to the whole command line, and the webhook
flags are still checked."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from seedance_tui.cli import main
from seedance_tui.cli_parser import (
    COMMANDS,
    ArgumentsError,
    _subcommands,
    build_parser,
    parse,
    parse_command_line,
)
from seedance_tui.commands import EXIT_USAGE


def _parsed(parse_it: object) -> dict[str, str] | tuple[str, str, bool]:
    """What a parse gave, comparable: the namespace (values by repr), or the error and its parser."""
    try:
        args = parse_it()  # type: ignore[operator]
    except ArgumentsError as exc:
        return (exc.message, exc.parser.format_usage(), bool(_subcommands(exc.parser)))
    assert isinstance(args, argparse.Namespace)
    return {key: repr(value) for key, value in vars(args).items()}


def test_the_commands_named_are_every_command() -> None:
    assert set(_subcommands(build_parser())) == COMMANDS


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["--db", "/tmp/x.json", "--base-url", "http://127.0.0.1:9"],
        ["--demo", "--demo-speed", "5", "--read-only"],
        ["--db=/tmp/jobs", "--profile", "work", "--recover-db"],
        ["--webhook-listen", "127.0.0.1:8080", "--webhook-public-url", "https://example.com"],
        ["--demo-s", "2"],  # an abbreviation, as the whole command line takes it
    ],
)
def test_a_dashboard_start_parses_as_the_whole_command_line_does(arguments: list[str]) -> None:
    assert _parsed(lambda: parse_command_line(arguments)) == _parsed(lambda: parse(build_parser(), arguments))


@pytest.mark.parametrize(
    "arguments",
    [
        ["jobs", "--json"],
        ["--db", "jobs"],  # a command's name as a value: decided by the whole command line, as before
        ["frobnicate"],
        ["--no-such-flag"],
        ["--demo-speed", "fast"],
        ["--db"],
    ],
)
def test_commands_and_mistakes_get_the_whole_command_lines_answer(arguments: list[str]) -> None:
    expected = _parsed(lambda: parse(build_parser(), arguments))
    assert _parsed(lambda: parse_command_line(arguments)) == expected
    if isinstance(expected, tuple):
        assert expected[2], "the error is reported with the usage that lists the commands"


@pytest.mark.parametrize("arguments", [["--help"], ["-h"], ["--he"], ["--db", "x", "-h"]])
def test_help_lists_every_command(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_command_line(arguments)
    shown = capsys.readouterr().out
    with pytest.raises(SystemExit):
        parse(build_parser(), arguments)
    assert shown == capsys.readouterr().out and "set-key" in shown


def test_a_webhook_flag_alone_is_refused_before_the_dashboard_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The webhook plan loads only with its flags (issue 15), and still checks them."""
    monkeypatch.setenv("SEEDANCE_CONFIG", str(tmp_path / "config.toml"))
    assert main(["--webhook-listen", "127.0.0.1:9", "--db", str(tmp_path / "jobs.json")]) == EXIT_USAGE
    assert "go together" in capsys.readouterr().err
