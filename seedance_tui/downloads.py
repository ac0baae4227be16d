"""Saving an output video to disk: streamed, off the event loop, never a half file under the real name."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from seedance_tui.api.client import SeedanceClient

Progress = Callable[[int, int | None], None]


async def save_video(
    client: SeedanceClient, url: str, target: Path, on_progress: Progress | None = None
) -> Path:
    """Stream ``url`` into ``target`` via ``target.part``, renamed only once complete."""
    await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    handle = await asyncio.to_thread(partial.open, "wb")
    try:

        async def write(chunk: bytes) -> None:
            await asyncio.to_thread(handle.write, chunk)

        await client.download(url, write, on_progress=on_progress)
    except BaseException:
        await asyncio.to_thread(handle.close)
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise
    await asyncio.to_thread(handle.close)
    await asyncio.to_thread(partial.replace, target)
    return target
