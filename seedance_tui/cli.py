"""Command line entry point: parse, run the command's handler, report errors in the command's format.

The grammar is in seedance_tui.cli_parser, the handlers in cli_handlers, cli_many and cli_apps.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from seedance_tui import commands
from seedance_tui.cli_handlers import NO_KEY_MESSAGE, UsageError, open_store, settings_from_args
from seedance_tui.cli_parser import ArgumentsError, build_parser, parse_command_line
from seedance_tui.config import ConfigError
from seedance_tui.models import ValidationError
from seedance_tui.query import QueryError
from seedance_tui.read_only import ReadOnlyError
from seedance_tui.store import StoreError

__all__ = ["NO_KEY_MESSAGE", "build_parser", "main", "open_store", "settings_from_args"]

#: The exit code of a process killed by SIGPIPE, as a shell reports it (what `yes | head` gives).
EXIT_BROKEN_PIPE = 128 + 13


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``seedance-tui`` command; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_command_line(arguments)
    except ArgumentsError as exc:
        return _arguments_error(exc, as_json="--json" in arguments)
    try:
        code: int = args.handler(args)
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


def _arguments_error(exc: ArgumentsError, *, as_json: bool) -> int:
    if as_json:
        commands.report_error(True, exc.message, usage=exc.parser.format_usage().strip())
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
    """Report an error in the command's format (see commands.report_error); returns ``code``."""
    extra = {"fields": [{"field": f.field, "message": f.message} for f in fields]} if fields else {}
    commands.report_error(args.json, message, lines or (), **extra)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
