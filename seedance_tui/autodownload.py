"""Automatic download: every succeeded job's video saved in the background, a few at a time.

A video is streamed into ``<name>.part`` and only linked to its final name once complete and
checked (size against Content-Length, a video's first bytes), never over an existing file. A
kill leaves at most a ``.part`` file, which the next start writes again from the beginning.
An output link that answers 403/404/410 has expired: the job is marked so and not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from seedance_tui.api.client import SeedanceClient
from seedance_tui.api.errors import ApiError
from seedance_tui.filenames import file_name
from seedance_tui.models import Job, JobStatus

#: HTTP statuses that mean the output link is gone for good (the contract gives links no lifetime).
EXPIRED_STATUSES = frozenset({403, 404, 410})
#: A bigger body is not one of this API's videos (the largest, 15 s 1080p, is tens of MB).
MAX_VIDEO_BYTES = 2 * 1024**3
#: A download that has not finished after this long is abandoned (a server dribbling bytes forever).
TOTAL_TIMEOUT = 30 * 60.0
#: At start-up, only videos that finished this recently are fetched (older links have likely expired,
#: and turning the setting on must not download a whole history). Jobs that succeed later always are.
CATCH_UP_AGE = 12 * 3600.0
RETRY_DELAYS = (2.0, 10.0)

_VIDEO_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
_EBML = b"\x1a\x45\xdf\xa3"  # WebM / Matroska


class DownloadProblem(Exception):
    """A download failed for a reason worth telling the user; ``retry`` if trying again may help."""

    def __init__(self, message: str, *, retry: bool = False, expired: bool = False) -> None:
        super().__init__(message)
        self.retry = retry
        self.expired = expired


def looks_like_video(head: bytes) -> bool:
    """True when the first bytes are those of an MP4/QuickTime or WebM/Matroska file."""
    return head[4:8] in _VIDEO_BOXES or head.startswith(_EBML)


def output_state(job: Job, now: float, unsaved_after: float) -> str | None:
    """What the table flags about a succeeded job's video: saved, expired, unsaved (old), or nothing."""
    if job.status != JobStatus.SUCCEEDED:
        return None
    if job.saved_path:
        return "saved"
    if job.output_expired:
        return "expired"
    finished = job.finished_at if job.finished_at is not None else job.updated_at
    if now - finished >= unsaved_after:
        return "unsaved"
    return None


@dataclass
class DownloadsState:
    """What the progress indicator shows: videos being saved, waiting, and failed this run."""

    active: int = 0
    queued: int = 0
    done_bytes: int = 0
    total_bytes: int | None = 0
    failed: int = 0
    saved: int = 0
    #: Why the latest failed download failed.
    last_error: str | None = None

    @property
    def busy(self) -> bool:
        return bool(self.active or self.queued)


