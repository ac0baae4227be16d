"""The dashboard's webhook wiring: submissions name the receiver, the token stays out of the store."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from seedance_tui.models import GenerationRequest, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.webhooks import WebhookPlan, plan_from_flags, run_with_webhooks
from tests.support import in_background, until


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def _plan(tmp_path: Path) -> WebhookPlan:
    port = _free_port()
    plan = plan_from_flags(f"127.0.0.1:{port}", f"http://127.0.0.1:{port}", tmp_path / "config.toml")
    assert plan is not None
    return plan


async def test_submissions_name_the_receiver_while_the_service_runs(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    sim = sim_factory()
    service = service_factory(sim.url)
    plan = _plan(tmp_path)
    errors: list[str] = []
    async with in_background(run_with_webhooks(service, plan, errors.append)):
        await until(lambda: service.default_webhook_url)
        job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="a river"))
        [task] = sim.state.tasks()
        assert task["webhookUrl"] == f"{plan.public_url}/webhooks/seedance/{plan.token}"
        await until(lambda: sim.state.webhook_attempts)
        assert [a.status for a in sim.state.webhook_attempts] == ["delivered"]
        await until(lambda: service.get(job.local_id).status == JobStatus.SUCCEEDED)  # type: ignore[union-attr]
    assert errors == [] and service.default_webhook_url is None
    assert job.request.webhook_url is None
    assert plan.token not in Path(service.store.location).read_text()
    socket.create_server((plan.host, plan.port)).close()  # the port is free again


async def test_a_taken_port_means_polling_only(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    service = service_factory(sim_factory().url)
    plan = _plan(tmp_path)
    errors: list[str] = []
    with socket.create_server((plan.host, plan.port)):
        async with in_background(run_with_webhooks(service, plan, errors.append)) as running:
            await until(lambda: errors)
            await until(lambda: service.scheduler.stats.wakeups > 0, what="the service polls")
            assert not running.done() and service.default_webhook_url is None
            assert "Polling" in errors[0] and plan.token not in errors[0]
