"""A store reached through a symlink keeps writing to the link's target; the link stays a link."""

from __future__ import annotations

from pathlib import Path

from seedance_tui.models import GenerationRequest, Job
from seedance_tui.store import JobStore


def test_a_symlinked_store_writes_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "real.json"
    real.parent.mkdir()
    link = tmp_path / "jobs.json"
    link.symlink_to(real)
    ids = []
    for n in range(3):  # every save rewrites or appends: each must reach real.json
        with JobStore.open(link) as store:
            job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"job {n}"))
            store.add(job)
            store.compact()
            ids.append(job.local_id)
    assert link.is_symlink() and link.resolve() == real.resolve()
    with JobStore.open(real) as store:
        assert sorted(j.local_id for j in store.all()) == sorted(ids)
