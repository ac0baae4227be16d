"""One browser tab's dashboard under ``seedance-tui serve``, started by textual-serve on pipes.

A served viewer has no terminal by design (textual-serve talks to it through pipes and the web
driver), so it is started here rather than through the CLI's dashboard entry, which is for
terminals. It reads the same options, opens the same store and takes part in the poller's lease.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from seedance_tui import cli
from seedance_tui.config import ConfigError
from seedance_tui.store import StoreError


def main(argv: Sequence[str] | None = None) -> int:
    from seedance_tui.launch import run_dashboard
    from seedance_tui.webhooks import plan_from_flags

    args = cli.build_parser().parse_args(argv)
    try:
        settings = cli.settings_from_args(args)  # the CLI's own merge of flags, environment and config
        if not settings.api_key:
            raise ConfigError(cli.NO_KEY_MESSAGE)
        webhooks = plan_from_flags(args.webhook_listen, args.webhook_public_url, settings.config_path)
        store = cli.open_store(settings, recover=False)
    except (ConfigError, StoreError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return run_dashboard(settings, store, webhooks)


if __name__ == "__main__":
    raise SystemExit(main())
