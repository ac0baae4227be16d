"""Waiting helpers every test package shares: wait for a condition (never a fixed sleep), run in the background."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from seedance_tui.service import JobService

T = TypeVar("T")


async def until(predicate: Callable[[], object], limit: float = 15.0, what: str = "condition") -> float:
    """Wait until ``predicate()`` holds, failing after ``limit`` seconds; return the seconds waited.

    On a looptime test the loop's clock is fake, so the limit is counted on the wall clock.
    """
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > limit:
            raise AssertionError(f"{what}: not reached within {limit} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


def until_sync(predicate: Callable[[], object], limit: float = 5.0, what: str = "condition") -> None:
    """``until`` for tests without an event loop (a server in another thread does the work)."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not reached within {limit} s"
        time.sleep(0.02)


@contextlib.asynccontextmanager
async def in_background(work: Coroutine[Any, Any, T]) -> AsyncIterator[asyncio.Task[T]]:
    """Run ``work`` as a task for the block, then cancel it and wait until it has ended."""
    task = asyncio.create_task(work)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def running(service: JobService) -> AsyncIterator[asyncio.Task[None]]:
    """Run the service's polling and flushing for the block; then stop it and close its client."""
    try:
        async with in_background(service.run()) as task:
            yield task
    finally:
        await service.client.aclose()
