"""The command line's handlers for many jobs at once: export, track and batch.

Everything is checked before the store is opened or a request is sent.
"""

from __future__ import annotations

import argparse
import sys

from seedance_tui import commands
from seedance_tui import many_commands as many
from seedance_tui.cli_handlers import (
    UsageError,
    close_store,
    missing_store_file,
    no_store_message,
    open_store,
    settings_from_args,
    with_service,
)
from seedance_tui.read_only import check_writable


def run_export(args: argparse.Namespace) -> int:
    from seedance_tui.export import export_to_file, select
    from seedance_tui.store.history import read_everything

    settings = settings_from_args(args)
    missing = missing_store_file(settings)
    if missing is not None:
        raise UsageError(no_store_message(missing))
    store = open_store(settings, recover=args.recover_db)
    try:
        every, notices = read_everything(store.all(), store.history())
        commands.report_store_notices(notices, sys.stderr)
        jobs = select(every, args.status)
        if args.output is None:
            return many.export(jobs, fmt=args.format, out=sys.stdout)
        try:
            count = export_to_file(jobs, args.format, args.output)
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot be written ({exc.strerror or exc})") from None
        sys.stderr.write(f"Wrote {count:,} job(s) to {args.output}.\n")
        return commands.EXIT_OK
    finally:
        close_store(store)


def run_track(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    problems = many.check_track_ids(args.ids)
    if problems:
        raise UsageError("; ".join(problems))
    _, code = with_service(
        args,
        settings,
        lambda service: many.track_ids(service, args.ids, as_json=args.json, out=sys.stdout),
        creates_store=True,
    )
    return code


def run_batch(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
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
    _, code = with_service(
        args,
        settings,
        lambda service: many.run_batch(
            service, plan, options, out=sys.stdout, err=sys.stderr, confirm=many.terminal_confirm
        ),
        creates_store=True,
        needs_key=not args.dry_run,
    )
    return code
