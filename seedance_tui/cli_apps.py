"""The command line's handlers that run a long-lived program: the dashboard, ``serve`` and ``sim``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from seedance_tui.cli_handlers import NO_KEY_MESSAGE, UsageError, open_store, settings_from_args
from seedance_tui.config import DEMO_API_KEY, ConfigError
from seedance_tui.lazy import gc_paused_load
from seedance_tui.terminal_graphics import ask_sixel_early

NO_TERMINAL_MESSAGE = (
    "The dashboard needs a terminal: standard input and output must both be one. "
    "Scripts use the commands instead (seedance-tui jobs, submit, status, cancel; see --help)."
)


def has_terminal() -> bool:
    """True when standard input and output are both a terminal (the dashboard reads keys, draws screens)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_dashboard(args: argparse.Namespace) -> int:
    """No command: the dashboard in this terminal (``--demo``: against the embedded simulator)."""
    settings = settings_from_args(args)
    webhooks = None
    if args.webhook_listen is not None or args.webhook_public_url is not None:
        from seedance_tui.webhooks import plan_from_flags  # loaded only with the webhook flags (issue 15)

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
    # Asked now, answered once the dashboard's code has loaded: the reply's trip overlaps the loading.
    sixel = ask_sixel_early(settings.preview_graphics)
    try:
        if args.demo:
            if args.db is None and settings.store is None:
                settings.db_path = Path(tempfile.mkdtemp(prefix="seedance-demo-")) / "jobs.json"
            sim = start_demo(demo, demo_state)
            settings.base_url = sim.url
            settings.api_key = DEMO_API_KEY
            settings.demo = True
        with gc_paused_load():  # the dashboard's code: Textual and the screens
            from seedance_tui.launch import run_dashboard
        if sixel is not None:  # its answer came in while that loaded: read it, and give the
            sixel.answer()  # terminal its echo back before the store opens (which may take a while)

        # Loaded with the GC paused, then frozen: the loaded jobs live as long as the dashboard, and the
        # young pass the first allocation after the load would trigger scanned every one of them
        # (20-50 ms at 10,000 jobs, issue 15).
        with gc_paused_load():
            store = open_store(settings, recover=args.recover_db)
        notices: list[str] = []
        if sim is not None:
            from seedance_tui.sim.demo import lost_jobs_message

            lost = lost_jobs_message(sim.server, store.all())
            notices = [lost] if lost else []
        return run_dashboard(settings, store, webhooks, notices, sixel)
    finally:
        if sixel is not None:
            sixel.close()
        if sim is not None:
            sim.stop()


def run_serve(args: argparse.Namespace) -> int:
    from seedance_tui.web_serve import serve

    settings = settings_from_args(args)
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


def run_sim(args: argparse.Namespace) -> int:
    """The API simulator on its own, until interrupted."""
    from seedance_tui.sim.config import sim_config_from_args
    from seedance_tui.sim.server import serve_forever

    try:
        sim_config = sim_config_from_args(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    serve_forever(sim_config, args.host, args.port)
    return 0
