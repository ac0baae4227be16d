"""The command line's grammar: every command, its options and the handler that runs it."""

from __future__ import annotations

import argparse
import contextlib
import importlib
from pathlib import Path
from typing import Any, NoReturn

from seedance_tui.config_fields import FIELDS, FlagPlace, flag_help
from seedance_tui.models import (
    ASPECT_RATIOS,
    MODELS,
    RESOLUTIONS,
    JobStatus,
    allowed_durations,
    durations_text,
)


class ArgumentsError(Exception):
    """argparse refused the command line; ``parser`` is the (sub)command whose usage applies."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _Parser(argparse.ArgumentParser):
    """Raises instead of exiting, so that ``main`` can answer in JSON when ``--json`` was given."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentsError(self, message)


class Handler:
    """A command's handler, named by module and function and imported only when its command runs:
    the dashboard's start never loads the other commands' code (batch files, export, tracking)."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __call__(self, args: argparse.Namespace) -> int:
        handler = getattr(importlib.import_module(f"seedance_tui.{self.module}"), self.name)
        code: int = handler(args)
        return code

    def __repr__(self) -> str:
        return f"Handler({self.module}.{self.name})"


class _VersionAction(argparse.Action):
    """``--version``, reading the installed metadata only when asked (importlib.metadata costs ~10 ms)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import version

        print(f"{parser.prog} {version('seedance-tui')}")
        parser.exit()


def _common_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    _setting_flags(parser, "common", default)
    parser.add_argument("--config", type=Path, default=default, help="config file (env SEEDANCE_CONFIG)")
    parser.add_argument(
        "--profile",
        default=default,
        metavar="NAME",
        help="use [profiles.NAME] of the config file (its store, API and key; SEEDANCE_* ignored)",
    )
    parser.add_argument(
        "--recover-db",
        action="store_true",
        default=default if suppress else False,
        help="if the job store is corrupt, move it aside (kept) and start a new one",
    )


def _setting_flags(parser: argparse.ArgumentParser, place: FlagPlace, default: Any) -> None:
    """The flags of the settings (seedance_tui.config_fields) that belong at ``place``."""
    for field in FIELDS:
        if field.flag is None or field.flag_place != place:
            continue
        if field.is_switch:
            switch_default = False if default is None else default
            parser.add_argument(
                field.flag,
                dest=field.dest,
                action="store_true",
                default=switch_default,
                help=flag_help(field),
            )
            continue
        parser.add_argument(
            field.flag,
            dest=field.dest,
            type=field.flag_type,
            metavar=field.flag_metavar,
            choices=field.flag_choices,
            default=default,
            help=flag_help(field),
        )


#: The commands' names: a command line naming none starts the dashboard (see ``parse_command_line``).
COMMANDS = frozenset(
    {
        "submit",
        "jobs",
        "status",
        "cancel",
        "export",
        "track",
        "batch",
        "keys",
        "sim",
        "serve",
        "store",
        "set-key",
    }
)


