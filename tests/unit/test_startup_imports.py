"""Start-up imports only what the first paint needs: web servers and tools load when used (issue 15)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.reliability.helpers import ROOT

#: Loaded on first use only: webhooks (even their plan: only with the webhook flags) and the simulator
#: (uvicorn, starlette), httpx's CLI, package metadata, httpx itself, urllib.request and the API's
#: reply types (the first request, sent after the first paint), tomlkit (a config edit), the screens'
#: heavier widgets (the form's TextArea, the column chooser's SelectionList), the other commands' and
#: bulk actions' code (batch files, export, tracking, bulk cancel/download/re-run), the config file's
#: parser (only when a file exists), the summary, previews, statistics (estimates once there is enough
#: history), the full-screen detail (the split view's panel shares its facts), the help screen, the
#: bulk actions' dialogs, the archive's code (loaded at start only when old jobs are due), and the
#: other commands' parsers (a dashboard start parses its own options alone).
DEFERRED = (
    "uvicorn",
    "starlette",
    "httpx",
    "httpcore",
    "urllib.request",
    "click",
    "importlib.metadata",
    "tomlkit",
    "textual.widgets._text_area",
    "textual.widgets._selection_list",
    "seedance_tui.cli_many",
    "seedance_tui.many_commands",
    "seedance_tui.batch_file",
    "seedance_tui.export",
    "seedance_tui.service.batch",
    "seedance_tui.service.bulk",
    "tomllib",
    "statistics",
    "seedance_tui.summary",
    "seedance_tui.preview",
    "seedance_tui.ui.screens.detail",
    "seedance_tui.ui.widgets.frame_preview",
    "seedance_tui.ui.screens.dialogs",
    "seedance_tui.store.archive",
    "seedance_tui.sim",
    "seedance_tui.store_cli",
    "seedance_tui.api.types",
    "seedance_tui.webhooks",
    "seedance_tui.ui.screens.help",
    "seedance_tui.service.tracking",
    # Composed when first shown (issue 17c): the search box, the downloads line, the split view's panel.
    "seedance_tui.ui.widgets.search_box",
    "seedance_tui.ui.widgets.download_status",
    "seedance_tui.ui.widgets.detail_panel",
    "seedance_tui.ui.widgets.job_facts",
)

PROBE = """
import json, sys
from seedance_tui import cli
from seedance_tui import launch
from seedance_tui.cli_parser import parse_command_line
parse_command_line(["--db", "jobs.json"])
from seedance_tui.api.client import SeedanceClient
client = SeedanceClient("https://example.invalid", "key")
assert "_api" not in vars(client) and "_http" not in vars(client), "a TLS context was built"
start = sorted(name for name in sys.modules if sys.modules[name] is not None)
from seedance_tui.webhooks import plan_from_flags  # what the webhook flags load
print(json.dumps([start, sorted(name for name in sys.modules if sys.modules[name] is not None)]))
"""


def _deferred_in(loaded: list[str], allowed: frozenset[str] = frozenset()) -> list[str]:
    return [
        name
        for name in loaded
        if (name.split(".")[0] in DEFERRED or name in DEFERRED) and name not in allowed
    ]


def test_the_dashboard_start_path_loads_no_web_server_and_no_tls_context() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    at_start, with_webhook_plan = json.loads(out.stdout)
    assert not _deferred_in(at_start)
    assert not _deferred_in(with_webhook_plan, allowed=frozenset({"seedance_tui.webhooks"}))


#: What the first frame may wait for after all: the first request (sent once the app runs, so it may
#: race the first frame in a test) brings httpx and urllib.request.
_SENT_WHILE_PAINTING = frozenset({"httpx", "httpcore", "urllib.request"})

PAINT_PROBE = """
import asyncio, json, sys
from pathlib import Path
from seedance_tui.config import Settings
from seedance_tui.service import JobService
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp

folder = Path(sys.argv[1])
settings = Settings(
    base_url="http://127.0.0.1:9", api_key="sd2_demo_key", db_path=folder / "jobs.json",
    download_dir=folder / "dl", config_path=folder / "config.toml",
)
service = JobService.from_settings(settings, JobStore.open(settings.db_path))
painted = []

