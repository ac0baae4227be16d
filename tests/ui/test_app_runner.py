"""The app runs the background work the composition root hands it, and shows that work's warnings."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from seedance_tui.launch import service_runner
from seedance_tui.models import GenerationRequest, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.widgets.job_rows import short_id
from seedance_tui.webhooks import plan_from_flags
from tests.ui.helpers import make_settings, wait_for


async def test_a_receiver_that_cannot_listen_is_a_toast_and_polling_goes_on(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    service = service_factory(sim.url)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        plan = plan_from_flags(f"127.0.0.1:{port}", f"http://127.0.0.1:{port}", tmp_path / "config.toml")
        app = SeedanceApp(service, make_settings(sim.url, tmp_path), run=service_runner(service, plan))
        async with app.run_test(size=(100, 30)) as pilot:
            assert await wait_for(pilot, lambda: bool(app._notifications))
            [notice] = list(app._notifications)
            assert notice.message.startswith("Webhooks are off") and plan is not None
            assert plan.token not in notice.message
            job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="a heron"))
            done = lambda: service.get(job.local_id).status == JobStatus.SUCCEEDED  # type: ignore[union-attr]  # noqa: E731
            assert await wait_for(pilot, done)


async def test_without_webhooks_the_app_runs_the_plain_service(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    service = service_factory(sim.url)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), run=service_runner(service, None))
    async with app.run_test(size=(100, 30)) as pilot:
        job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="a heron"))
        done = lambda: service.get(job.local_id).status == JobStatus.SUCCEEDED  # type: ignore[union-attr]  # noqa: E731
        assert await wait_for(pilot, done)
        assert await wait_for(pilot, lambda: bool(app._notifications))
        # The only toast is the job's own: nothing from the background work.
        assert [n.message for n in app._notifications] == [f"Job {short_id(job)} succeeded."]
        assert service.default_webhook_url is None
