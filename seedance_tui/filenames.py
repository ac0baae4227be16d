"""File names of automatically saved videos, from a user pattern such as ``{created:%Y%m%d}-{id}.mp4``.

Every field's value is made file-system safe (a request id or prompt comes from the network or a
user and could hold ``/`` or ``..``), and the pattern itself may not leave the download folder.
"""

from __future__ import annotations

import re
import string
from datetime import datetime
from typing import Any

from seedance_tui.models import Job

#: Fields a pattern may use, with what they are.
FIELDS: dict[str, str] = {
    "created": "creation time (a datetime: {created:%Y%m%d-%H%M%S})",
    "prompt_slug": "the prompt's first words, lower-case, letters, digits and dashes",
    "id": "request id (or local id before the API gave one)",
    "local_id": "the job's local id",
    "model": "model name",
    "duration": "duration in seconds",
    "resolution": "resolution",
}
#: Longest file name written (most file systems allow 255 bytes).
MAX_NAME_BYTES = 200
SLUG_CHARS = 40

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class PatternError(ValueError):
    """The download name pattern cannot be used; the message says why."""


def check_pattern(pattern: str) -> str:
    """``pattern`` if usable; PatternError naming the problem otherwise."""
    if not pattern.strip():
        raise PatternError("download_name is empty")
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise PatternError(f"download_name {pattern!r} is not a valid pattern: {exc}") from None
    literal = "".join(text for text, _, _, _ in parsed)
    if "/" in literal or "\\" in literal:
        raise PatternError(f"download_name {pattern!r} may not contain '/' (names stay in the folder)")
    if ".." in literal:
        raise PatternError(f"download_name {pattern!r} may not contain '..'")
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if name not in FIELDS:
            known = ", ".join(FIELDS)
            raise PatternError(f"download_name uses an unknown field {{{name}}}: known fields are {known}")
    try:
        render(pattern, _SAMPLE)
    except (ValueError, TypeError) as exc:
        raise PatternError(f"download_name {pattern!r} cannot be filled in: {exc}") from None
    return pattern


def slug(text: str, limit: int = SLUG_CHARS) -> str:
    """Lower-case ASCII letters, digits and single dashes; ``video`` when nothing is left."""
    words = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return words[:limit].rstrip("-") or "video"


def _safe(value: str) -> str:
    """A field value with nothing that could change directory or hide the file."""
    return _UNSAFE.sub("-", value).replace("..", "-").strip(".-") or "x"


def fields_of(job: Job) -> dict[str, Any]:
    """The values a pattern can use for ``job``."""
    request = job.request
    prompt = request.prompt if isinstance(request.prompt, str) else ""
    return {
        "created": datetime.fromtimestamp(job.created_at),
        "prompt_slug": slug(prompt),
        "id": _safe(job.request_id or job.local_id),
        "local_id": _safe(job.local_id),
        "model": _safe(str(request.model)),
        "duration": "" if request.duration is None else str(request.duration),
        "resolution": _safe(request.resolution or ""),
    }


def render(pattern: str, values: dict[str, Any]) -> str:
    """The file name for these field values (made safe again as a whole, and cut to length)."""
    name = pattern.format(**values)
    name = _UNSAFE.sub("-", name).replace("..", "-").lstrip(".-") or "video.mp4"
    while len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[:-1]}{dot}{ext}" if dot and len(ext) < 10 else name[:-1]
    return name


def file_name(pattern: str, job: Job) -> str:
    """The file name of ``job``'s video under ``pattern`` (already checked)."""
    return render(pattern, fields_of(job))


_SAMPLE: dict[str, Any] = {
    "created": datetime(2026, 1, 2, 3, 4, 5),
    "prompt_slug": "sample",
    "id": "req_sample",
    "local_id": "local",
    "model": "seedance-2.0",
    "duration": "5",
    "resolution": "720p",
}
