"""One reader's place in a store's history: pages read once, the rest on demand, a failure retried."""

from __future__ import annotations

from collections.abc import Collection, Iterator

import pytest

from seedance_tui.models import GenerationRequest, Job
from seedance_tui.store.errors import StoreError
from seedance_tui.store.history import HistoryReader, HistoryTotals
from seedance_tui.store.merge import Document
from seedance_tui.store.notices import StoreNotice

JOBS = [Job.new(GenerationRequest(model="seedance-2.0", prompt=f"take {n}")) for n in range(5)]


class FlakyHistory:
    """Two jobs a page; the second page fails while ``fail`` is set (a database gone, say)."""

    def __init__(self) -> None:
        self.fail = True
        self.opened = 0

    @property
    def notices(self) -> list[StoreNotice]:
        return []

    def pages(self, size: int = 2) -> Iterator[list[Job]]:
        self.opened += 1
        for start in range(0, len(JOBS), size):
            if start and self.fail:
                raise StoreError("Lost the connection to the job store.")
            yield JOBS[start : start + size]

    def find(self, ref: str) -> list[Job]:
        return []

    def with_batch_entries(self, entries: Collection[str]) -> list[Job]:
        return []

    def documents(self) -> Iterator[Document]:
        return iter(())

    def totals(self) -> HistoryTotals:
        return HistoryTotals()


def test_pages_are_read_once_and_a_failed_read_starts_over_instead_of_passing_for_the_end() -> None:
    history = FlakyHistory()
    reader = HistoryReader(lambda: history, size=2)
    first = reader.next_page()
    assert (first.added, first.jobs, first.complete) == (2, JOBS[:2], False)
    with pytest.raises(StoreError):
        reader.rest()
    assert not reader.complete
    history.fail = False
    rest = reader.rest()
    assert rest.jobs == JOBS and rest.complete and history.opened == 2
    assert reader.next_page().added == 0
