"""``seedance-tui serve``: the dashboard in web browsers through textual-serve, one viewer process per tab.

Each tab's viewer opens the same store and takes part in the poller's lease like any dashboard, so
tabs follow the one poller instead of polling on their own. textual-serve is imported only here.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import sys

from seedance_tui.config import Settings

#: Host names that never leave this machine.
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """What to say when the dashboard is served beyond this machine (None on loopback)."""
    if is_loopback(host):
        return None
    return (
        f"warning: serving the dashboard on {host}:{port}. Anyone who can reach this port can use it "
        "with your API key: submit paid jobs, cancel jobs, download results. Prefer the default "
        "127.0.0.1 reached through an SSH tunnel, or run it with --read-only where that is available."
    )


def viewer_command(args: argparse.Namespace, settings: Settings) -> str:
    """The shell command textual-serve runs for each tab: this dashboard's settings, on pipes."""
    argv = [sys.executable, "-m", "seedance_tui.viewer", "--db", str(settings.db_path)]
    argv += ["--base-url", settings.base_url, "--config", str(settings.config_path)]
    for flag, value in (
        ("--rps", getattr(args, "rps", None)),
        ("--concurrency", getattr(args, "concurrency", None)),
        ("--download-dir", getattr(args, "download_dir", None)),
        ("--webhook-listen", getattr(args, "webhook_listen", None)),
        ("--webhook-public-url", getattr(args, "webhook_public_url", None)),
    ):
        if value is not None:
            argv += [flag, str(value)]
    return shlex.join(argv)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted; the API key reaches the viewers through the environment or the config."""
    from textual_serve.server import Server

    warning = exposure_warning(args.host, args.port)
    if warning is not None:
        sys.stderr.write(warning + "\n")
    if settings.api_key and not os.environ.get("SEEDANCE_API_KEY"):
        # The viewers read the same config file; a key given another way is passed on in their environment.
        os.environ["SEEDANCE_API_KEY"] = settings.api_key
    Server(viewer_command(args, settings), host=args.host, port=args.port, title="seedance-tui").serve()
    return 0