def unique_target(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-1``, ``name-2``… when taken: an existing file is never replaced."""
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 0
    while target.exists():
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    return target


def describe_os_error(exc: OSError, folder: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"The disk holding {folder} is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot write to {folder}: {exc.strerror}"
    return f"Cannot save into {folder}: {exc.strerror or exc}"


async def fetch_video(
    client: SeedanceClient,
    url: str,
    part: Path,
    *,
    on_progress: Callable[[int, int | None], None] | None = None,
    max_bytes: int = MAX_VIDEO_BYTES,
) -> int:
    """Stream ``url`` into ``part``, checking it is a whole video; returns its size.

    A ``part`` left by an interrupted download is continued with an HTTP Range when it starts like
    a video and the server honours ranges; otherwise it is written again from the start.
    """
    offset, head = await asyncio.to_thread(_resumable, part)
    file = _PartFile(part, offset, head, max_bytes, on_progress)
    try:
        try:
            got = await client.download(
                url, file.write, on_progress=file.progress, on_start=file.started, offset=offset
            )
        except ApiError as exc:
            raise await _download_problem(exc, part) from None
        return await file.finish(got)
    finally:
        await file.close()


class _PartFile:
    """One download into a ``.part`` file: where it resumes, its first bytes, the size it must reach."""

    def __init__(
        self,
        part: Path,
        offset: int,
        head: bytes,
        max_bytes: int,
        on_progress: Callable[[int, int | None], None] | None,
    ) -> None:
        self.part = part
        self.offset = offset
        self.head = head
        self.max_bytes = max_bytes
        self.on_progress = on_progress
        #: The whole video's size, when the server said.
        self.expected: int | None = None
        self.handle: BinaryIO | None = None

    def started(self, length: int | None, content_type: str, partial: bool) -> None:
        """Refuse a page that is not a video or one too big; start again when the range was ignored."""
        kind = content_type.split(";")[0].strip().lower()
        if kind.startswith(("text/", "application/json", "application/xml")):
            raise DownloadProblem(f"The output link returned a {kind} page, not a video")
        if not partial:  # the whole body came: start the file again
            self.offset, self.head = 0, b""
        total = None if length is None else self.offset + length
        if total is not None and total > self.max_bytes:
            raise DownloadProblem(f"The output is {total:,} bytes: too big to be a video of this API")
        self.expected = total

    async def write(self, chunk: bytes) -> None:
        if self.handle is None:
            self.handle = await asyncio.to_thread(self.part.open, "ab" if self.offset else "wb")
        if len(self.head) < 16:
            self.head += chunk[: 16 - len(self.head)]
            if len(self.head) >= 12 and not looks_like_video(self.head):
                raise DownloadProblem("The output link did not return a video file")
        await asyncio.to_thread(self.handle.write, chunk)
        if self.handle.tell() > self.max_bytes:
            raise DownloadProblem(f"The output is over {self.max_bytes:,} bytes: too big to be a video")

    def progress(self, done: int, total: int | None) -> None:
        if self.on_progress is not None:
            self.on_progress(self.offset + done, None if total is None else self.offset + total)

    async def finish(self, got: int) -> int:
        """Check that a whole video arrived and make it durable; its size."""
        size = self.offset + got
        if size == 0 or self.handle is None:
            raise DownloadProblem("The output link returned an empty file", retry=True)
        if self.expected is not None and size != self.expected:
            raise DownloadProblem(f"Got {size:,} of {self.expected:,} bytes", retry=True)
        if not looks_like_video(self.head):
            raise DownloadProblem("The output link did not return a video file")
        await asyncio.to_thread(self.handle.flush)
        await asyncio.to_thread(os.fsync, self.handle.fileno())
        return size

    async def close(self) -> None:
        if self.handle is not None:
            await asyncio.to_thread(self.handle.close)


async def _download_problem(exc: ApiError, part: Path) -> DownloadProblem:
    """What an HTTP error means for the download: the link expired, or worth another try."""
    if exc.status_code in EXPIRED_STATUSES:
        return DownloadProblem(f"The output link has expired (HTTP {exc.status_code})", expired=True)
    if exc.status_code == 416:  # the range asked for is past the end: start again
        await asyncio.to_thread(part.unlink, missing_ok=True)
    return DownloadProblem(exc.message, retry=True)


def _resumable(part: Path) -> tuple[int, bytes]:
    """(bytes to skip, the file's first bytes) of a partial download worth continuing, else (0, b"")."""
    try:
        with part.open("rb") as existing:
            head = existing.read(16)
            size = existing.seek(0, os.SEEK_END)
    except OSError:
        return 0, b""
    return (size, head) if len(head) == 16 and looks_like_video(head) else (0, b"")


def settle(part: Path, folder: Path, name: str) -> Path:
    """Give the finished ``part`` file its final name without replacing anything; returns it."""
    while True:
        target = unique_target(folder, name)
        try:
            os.link(part, target)  # fails if another writer took the name meanwhile
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                raise
            os.rename(part, target)  # no hard links here (FAT, some network shares)
            return target
        part.unlink()
        return target


class AutoDownloader:
    """Saves succeeded jobs' videos into ``folder``, ``concurrency`` at a time.

    ``on_change(job)`` is called after the job record was updated (saved path, expiry, error).
    """

    def __init__(
        self,
        client: SeedanceClient,
        folder: Path,
        pattern: str,
        on_change: Callable[[Job], None],
        *,
        concurrency: int = 2,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        total_timeout: float = TOTAL_TIMEOUT,
        catch_up_age: float = CATCH_UP_AGE,
    ) -> None:
        self.client = client
        self.folder = folder
        self.pattern = pattern
        self._on_change = on_change
        self._concurrency = max(1, concurrency)
        self._retry_delays = retry_delays
        self._total_timeout = total_timeout
        self._catch_up_age = catch_up_age
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        #: Jobs queued, being saved, or already tried this run (each is tried once per run).
        self._seen: set[str] = set()
        self._progress: dict[str, tuple[int, int | None]] = {}
        self._failed = 0
        self._saved = 0
        self._last_error: str | None = None
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Hear when a download starts, ends or is queued (not on every chunk)."""
        self._listeners.append(listener)

    @property
    def state(self) -> DownloadsState:
        totals = [total for _, total in self._progress.values()]
        return DownloadsState(
            active=len(self._progress),
            queued=self._queue.qsize(),
            done_bytes=sum(done for done, _ in self._progress.values()),
            total_bytes=None if None in totals else sum(t or 0 for t in totals),
            failed=self._failed,
            saved=self._saved,
            last_error=self._last_error,
        )

    def catch_up(self, jobs: list[Job], now: float) -> None:
        """At start-up: queue the unsaved videos of jobs that finished recently (or were being saved)."""
        since = now - self._catch_up_age
        self.offer([job for job in jobs if (job.finished_at or job.updated_at) >= since])

    def offer(self, jobs: list[Job]) -> None:
        """Queue the succeeded jobs whose video is not saved yet (and not known to be expired)."""
        added = False
        for job in jobs:
            if (
                job.status == JobStatus.SUCCEEDED
                and job.output_url
                and not job.saved_path
                and not job.output_expired
                and job.local_id not in self._seen
            ):
                self._seen.add(job.local_id)
                self._queue.put_nowait(job)
                added = True
        if added:
            self._changed()

    async def run(self) -> None:
        """Save queued videos until cancelled."""
        async with asyncio.TaskGroup() as group:
            for n in range(self._concurrency):
                group.create_task(self._worker(), name=f"seedance-download-{n}")

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    async def _worker(self) -> None:
        while True:
            job = await self._queue.get()
            self._progress[job.local_id] = (0, None)
            self._changed()
            try:
                await self._save(job)
            finally:
                self._progress.pop(job.local_id, None)
                self._changed()

    async def _save(self, job: Job) -> None:
        attempts = len(self._retry_delays) + 1
        for attempt in range(attempts):
            try:
                async with asyncio.timeout(self._total_timeout):
                    path = await self._save_once(job)
            except TimeoutError:
                problem = DownloadProblem(
                    f"The download did not finish within {self._total_timeout:.0f} s", retry=True
                )
            except DownloadProblem as exc:
                problem = exc
            else:
                job.saved_path = str(path)
                job.download_error = None
                self._saved += 1
                self._record(job)
                return
            if problem.expired:
                job.output_expired = True
            if not problem.retry or attempt == attempts - 1:
                await self._discard(self._part(job))  # given up: nothing is left behind
                job.download_error = self._last_error = str(problem)
                self._failed += 1
                self._record(job)
                return
            await asyncio.sleep(self._retry_delays[attempt])

    def _record(self, job: Job) -> None:
        job.touch()
        self._on_change(job)

    async def _save_once(self, job: Job) -> Path:
        assert job.output_url is not None
        name = file_name(self.pattern, job)
        part = self._part(job)
        try:
            await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)

            def progress(done: int, total: int | None) -> None:
                self._progress[job.local_id] = (done, total)

            await fetch_video(self.client, job.output_url, part, on_progress=progress)
            return await asyncio.to_thread(settle, part, self.folder, name)
        except OSError as exc:
            await self._discard(part)
            raise DownloadProblem(describe_os_error(exc, self.folder)) from None
        except DownloadProblem as exc:
            if not exc.retry:  # what a retry can continue is kept (a kill keeps it too)
                await self._discard(part)
            raise

    def _part(self, job: Job) -> Path:
        """Where ``job``'s video is written until complete (the same name after a restart)."""
        return self.folder / f".{file_name(self.pattern, job)}.part"

    @staticmethod
    async def _discard(part: Path) -> None:
        with contextlib.suppress(OSError):
            await asyncio.to_thread(part.unlink, missing_ok=True)
