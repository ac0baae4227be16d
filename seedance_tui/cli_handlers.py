"""The command line's handlers: one function per command, each set on its parser (``handler``).

Each handler takes the parsed arguments and returns the exit code; errors are raised (UsageError,
ConfigError, StoreError, ...) and reported by ``seedance_tui.cli.main`` in the command's format.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from seedance_tui import commands
from seedance_tui.config import ConfigError, Settings, default_config_path, load_settings, mask_key
from seedance_tui.config_fields import FIELDS
from seedance_tui.config_file import write_api_key
from seedance_tui.models import GenerationRequest, parse_metadata
from seedance_tui.query import parse_query
from seedance_tui.read_only import check_writable
from seedance_tui.service import JobService
from seedance_tui.store import JobStore, StoreCorruptError
from seedance_tui.store.backend import Store
from seedance_tui.store.history import read_everything
from seedance_tui.store.location import parse_store_url
from seedance_tui.store.opening import open_store_url

NO_KEY_MESSAGE = (
    "No API key. Set SEEDANCE_API_KEY, or save one with `seedance-tui set-key`, "
    "or try the dashboard without a key: seedance-tui --demo"
)

#: What a handler does with the parsed command line: the exit code.
Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad command-line input: message for the user, exit code 2."""


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The settings: config file < environment (or profile) < the flags of config_fields.FIELDS."""
    if args.db is not None and args.store is not None:
        raise UsageError("Give either --db PATH or --store URL, not both.")
    overrides = {field.name: field.flag_value(getattr(args, field.dest)) for field in FIELDS if field.flag}
    settings = load_settings(config_path=args.config, overrides=overrides, profile=args.profile)
    for warning in settings.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    return settings


def open_store(settings: Settings, *, recover: bool) -> Store:
    """Open the job store; a corrupt one is only moved aside when the user asked for it."""
    location = parse_store_url(settings.store or settings.db_path)
    if location.path is None:
        return open_store_url(location, api_key=settings.api_key, recent_days=settings.archive_after_days)
    path = location.path
    try:
        return JobStore.open(path)
    except StoreCorruptError as exc:
        if not recover:
            raise
        moved = JobStore.quarantine(exc.store, exc.path)
        sys.stderr.write(f"The corrupt job store was kept as {moved}; starting a new one.\n")
        return JobStore.open(path)


def missing_store_file(settings: Settings) -> Path | None:
    """The store file when the store is a file that does not exist yet (a database always exists)."""
    path = parse_store_url(settings.store or settings.db_path).path
    if path is None or path.exists() or path.with_name(path.name + ".journal").exists():
        return None  # a journal without its file is damage, which opening the store reports
    return path


def no_store_message(path: Path) -> str:
    return f"No job store at {path} yet (the dashboard or `submit` creates it)."


def close_store(store: Store) -> None:
    """Close the store, then say on stderr whatever it set aside or could not replay."""
    try:
        store.close()
    finally:
        commands.report_store_notices(store.notices, sys.stderr)


def _warn_unreadable(store: Store) -> None:
    if store.skipped_documents:
        sys.stderr.write(
            f"warning: {store.skipped_documents} job record(s) in {store.location} could not be read "
            "by this version; they are kept untouched.\n"
        )


def _trusted(store: Store, code: int) -> int:
    """A read command's (jobs, status) code: 1 when jobs may be missing from the store, which a
    script must not trust; commands that send something keep their own code."""
    return commands.EXIT_REMOTE if store.jobs_may_be_missing and code == commands.EXIT_OK else code


def with_service(
    args: argparse.Namespace,
    settings: Settings,
    action: Callable[[JobService], Awaitable[int]],
    *,
    creates_store: bool = False,
    needs_key: bool = True,
) -> tuple[Store, int]:
    """Open the store (a read must not create one: a mistyped --db would leave files behind), run
    ``action`` on a service over it, close both; returns the store (for its notices) and the code."""
    missing = missing_store_file(settings)
    if not creates_store and missing is not None:
        raise UsageError(no_store_message(missing))
    store = open_store(settings, recover=args.recover_db)
    try:
        _warn_unreadable(store)
        if needs_key and not settings.api_key:
            raise ConfigError(NO_KEY_MESSAGE)

        async def run() -> int:
            service = JobService.from_settings(settings, store)
            try:
                return await action(service)
            finally:
                await service.close()

        return store, asyncio.run(run())
    finally:
        close_store(store)


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


def run_submit(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    check_writable(settings, "`seedance-tui submit`")
    request = _request_from_args(args)
    _, code = with_service(
        args,
        settings,
        lambda service: commands.submit(service, request, as_json=args.json, out=sys.stdout),
        creates_store=True,
    )
    return code


def run_status(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    store, code = with_service(
        args, settings, lambda service: commands.status(service, args.id, as_json=args.json, out=sys.stdout)
    )
    return _trusted(store, code)


def run_cancel(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    check_writable(settings, "`seedance-tui cancel`")
    _, code = with_service(
        args, settings, lambda service: commands.cancel(service, args.id, as_json=args.json, out=sys.stdout)
    )
    return code


def run_jobs(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    query = parse_query(args.query, time.time())
    missing = missing_store_file(settings)
    if missing is not None:
        sys.stderr.write(no_store_message(missing) + "\n")
        return commands.list_jobs([], statuses=args.status, as_json=args.json, out=sys.stdout)
    store = open_store(settings, recover=args.recover_db)
    try:
        _warn_unreadable(store)
        every, notices = read_everything(store.all(), store.history())
        commands.report_store_notices(notices, sys.stderr)
        listed = [job for job in every if query.matches(job)]
        code = commands.list_jobs(listed, statuses=args.status, as_json=args.json, out=sys.stdout)
        if code == commands.EXIT_OK and any(notice.jobs_may_be_missing for notice in notices):
            code = commands.EXIT_REMOTE  # the answer may be incomplete: a script must not trust it
    finally:
        close_store(store)
    return _trusted(store, code)


def run_keys(args: argparse.Namespace) -> int:
    from seedance_tui.ui.keys_command import print_keys

    return print_keys(settings_from_args(args), as_json=args.json)


def run_store(args: argparse.Namespace) -> int:
    from seedance_tui.store_cli import run_store_command

    return run_store_command(args, settings_from_args(args))


def run_set_key(args: argparse.Namespace) -> int:
    path = args.config or default_config_path()
    key = sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass("API key: ").strip()
    if not key:
        raise UsageError("No key given.")
    write_api_key(path, key)
    print(f"Saved key {mask_key(key)} to {path} (mode 0600).")
    return 0
