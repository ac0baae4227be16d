"""Command line: parse arguments, build settings, store, client and service; run the app or a command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, NoReturn

from seedance_tui import commands
from seedance_tui.config import (
    DEMO_API_KEY,
    ConfigError,
    Settings,
    default_config_path,
    load_settings,
    mask_key,
    write_api_key,
)
from seedance_tui.models import (
    ASPECT_RATIOS,
    MODELS,
    RESOLUTIONS,
    GenerationRequest,
    JobStatus,
    ValidationError,
    _durations_text,
    allowed_durations,
    parse_metadata,
)
from seedance_tui.store import JobStore, StoreCorruptError, StoreError

NO_KEY_MESSAGE = (
    "No API key. Set SEEDANCE_API_KEY, or save one with `seedance-tui set-key`, "
    "or try the dashboard without a key: seedance-tui --demo"
)


NO_TERMINAL_MESSAGE = (
    "The dashboard needs a terminal: standard input and output must both be one. "
    "Scripts use the commands instead (seedance-tui jobs, submit, status, cancel; see --help)."
)
#: The exit code of a process killed by SIGPIPE, as a shell reports it (what `yes | head` gives).
EXIT_BROKEN_PIPE = 128 + 13


class UsageError(Exception):
    """Bad command-line input: message for the user, exit code 2."""


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


def _common_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", type=Path, default=default, help="job store file (env SEEDANCE_TUI_DB)")
    parser.add_argument("--base-url", default=default, help="API base URL (env SEEDANCE_BASE_URL)")
    parser.add_argument("--config", type=Path, default=default, help="config file (env SEEDANCE_CONFIG)")
    parser.add_argument(
        "--recover-db",
        action="store_true",
        default=default if suppress else False,
        help="if the job store is corrupt, move it aside (kept) and start a new one",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="seedance-tui", description="Terminal dashboard and CLI for the Seedance 2.0 video API."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('seedance-tui')}")
    _common_options(parser, suppress=False)
    parser.add_argument("--demo", action="store_true", help="run against the embedded simulator (no key)")
    parser.add_argument(
        "--demo-failure-rate", type=float, default=0.15, metavar="RATE", help="share of demo jobs that fail"
    )
    parser.add_argument(
        "--demo-speed", type=float, default=1.0, metavar="X", help="demo jobs run X times faster"
    )
    parser.add_argument("--no-mouse", action="store_true", help="leave the mouse to the terminal")
    parser.add_argument("--download-dir", type=Path, help="where downloaded videos go")
    parser.add_argument("--rps", type=float, help="poll budget: requests per second")
    parser.add_argument("--concurrency", type=int, help="poll budget: requests in flight")
    parser.add_argument(
        "--webhook-listen",
        metavar="HOST:PORT",
        help="receive the API's webhooks here (with --webhook-public-url)",
    )
    parser.add_argument(
        "--webhook-public-url", metavar="URL", help="base URL at which the API reaches --webhook-listen"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    submit = sub.add_parser("submit", help="submit a generation and print its request id")
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
    durations = "; ".join(f"{model}: {_durations_text(allowed_durations(model))}" for model in MODELS)
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
    _common_options(jobs, suppress=True)
    jobs.add_argument("--status", action="append", choices=[str(s) for s in JobStatus], default=[])
    jobs.add_argument("--json", action="store_true", help="print the jobs as JSON")

    for name, text in (("status", "ask the API about a job and store it"), ("cancel", "cancel a job")):
        cmd = sub.add_parser(name, help=text)
        _common_options(cmd, suppress=True)
        cmd.add_argument("id", help="request id, local id, or a unique prefix")
        cmd.add_argument("--json", action="store_true", help="print the job, or the error, as JSON")

    sim = sub.add_parser("sim", help="run the API simulator standalone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8787)
    from seedance_tui.sim.config import add_sim_arguments

    add_sim_arguments(sim)

    set_key = sub.add_parser("set-key", help="save the API key in the config file (mode 0600)")
    set_key.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "base_url": getattr(args, "base_url", None),
        "db_path": getattr(args, "db", None),
        "download_dir": getattr(args, "download_dir", None),
        "requests_per_second": getattr(args, "rps", None),
        "concurrency": getattr(args, "concurrency", None),
        "mouse": False if getattr(args, "no_mouse", False) else None,
    }
    return load_settings(config_path=getattr(args, "config", None), overrides=overrides)


def open_store(path: Path, *, recover: bool) -> JobStore:
    """Open the job store; a corrupt one is only moved aside when the user asked for it."""
    try:
        return JobStore.open(path)
    except StoreCorruptError as exc:
        if not recover:
            raise
        moved = JobStore.quarantine(exc.store, exc.path)
        sys.stderr.write(f"The corrupt job store was kept as {moved}; starting a new one.\n")
        return JobStore.open(path)


def _request_from_args(args: argparse.Namespace) -> GenerationRequest:
    request = GenerationRequest(
        model=args.model,
        prompt=args.prompt,
        aspect_ratio=args.aspect_ratio,
        duration=args.duration,
        resolution=args.resolution,
        webhook_url=args.webhook_url,
        metadata=parse_metadata(args.metadata) if args.metadata is not None else None,
        media_urls=args.media_urls,
    )
    request.validate()
    return request


def _run_command(args: argparse.Namespace, settings: Settings) -> int:
    from seedance_tui.service import JobService

    request = _request_from_args(args) if args.command == "submit" else None
    if args.command != "submit" and not settings.db_path.exists():
        # Reading must not create a store: a mistyped --db would otherwise leave files behind.
        return _no_store_yet(args, settings.db_path)
    store = open_store(settings.db_path, recover=bool(getattr(args, "recover_db", False)))
    try:
        if store.skipped_documents:
            sys.stderr.write(
                f"warning: {store.skipped_documents} job record(s) in {store.path} could not be read "
                "by this version; they are kept untouched.\n"
            )
        if args.command == "jobs":
            return commands.list_jobs(store.all(), statuses=args.status, as_json=args.json, out=sys.stdout)
        if not settings.api_key:
            raise ConfigError(NO_KEY_MESSAGE)

        async def run() -> int:
            service = JobService.from_settings(settings, store)
            try:
                if request is not None:
                    return await commands.submit(service, request, as_json=args.json, out=sys.stdout)
                if args.command == "status":
                    return await commands.status(service, args.id, as_json=args.json, out=sys.stdout)
                return await commands.cancel(service, args.id, as_json=args.json, out=sys.stdout)
            finally:
                await service.close()

        return asyncio.run(run())
    finally:
        store.close()


def _no_store_yet(args: argparse.Namespace, path: Path) -> int:
    """Answer a read command on a store that does not exist: an empty list, or no such job."""
    message = f"No job store at {path} yet (the dashboard or `submit` creates it)."
    if args.command == "jobs":
        sys.stderr.write(message + "\n")
        return commands.list_jobs([], statuses=args.status, as_json=args.json, out=sys.stdout)
    raise UsageError(message)


def has_terminal() -> bool:
    """True when standard input and output are both a terminal (the dashboard reads keys, draws screens)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _run_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    from seedance_tui.webhooks import plan_from_flags

    try:
        webhooks = plan_from_flags(args.webhook_listen, args.webhook_public_url, settings.config_path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sim = None
    demo_state: Path | None = None
    if args.demo:
        from seedance_tui.sim.config import SimConfig
        from seedance_tui.sim.demo import start_demo, state_path

        # The simulator shares the terminal with the dashboard: it must never print.
        try:
            demo = SimConfig(failure_rate=args.demo_failure_rate, speed=args.demo_speed)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if args.db is not None:
            # The demo's tasks live beside the store, so a restarted demo still follows its jobs.
            demo_state = state_path(settings.db_path)
    elif not settings.api_key:
        raise ConfigError(NO_KEY_MESSAGE)
    # Checked here, in the terminal entry only: a dashboard served to a browser runs on pipes.
    if not has_terminal():
        raise UsageError(NO_TERMINAL_MESSAGE)
    if args.demo:
        if args.db is None:
            settings.db_path = Path(tempfile.mkdtemp(prefix="seedance-demo-")) / "jobs.json"
        sim = start_demo(demo, demo_state)
        settings.base_url = sim.url
        settings.api_key = DEMO_API_KEY
        settings.demo = True
    try:
        from seedance_tui.ui.launch import run_dashboard

        store = open_store(settings.db_path, recover=args.recover_db)
        notices: list[str] = []
        if sim is not None:
            from seedance_tui.sim.demo import lost_jobs_message

            lost = lost_jobs_message(sim.server, store.all())
            notices = [lost] if lost else []
        return run_dashboard(settings, store, webhooks, notices)
    finally:
        if sim is not None:
            sim.stop()


def _set_key(args: argparse.Namespace) -> int:
    path = getattr(args, "config", None) or default_config_path()
    key = sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass("API key: ").strip()
    if not key:
        raise UsageError("No key given.")
    write_api_key(path, key)
    print(f"Saved key {mask_key(key)} to {path} (mode 0600).")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``seedance-tui`` command; returns the exit code."""
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parse(parser, arguments)
    except ArgumentsError as exc:
        return _arguments_error(exc, as_json="--json" in arguments)
    try:
        if args.command == "sim":
            from seedance_tui.sim.config import sim_config_from_args
            from seedance_tui.sim.server import serve_forever

            try:
                sim_config = sim_config_from_args(args)
            except ValueError as exc:
                parser.error(str(exc))
            serve_forever(sim_config, args.host, args.port)
            return 0
        if args.command == "set-key":
            return _set_key(args)
        settings = _settings(args)
        if args.command is None:
            return _run_dashboard(args, settings)
        code = _run_command(args, settings)
        sys.stdout.flush()  # a reader that left early is noticed here, not at interpreter exit
        return code
    except ValidationError as exc:
        return _fail(args, str(exc), [str(err) for err in exc.errors], fields=exc.errors)
    except (ConfigError, UsageError, StoreError) as exc:  # a corrupt store's message names --recover-db
        return _fail(args, str(exc))
    except BrokenPipeError:
        # The reader (say `head`) has all it wanted: stop quietly, as other Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say it in one line, never a traceback
        return _fail(args, f"unexpected {type(exc).__name__}: {exc}", code=commands.EXIT_REMOTE)


def _parse(parser: argparse.ArgumentParser, arguments: list[str]) -> argparse.Namespace:
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


def _arguments_error(exc: ArgumentsError, *, as_json: bool) -> int:
    if as_json:
        sys.stdout.write(
            json.dumps({"error": exc.message, "usage": exc.parser.format_usage().strip()}) + "\n"
        )
    else:
        exc.parser.print_usage(sys.stderr)
        sys.stderr.write(f"{exc.parser.prog}: error: {exc.message}\n")
    return commands.EXIT_USAGE


def _fail(
    args: argparse.Namespace,
    message: str,
    lines: list[str] | None = None,
    *,
    fields: Sequence[Any] = (),
    code: int = commands.EXIT_USAGE,
) -> int:
    """Report an error: JSON on standard output under --json, else ``error:`` lines on standard error."""
    if getattr(args, "json", False):
        payload: dict[str, Any] = {"error": message}
        if fields:
            payload["fields"] = [{"field": f.field, "message": f.message} for f in fields]
        sys.stdout.write(json.dumps(payload) + "\n")
    else:
        for line in lines or [message]:
            sys.stderr.write(f"error: {line}\n")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
