"""Command line: parse arguments, build settings, store, client and service; run the app or a command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
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
)
from seedance_tui.config_fields import FIELDS, FlagPlace, flag_help
from seedance_tui.config_file import write_api_key
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
from seedance_tui.query import Query, QueryError, parse_query
from seedance_tui.read_only import ReadOnlyError, check_writable
from seedance_tui.store import JobStore, StoreCorruptError, StoreError
from seedance_tui.store.backend import Store
from seedance_tui.store.location import parse_store_url
from seedance_tui.store.opening import open_store_url

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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="seedance-tui", description="Terminal dashboard and CLI for the Seedance 2.0 video API."
    )
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
    jobs.add_argument(
        "query", nargs="?", default="", help='a search query, e.g. "status:failed model:2.0 age:<1d"'
    )
    jobs.add_argument("--status", action="append", choices=[str(s) for s in JobStatus], default=[])
    jobs.add_argument("--json", action="store_true", help="print the jobs as JSON")

    for name, text in (("status", "ask the API about a job and store it"), ("cancel", "cancel a job")):
        cmd = sub.add_parser(name, help=text)
        _common_options(cmd, suppress=True)
        cmd.add_argument("id", help="request id, local id, or a unique prefix")
        cmd.add_argument("--json", action="store_true", help="print the job, or the error, as JSON")

    _many_job_parsers(sub)
    keys = sub.add_parser("keys", help="list every action id, its screen, keys in force and description")
    keys.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    keys.add_argument("--json", action="store_true")

    sim = sub.add_parser("sim", help="run the API simulator standalone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8787)
    from seedance_tui.sim.config import add_sim_arguments

    add_sim_arguments(sim)

    serve = sub.add_parser("serve", help="serve the dashboard to web browsers (tabs follow the one poller)")
    _common_options(serve, suppress=True)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000)
    from seedance_tui.store_cli import add_store_commands

    add_store_commands(sub, lambda cmd: _common_options(cmd, suppress=True))

    set_key = sub.add_parser("set-key", help="save the API key in the config file (mode 0600)")
    set_key.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    return parser


def _many_job_parsers(sub: Any) -> None:
    """export, track and batch (run by seedance_tui.many_commands)."""
    export = sub.add_parser("export", help="write every stored job (every field) as CSV, JSON or JSON Lines")
    _common_options(export, suppress=True)
    export.add_argument("--format", choices=("csv", "json", "jsonl"), default="csv")
    export.add_argument("--status", action="append", choices=[str(s) for s in JobStatus], default=[])
    export.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    track = sub.add_parser("track", help="follow request ids created elsewhere (looked up, then stored)")
    _common_options(track, suppress=True)
    track.add_argument("ids", nargs="+", metavar="REQUEST_ID")
    track.add_argument("--json", action="store_true")

    batch = sub.add_parser("batch", help="submit every job of a JSON Lines or CSV file (- for stdin)")
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


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "db", None) is not None and getattr(args, "store", None) is not None:
        raise UsageError("Give either --db PATH or --store URL, not both.")
    overrides = {field.name: field.flag_value(getattr(args, field.dest)) for field in FIELDS if field.flag}
    settings = load_settings(
        config_path=getattr(args, "config", None), overrides=overrides, profile=getattr(args, "profile", None)
    )
    for warning in settings.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    return settings


def open_store(settings: Settings, *, recover: bool) -> Store:
    """Open the job store; a corrupt one is only moved aside when the user asked for it."""
    location = parse_store_url(settings.store or settings.db_path)
    if location.path is None:
        return open_store_url(location, api_key=settings.api_key)
    path = location.path
    try:
        return JobStore.open(path)
    except StoreCorruptError as exc:
        if not recover:
            raise
        moved = JobStore.quarantine(exc.store, exc.path)
        sys.stderr.write(f"The corrupt job store was kept as {moved}; starting a new one.\n")
        return JobStore.open(path)


def _missing_store_file(settings: Settings) -> Path | None:
    """The store file when the store is a file that does not exist yet (a database always exists)."""
    path = parse_store_url(settings.store or settings.db_path).path
    return path if path is not None and not path.exists() else None


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
    if args.command in ("export", "track", "batch"):
        return _run_many(args, settings)
    if args.command in ("submit", "cancel"):
        check_writable(settings, f"`seedance-tui {args.command}`")
    request = _request_from_args(args) if args.command == "submit" else None
    query = parse_query(args.query, time.time()) if args.command == "jobs" else None
    missing = _missing_store_file(settings)
    if args.command != "submit" and missing is not None:
        # Reading must not create a store: a mistyped --db would otherwise leave files behind.
        return _no_store_yet(args, missing)
    store = open_store(settings, recover=bool(getattr(args, "recover_db", False)))
    try:
        code = _run_on_store(args, settings, store, request, query)
    finally:
        _close_store(store)
    if args.command in commands.READ_COMMANDS and store.jobs_may_be_missing and code == commands.EXIT_OK:
        return commands.EXIT_REMOTE  # the answer may be incomplete: a script must not trust it
    return code


def _run_on_store(
    args: argparse.Namespace,
    settings: Settings,
    store: Store,
    request: GenerationRequest | None,
    query: Query | None,
) -> int:
    from seedance_tui.service import JobService

    if store.skipped_documents:
        sys.stderr.write(
            f"warning: {store.skipped_documents} job record(s) in {store.location} could not be read "
            "by this version; they are kept untouched.\n"
        )
    if query is not None:
        listed = [job for job in store.all() if query.matches(job)]
        return commands.list_jobs(listed, statuses=args.status, as_json=args.json, out=sys.stdout)
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


def _run_many(args: argparse.Namespace, settings: Settings) -> int:
    """export, track and batch: everything is checked before the store is opened or a request sent."""
    from seedance_tui import many_commands as many
    from seedance_tui.service import JobService

    plan, options = None, None
    if args.command == "track":
        problems = many.check_track_ids(args.ids)
        if problems:
            raise UsageError("; ".join(problems))
    if args.command == "batch":
        if not 1 <= args.concurrency <= 16:
            raise UsageError("--concurrency must be 1-16")
        options = many.BatchOptions(
            args.file, args.matrix, args.dry_run, args.yes, args.json, args.resend_uncertain, args.concurrency
        )
        plan = many.load_plan(options, sys.stderr)
        if plan is None:
            return commands.EXIT_USAGE
        if not (args.dry_run or args.yes or sys.stdin.isatty()):
            raise UsageError("no terminal to confirm on: pass --yes to send, or --dry-run to see the plan")
        if not args.dry_run:
            check_writable(settings, "`seedance-tui batch` (except --dry-run)")
    missing = _missing_store_file(settings)
    if args.command == "export" and missing is not None:
        return _no_store_yet(args, missing)
    store = open_store(settings, recover=bool(getattr(args, "recover_db", False)))
    try:
        if args.command == "export":
            from seedance_tui.export import export_to_file, select

            jobs = select(store.all(), args.status)
            if args.output is None:
                return many.export(jobs, fmt=args.format, out=sys.stdout)
            try:
                count = export_to_file(jobs, args.format, args.output)
            except OSError as exc:
                raise UsageError(f"{args.output}: cannot be written ({exc.strerror or exc})") from None
            sys.stderr.write(f"Wrote {count:,} job(s) to {args.output}.\n")
            return commands.EXIT_OK
        if not settings.api_key and not (options is not None and options.dry_run):
            raise ConfigError(NO_KEY_MESSAGE)

        async def run() -> int:
            service = JobService.from_settings(settings, store)
            try:
                if plan is not None and options is not None:
                    return await many.run_batch(
                        service, plan, options, out=sys.stdout, err=sys.stderr, confirm=many.terminal_confirm
                    )
                return await many.track_ids(service, args.ids, as_json=args.json, out=sys.stdout)
            finally:
                await service.close()

        return asyncio.run(run())
    finally:
        _close_store(store)


def _close_store(store: Store) -> None:
    """Close the store, then say on stderr whatever it set aside or could not replay."""
    try:
        store.close()
    finally:
        commands.report_store_notices(store.notices, sys.stderr)


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
        if args.db is not None and settings.store is None:
            # The demo's tasks live beside the store, so a restarted demo still follows its jobs.
            demo_state = state_path(settings.db_path)
    elif not settings.api_key:
        raise ConfigError(NO_KEY_MESSAGE)
    # Checked here, in the terminal entry only: a dashboard served to a browser runs on pipes.
    if not has_terminal():
        raise UsageError(NO_TERMINAL_MESSAGE)
    if args.demo:
        if args.db is None and settings.store is None:
            settings.db_path = Path(tempfile.mkdtemp(prefix="seedance-demo-")) / "jobs.json"
        sim = start_demo(demo, demo_state)
        settings.base_url = sim.url
        settings.api_key = DEMO_API_KEY
        settings.demo = True
    try:
        from seedance_tui.launch import run_dashboard

        store = open_store(settings, recover=args.recover_db)
        notices: list[str] = []
        if sim is not None:
            from seedance_tui.sim.demo import lost_jobs_message

            lost = lost_jobs_message(sim.server, store.all())
            notices = [lost] if lost else []
        return run_dashboard(settings, store, webhooks, notices)
    finally:
        if sim is not None:
            sim.stop()


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from seedance_tui.web_serve import serve

    if args.demo:
        from seedance_tui.sim.config import SimConfig
        from seedance_tui.sim.server import SimulatorServer

        sim = SimulatorServer(SimConfig(failure_rate=args.demo_failure_rate, speed=args.demo_speed))
        settings.base_url, settings.api_key = sim.start(), DEMO_API_KEY
        if args.db is None:
            settings.db_path = Path(tempfile.mkdtemp(prefix="seedance-demo-")) / "jobs.json"
        try:
            return serve(args, settings)
        finally:
            sim.stop()
    if not settings.api_key:
        raise ConfigError(NO_KEY_MESSAGE)
    return serve(args, settings)


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
        if args.command == "keys":
            from seedance_tui.ui.keys_command import print_keys

            return print_keys(settings, as_json=args.json)
        if args.command is None:
            return _run_dashboard(args, settings)
        if args.command == "serve":
            return _serve(args, settings)
        if args.command == "store":
            from seedance_tui.store_cli import run_store_command

            return run_store_command(args, settings)
        code = _run_command(args, settings)
        sys.stdout.flush()  # a reader that left early is noticed here, not at interpreter exit
        return code
    except ValidationError as exc:
        return _fail(args, str(exc), [str(err) for err in exc.errors], fields=exc.errors)
    except (
        ConfigError,
        UsageError,
        ReadOnlyError,
        QueryError,
        StoreError,
    ) as exc:  # a corrupt store's message names --recover-db
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
