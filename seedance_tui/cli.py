"""Command line: parse arguments, build settings, store, client and service; run the app or a command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import tempfile
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

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
from seedance_tui.models import MODELS, GenerationRequest, JobStatus, ValidationError, parse_metadata
from seedance_tui.store import JobStore, StoreCorruptError, StoreError
from seedance_tui.store.backend import Store
from seedance_tui.store.location import parse_store_url
from seedance_tui.store.opening import open_store_url

NO_KEY_MESSAGE = (
    "No API key. Set SEEDANCE_API_KEY, or save one with `seedance-tui set-key`, "
    "or try the dashboard without a key: seedance-tui --demo"
)


class UsageError(Exception):
    """Bad command-line input: message for the user, exit code 2."""


def _common_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", type=Path, default=default, help="job store file (env SEEDANCE_TUI_DB)")
    parser.add_argument(
        "--store", metavar="URL", default=default, help="job store URL: a path, tinydb:///path or "
        "postgresql://user@host/db (env SEEDANCE_TUI_STORE)",
    )  # fmt: skip
    parser.add_argument("--base-url", default=default, help="API base URL (env SEEDANCE_BASE_URL)")
    parser.add_argument("--config", type=Path, default=default, help="config file (env SEEDANCE_CONFIG)")
    parser.add_argument(
        "--recover-db",
        action="store_true",
        default=default if suppress else False,
        help="if the job store is corrupt, move it aside (kept) and start a new one",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    submit.add_argument("--model", required=True, help=f"one of {', '.join(MODELS)}")
    submit.add_argument("--prompt", required=True)
    submit.add_argument("--aspect-ratio")
    submit.add_argument("--duration", type=int)
    submit.add_argument("--resolution")
    submit.add_argument("--webhook-url")
    submit.add_argument("--metadata", help="a JSON object")
    submit.add_argument("--media-url", action="append", dest="media_urls", help="reference image URL")
    submit.add_argument("--json", action="store_true")

    jobs = sub.add_parser("jobs", help="list stored jobs")
    _common_options(jobs, suppress=True)
    jobs.add_argument("--status", action="append", choices=[str(s) for s in JobStatus], default=[])
    jobs.add_argument("--json", action="store_true")

    for name, text in (("status", "ask the API about a job and store it"), ("cancel", "cancel a job")):
        cmd = sub.add_parser(name, help=text)
        _common_options(cmd, suppress=True)
        cmd.add_argument("id", help="request id, local id, or a unique prefix")
        cmd.add_argument("--json", action="store_true")

    sim = sub.add_parser("sim", help="run the API simulator standalone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8787)
    from seedance_tui.sim.config import add_sim_arguments

    add_sim_arguments(sim)

    from seedance_tui.store_cli import add_store_commands

    add_store_commands(sub, lambda cmd: _common_options(cmd, suppress=True))

    set_key = sub.add_parser("set-key", help="save the API key in the config file (mode 0600)")
    set_key.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "db", None) is not None and getattr(args, "store", None) is not None:
        raise UsageError("Give either --db PATH or --store URL, not both.")
    overrides = {
        "store": getattr(args, "store", None),
        "base_url": getattr(args, "base_url", None),
        "db_path": getattr(args, "db", None),
        "download_dir": getattr(args, "download_dir", None),
        "requests_per_second": getattr(args, "rps", None),
        "concurrency": getattr(args, "concurrency", None),
        "mouse": False if getattr(args, "no_mouse", False) else None,
    }
    return load_settings(config_path=getattr(args, "config", None), overrides=overrides)


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
    store = open_store(settings, recover=bool(getattr(args, "recover_db", False)))
    try:
        if store.skipped_documents:
            sys.stderr.write(
                f"warning: {store.skipped_documents} job record(s) in {store.location} could not be read "
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


def _run_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    from seedance_tui.webhooks import plan_from_flags

    try:
        webhooks = plan_from_flags(args.webhook_listen, args.webhook_public_url, settings.config_path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sim = None
    if args.demo:
        from seedance_tui.sim.config import SimConfig
        from seedance_tui.sim.server import SimulatorServer

        # The simulator shares the terminal with the dashboard: it must never print.
        try:
            demo = SimConfig(failure_rate=args.demo_failure_rate, speed=args.demo_speed)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        sim = SimulatorServer(demo, log_level="critical")
        settings.base_url = sim.start()
        settings.api_key = DEMO_API_KEY
        settings.demo = True
        if args.db is None and settings.store is None:
            settings.db_path = Path(tempfile.mkdtemp(prefix="seedance-demo-")) / "jobs.json"
    elif not settings.api_key:
        raise ConfigError(NO_KEY_MESSAGE)
    try:
        from seedance_tui.ui.launch import run_dashboard

        store = open_store(settings, recover=args.recover_db)
        return run_dashboard(settings, store, webhooks)
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
    args = parser.parse_args(argv)
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
        if args.command == "store":
            from seedance_tui.store_cli import run_store_command

            return run_store_command(args, settings)
        return _run_command(args, settings)
    except ValidationError as exc:
        for err in exc.errors:
            sys.stderr.write(f"error: {err}\n")
        return commands.EXIT_USAGE
    except (ConfigError, UsageError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return commands.EXIT_USAGE
    except StoreCorruptError as exc:
        sys.stderr.write(
            f"error: {exc}\nRun again with --recover-db to keep it aside and start a new store.\n"
        )
        return commands.EXIT_USAGE
    except StoreError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return commands.EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say it in one line, never a traceback
        sys.stderr.write(f"error: unexpected {type(exc).__name__}: {exc}\n")
        return commands.EXIT_REMOTE


if __name__ == "__main__":
    raise SystemExit(main())
