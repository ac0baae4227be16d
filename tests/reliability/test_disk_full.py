"""With the disk full, a submission says so, and that nothing left the machine (not "the API refused")."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seedance_tui.models import GenerationRequest
from seedance_tui.outcomes import SubmitError, SubmitOutcome
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KB tmpfs (needs the privilege to mount: root in CI's container)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_a_full_disk_is_named_and_nothing_is_sent(
    sim: SimulatorServer, service_factory: Callable[..., JobService], full_disk: Path
) -> None:
    service = service_factory(sim.url, path=full_disk / "jobs.json")
    filler = full_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    with pytest.raises(SubmitError) as info:
        await service.submit(GenerationRequest(model="seedance-2.0", prompt="no room"))
    assert info.value.outcome == SubmitOutcome.NOT_SENT
    assert "disk is full" in info.value.message and "nothing left this machine" in info.value.message
    assert "API" not in info.value.message
    filler.unlink()