def parse_command_line(arguments: list[str]) -> argparse.Namespace:
    """Parse ``arguments``: a dashboard start (no command named, no help asked for) with the top-level
    parser alone; anything else, or anything that parser refuses, with the whole command line.

    Building every command's parser costs ~5 ms at each start (issue 15), most of it argparse asking
    gettext, file by file, for a translation of each parser's help texts.
    """
    if not any(arg in COMMANDS or arg.startswith(("-h", "--h")) for arg in arguments):
        with contextlib.suppress(ArgumentsError):
            return parse(build_parser(commands=False), arguments)
    return parse(build_parser(), arguments)


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The whole command line; each command's parser names its handler (``args.handler(args)``).

    Without ``commands``: the dashboard's options alone, no commands and no ``--help``.
    """
    parser = _Parser(
        prog="seedance-tui",
        description="Terminal dashboard and CLI for the Seedance 2.0 video API.",
        add_help=commands,
    )
    parser.set_defaults(handler=Handler("cli_apps", "run_dashboard"), json=False)
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    _common_options(parser, suppress=False)
    parser.add_argument("--demo", action="store_true", help="run against the embedded simulator (no key)")
    parser.add_argument(
        "--demo-failure-rate", type=float, default=0.15, metavar="RATE", help="share of demo jobs that fail"
    )
    parser.add_argument(
        "--demo-speed", type=float, default=1.0, metavar="X", help="demo jobs run X times faster"
    )
    _setting_flags(parser, "main", None)
    parser.add_argument(
        "--webhook-listen",
        metavar="HOST:PORT",
        help="receive the API's webhooks here (with --webhook-public-url)",
    )
    parser.add_argument(
        "--webhook-public-url", metavar="URL", help="base URL at which the API reaches --webhook-listen"
    )
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _job_parsers(sub)
    _many_job_parsers(sub)
    _program_parsers(sub)
    return parser


def _job_parsers(sub: Any) -> None:
    """submit, jobs, status and cancel: one job (or a list) at a time."""
    submit = sub.add_parser("submit", help="submit a generation and print its request id")
    submit.set_defaults(handler=Handler("cli_handlers", "run_submit"))
    _common_options(submit, suppress=True)
    # Choices are listed, not enforced by argparse: the request's own validation says what is wrong
    # in the same words (and in JSON under --json) as every other invalid field.
    submit.add_argument("--model", required=True, metavar="{" + ",".join(MODELS) + "}", help="the model")
    submit.add_argument("--prompt", required=True, metavar="TEXT", help="what the video shows")
    submit.add_argument(
        "--aspect-ratio",
        metavar="{" + ",".join(ASPECT_RATIOS) + "}",
        help="frame shape (omitted: API default)",
    )
    durations = "; ".join(f"{model}: {durations_text(allowed_durations(model))}" for model in MODELS)
    submit.add_argument(
        "--duration", type=int, metavar="SECONDS", help=f"video length ({durations}; omitted: API default)"
    )
    submit.add_argument(
        "--resolution", metavar="{" + ",".join(RESOLUTIONS) + "}", help="video size (omitted: API default)"
    )
    submit.add_argument("--webhook-url", metavar="URL", help="where the API reports the result")
    submit.add_argument("--metadata", help="a JSON object")
    submit.add_argument("--media-url", action="append", dest="media_urls", help="reference image URL")
    submit.add_argument(
        "--json", action="store_true", help="print the job, or the error, as JSON on standard output"
    )

    jobs = sub.add_parser("jobs", help="list stored jobs")
    jobs.set_defaults(handler=Handler("cli_handlers", "run_jobs"))
    _common_options(jobs, suppress=True)
    jobs.add_argument(
        "query", nargs="?", default="", help='a search query, e.g. "status:failed model:2.0 age:<1d"'
    )
    jobs.add_argument("--status", action="append", choices=[str(s) for s in JobStatus], default=[])
    jobs.add_argument("--json", action="store_true", help="print the jobs as JSON")

    for name, text, handler in (
        ("status", "ask the API about a job and store it", Handler("cli_handlers", "run_status")),
        ("cancel", "cancel a job", Handler("cli_handlers", "run_cancel")),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.set_defaults(handler=handler)
        _common_options(cmd, suppress=True)
        cmd.add_argument("id", help="request id, local id, or a unique prefix")
        cmd.add_argument("--json", action="store_true", help="print the job, or the error, as JSON")


def _program_parsers(sub: Any) -> None:
    """keys, sim, serve, store and set-key."""
    keys = sub.add_parser("keys", help="list every action id, its screen, keys in force and description")
    keys.set_defaults(handler=Handler("cli_handlers", "run_keys"))
    keys.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    keys.add_argument("--json", action="store_true")

    sim = sub.add_parser("sim", help="run the API simulator standalone")
    sim.set_defaults(handler=Handler("cli_apps", "run_sim"))
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8787)
    from seedance_tui.sim.config import add_sim_arguments

    add_sim_arguments(sim)

    serve = sub.add_parser("serve", help="serve the dashboard to web browsers (tabs follow the one poller)")
    serve.set_defaults(handler=Handler("cli_apps", "run_serve"))
    _common_options(serve, suppress=True)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000)
    from seedance_tui.store_cli import add_store_commands

    add_store_commands(sub, lambda cmd: _common_options(cmd, suppress=True))
    sub.choices["store"].set_defaults(handler=Handler("cli_handlers", "run_store"))

    set_key = sub.add_parser("set-key", help="save the API key in the config file (mode 0600)")
    set_key.set_defaults(handler=Handler("cli_handlers", "run_set_key"))
    set_key.add_argument("--config", type=Path, default=argparse.SUPPRESS)


def _many_job_parsers(sub: Any) -> None:
    """export, track and batch (run by seedance_tui.cli_many)."""
    export = sub.add_parser("export", help="write every stored job (every field) as CSV, JSON or JSON Lines")
    export.set_defaults(handler=Handler("cli_many", "run_export"))
    _common_options(export, suppress=True)
    export.add_argument("--format", choices=("csv", "json", "jsonl"), default="csv")
    export.add_argument("--status", action="append", choices=[str(s) for s in JobStatus], default=[])
    export.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    track = sub.add_parser("track", help="follow request ids created elsewhere (looked up, then stored)")
    track.set_defaults(handler=Handler("cli_many", "run_track"))
    _common_options(track, suppress=True)
    track.add_argument("ids", nargs="+", metavar="REQUEST_ID")
    track.add_argument("--json", action="store_true")

    batch = sub.add_parser("batch", help="submit every job of a JSON Lines or CSV file (- for stdin)")
    batch.set_defaults(handler=Handler("cli_many", "run_batch"))
    _common_options(batch, suppress=True)
    batch.add_argument("file", metavar="FILE")
    batch.add_argument(
        "--matrix", action="append", default=[], metavar="FIELD=V1,V2", help="send each line once per value"
    )
    batch.add_argument("--dry-run", action="store_true", help="print the plan and its credits; send nothing")
    batch.add_argument("--yes", action="store_true", help="send without asking")
    batch.add_argument("--json", action="store_true")
    batch.add_argument(
        "--resend-uncertain",
        action="store_true",
        help="send again jobs whose earlier outcome is unknown (they may be paid twice)",
    )
    batch.add_argument("--concurrency", type=int, default=4, help="POSTs in flight at once (1-16)")


def parse(parser: argparse.ArgumentParser, arguments: list[str]) -> argparse.Namespace:
    """Parse the command line; an unknown option is reported with its own subcommand's usage."""
    args, extra = parser.parse_known_args(arguments)
    if extra:
        owner = _subcommands(parser).get(args.command or "", parser)
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}
