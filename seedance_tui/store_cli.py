"""The ``store`` commands: create or upgrade a database's schema, copy jobs between stores."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from seedance_tui.config import Settings
from seedance_tui.store.history import every_document
from seedance_tui.store.location import parse_store_url
from seedance_tui.store.opening import open_store_url


def add_store_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``store migrate`` and ``store copy FROM TO`` to the command line's subcommands."""
    store = sub.add_parser("store", help="create or upgrade the store's schema; copy jobs between stores")
    actions = store.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    migrate = actions.add_parser("migrate", help="create or upgrade the schema of the --store database")
    common(migrate)
    copy = actions.add_parser(
        "copy",
        help="copy every job from one store to another, archived ones included; between two databases, "
        "every account's (lossless; running it twice changes nothing)",
    )
    common(copy)
    copy.add_argument("source", metavar="FROM", help="a path, tinydb:///path or postgresql://... URL")
    copy.add_argument("target", metavar="TO", help="a path, tinydb:///path or postgresql://... URL")


def _say(message: str) -> None:
    sys.stdout.write(message + "\n")


def run_store_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``store migrate`` or ``store copy``; StoreError reaches the caller's handler."""
    if args.store_command == "migrate":
        location = parse_store_url(settings.store or settings.db_path)
        if location.conninfo is None:
            _say(f"{location} is a tinydb file store: it has no schema to migrate.")
            return 0
        from seedance_tui.store.postgres import PostgresJobStore

        before, now = PostgresJobStore.migrate_only(location.conninfo, notice=_say)
        if before == now:
            _say(f"The job store at {location} is at schema version {now}: nothing to do.")
        else:
            _say(f"The job store at {location} is now at schema version {now} (was {before or 'empty'}).")
        return 0
    return _copy(args.source, args.target, settings.api_key)


def _copy(source_url: str, target_url: str, api_key: str | None) -> int:
    """Copy every job: between two databases every account's; otherwise the key's account's (a
    tinydb file has no accounts), archived jobs included."""
    source_location, target_location = parse_store_url(source_url), parse_store_url(target_url)
    if source_location.conninfo is not None and target_location.conninfo is not None:
        from seedance_tui.store.postgres.copy import copy_accounts

        result = copy_accounts(source_location.conninfo, target_location.conninfo, _say)
        _say(
            f"Copied {result.read} job(s) of {result.accounts} account(s) from {source_location} to "
            f"{target_location}: {result.written} written, {result.read - result.written} already there."
        )
        return 0
    source = open_store_url(source_location, api_key=api_key, notice=_say)
    try:
        target = open_store_url(target_location, api_key=api_key, notice=_say)
        try:
            docs = every_document(source.documents(), source.history())
            written = target.put_documents(docs)
        finally:
            target.close()
    finally:
        source.close()
    _say(
        f"Copied {len(docs)} job(s) from {source_location} to {target_location}: "
        f"{written} written, {len(docs) - written} already there."
    )
    return 0