class FirstFrame(SeedanceApp):
    def _display(self, screen, renderable):
        if renderable is not None and not painted:
            painted.append(sorted(name for name in sys.modules if sys.modules[name] is not None))
        super()._display(screen, renderable)

async def main():
    async with FirstFrame(service, settings).run_test() as pilot:
        while not painted:
            await pilot.pause()

asyncio.run(main())
print(json.dumps(painted[0]))
"""


def test_the_first_frame_is_drawn_before_any_deferred_module_loads(tmp_path: Path) -> None:
    """What the dashboard loads while it builds and draws its first frame (mount, compose, first
    refresh), not only at import: a screen that asked for the summary or a preview on mount fails here."""
    out = subprocess.run(
        [sys.executable, "-c", PAINT_PROBE, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert not _deferred_in(json.loads(out.stdout.splitlines()[-1]), allowed=_SENT_WHILE_PAINTING)


def test_deferred_names_still_resolve_from_their_packages() -> None:
    from seedance_tui import sim, webhooks

    assert webhooks.run_with_webhooks.__name__ == "run_with_webhooks"
    assert sim.SimulatorServer.__name__ == "SimulatorServer"


def test_the_command_loads_with_the_gc_paused_and_runs_with_it_on(tmp_path: Path) -> None:
    probe = (
        "import gc, sys\n"
        "from seedance_tui.entry import main\n"
        f"sys.argv = ['seedance-tui', 'jobs', '--db', {str(tmp_path / 'none.json')!r}]\n"
        "code = main()\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 10_000, 'seedance_tui.cli' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.split()[-3:] == ["True", "True", "True"], out.stderr


def test_every_service_export_is_what_it_names_once_every_module_is_loaded() -> None:
    """``service`` loads its exports lazily: a submodule loaded later must not shadow an export."""
    import importlib
    import inspect
    import pkgutil

    from seedance_tui import service

    for module in pkgutil.iter_modules(service.__path__):
        importlib.import_module(f"seedance_tui.service.{module.name}")
    assert not [name for name in service.__all__ if inspect.ismodule(getattr(service, name))]


def test_every_command_names_a_handler_that_exists() -> None:
    """Handlers are imported when their command runs: a misspelt one must fail here, not for a user."""
    import argparse
    import importlib

    from seedance_tui.cli_parser import Handler, build_parser

    parsers = [build_parser()]
    handlers: list[Handler] = []
    while parsers:
        parser = parsers.pop()
        handler = parser.get_default("handler")
        if handler is not None:
            handlers.append(handler)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    assert len(handlers) == 13  # the dashboard and its 12 commands
    for handler in handlers:
        assert callable(getattr(importlib.import_module(f"seedance_tui.{handler.module}"), handler.name))


def test_the_dashboard_loads_its_store_with_the_gc_paused_then_frozen(tmp_path: Path) -> None:
    """Re-enabled over the freshly loaded jobs, the collector's next young pass scanned every one of
    them (20-50 ms at 10,000 jobs): frozen first, they are out of its reach when the app starts."""
    from seedance_tui.models import JobStatus
    from tests.ui.test_main_screen import seed_store

    seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED] * 50)
    probe = (
        "import gc, os, sys\n"
        "from seedance_tui.entry import main\n"
        "from seedance_tui import cli_apps, launch\n"
        "def run_dashboard(settings, store, *_):\n"
        "    tracked = {id(o) for o in gc.get_objects()}\n"
        "    jobs = store.all()\n"
        "    print(gc.isenabled(), len(jobs), sum(id(job) in tracked for job in jobs))\n"
        "    return 0\n"
        "cli_apps.has_terminal = lambda: True\n"
        "launch.run_dashboard = run_dashboard\n"
        "os.environ['SEEDANCE_API_KEY'] = 'sd2_demo_key'\n"
        f"sys.argv = ['seedance-tui', '--db', {str(tmp_path / 'jobs.json')!r}, '--config', {str(tmp_path / 'c.toml')!r}]\n"
        "sys.exit(main())\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    # The collector is on, the 50 jobs are loaded, and none of them is left for it to scan.
    assert out.stdout.split()[-3:] == ["True", "50", "0"], out.stdout + out.stderr
