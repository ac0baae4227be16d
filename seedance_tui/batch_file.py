"""A batch file turned into a checked plan: every line parsed, expanded over the matrix, validated,
keyed and priced before anything is sent (nothing here talks to the network or the store)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import product
from pathlib import Path
from typing import Any, BinaryIO

from seedance_tui.models import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_MODEL,
    DEFAULT_RESOLUTION,
    MODELS,
    RESOLUTIONS,
    FieldError,
    GenerationRequest,
    ValidationError,
    parse_metadata,
)
from seedance_tui.pricing import credits_for

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_JOBS = 100_000
#: The API's field names, the only keys a line (or CSV column) may use.
FIELDS: tuple[str, ...] = (
    "model",
    "prompt",
    "aspectRatio",
    "duration",
    "resolution",
    "webhookUrl",
    "metadata",
    "mediaUrls",
)
#: Fields ``--matrix`` may vary, and the values each allows (None: checked per job).
MATRIX_FIELDS: dict[str, tuple[str, ...] | None] = {
    "model": MODELS,
    "aspectRatio": ASPECT_RATIOS,
    "duration": None,
    "resolution": RESOLUTIONS,
    "webhookUrl": None,
}
_MEDIA_SPLIT = re.compile(r"[\s|]+")


class BatchFileError(Exception):
    """The file (or the matrix) as a whole cannot be used; the message names the place."""


@dataclass(frozen=True)
class LineError:
    """One broken rule on one line of the file."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass(frozen=True)
class PlannedJob:
    """One expanded job: where it came from, what will be sent, its stable key and estimated cost."""

    line: int
    request: GenerationRequest
    key: str
    credits: int

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "key": self.key, "credits": self.credits, **self.request.to_payload()}


@dataclass
class BatchPlan:
    """Every expanded job of a file, or the errors that stop it from being sent."""

    jobs: list[PlannedJob] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def total_credits(self) -> int:
        return sum(job.credits for job in self.jobs)

    def credits_by_model(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for job in self.jobs:
            totals[job.request.model] += job.credits
        return dict(totals)

    def jobs_by_model(self) -> dict[str, int]:
        return dict(Counter(job.request.model for job in self.jobs))


Matrix = list[tuple[str, list[Any]]]


def parse_matrix(specs: Sequence[str]) -> Matrix:
    """``FIELD=V1,V2`` options as (field, values); BatchFileError names a bad field or value."""
    matrix: Matrix = []
    for spec in specs:
        name, sep, raw = spec.partition("=")
        name = name.strip()
        if not sep or not raw.strip():
            raise BatchFileError(f"--matrix {spec!r}: write FIELD=VALUE1,VALUE2")
        if name not in MATRIX_FIELDS:
            raise BatchFileError(
                f"--matrix {name!r}: not a field the matrix can vary (use {', '.join(MATRIX_FIELDS)})"
            )
        if any(name == seen for seen, _ in matrix):
            raise BatchFileError(f"--matrix {name}: given twice")
        values: list[Any] = []
        for text in (part.strip() for part in raw.split(",")):
            values.append(_matrix_value(name, text))
        matrix.append((name, list(dict.fromkeys(values))))
    return matrix


def _matrix_value(name: str, text: str) -> Any:
    allowed = MATRIX_FIELDS[name]
    if not text:
        raise BatchFileError(f"--matrix {name}: an empty value")
    if allowed is not None and text not in allowed:
        raise BatchFileError(f"--matrix {name}: {text!r} must be one of {', '.join(allowed)}")
    if name == "duration":
        if not text.isdigit():
            raise BatchFileError(f"--matrix duration: {text!r} must be a whole number of seconds")
        return int(text)
    if name == "webhookUrl":
        problems = GenerationRequest(DEFAULT_MODEL, "x", webhook_url=text).errors()
        if problems:
            raise BatchFileError(f"--matrix webhookUrl: {text!r} {problems[0].message}")
    return text


def read_source(path: str, stdin: BinaryIO | None = None) -> str:
    """The text of ``path`` (``-``: standard input), at most MAX_FILE_BYTES, UTF-8."""
    name = "standard input" if path == "-" else path
    try:
        if path == "-":
            data = (stdin or sys.stdin.buffer).read(MAX_FILE_BYTES + 1)
        else:
            file = Path(path)
            if file.is_dir():
                raise BatchFileError(f"{name}: is a folder, not a batch file")
            if file.stat().st_size > MAX_FILE_BYTES:
                raise BatchFileError(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            with file.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise BatchFileError(f"{name}: no such file") from None
    except OSError as exc:
        raise BatchFileError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise BatchFileError(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BatchFileError(f"{name}: line {line}: not UTF-8 text") from None


def looks_like_csv(path: str, text: str) -> bool:
    """CSV by extension; otherwise JSON Lines when the first real line starts with ``{``."""
    suffix = Path(path).suffix.lower() if path != "-" else ""
    if suffix == ".csv":
        return True
    if suffix in (".jsonl", ".ndjson", ".json"):
        return False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return not stripped.startswith("{")
    return False


def plan_batch(text: str, matrix: Matrix, *, is_csv: bool) -> BatchPlan:
    """Parse, expand, validate, key and price every job of a batch file's text."""
    plan = BatchPlan()
    lines = list(_csv_lines(text, plan) if is_csv else _jsonl_lines(text, plan))
    expansion = 1
    for _name, values in matrix:
        expansion *= len(values)
    if (len(lines) + len(plan.errors)) * expansion > MAX_JOBS:
        raise BatchFileError(
            f"{(len(lines) + len(plan.errors)) * expansion:,} jobs after expansion: "
            f"at most {MAX_JOBS:,} per batch"
        )
    occurrences: Counter[str] = Counter()
    combos = list(product(*(values for _name, values in matrix)))
    for number, base in lines:
        for combo in combos:
            request = _with_matrix(base, matrix, combo)
            errors = request.errors()
            if errors:
                plan.errors.extend(LineError(number, e.field, _describe(e, combo, matrix)) for e in errors)
                continue
            digest = request_digest(request)
            occurrences[digest] += 1
            key = f"{digest}-{occurrences[digest]}"
            credits = credits_for(request.model, request.duration, request.resolution)
            plan.jobs.append(PlannedJob(number, request, key, credits))
    return plan


def _describe(error: FieldError, combo: tuple[Any, ...], matrix: Matrix) -> str:
    if not matrix:
        return error.message
    where = ", ".join(f"{name}={value}" for (name, _values), value in zip(matrix, combo, strict=True))
    return f"{error.message} (with {where})"


def _with_matrix(base: GenerationRequest, matrix: Matrix, combo: tuple[Any, ...]) -> GenerationRequest:
    if not matrix:
        return base
    changes = {_ATTRS[name]: value for (name, _values), value in zip(matrix, combo, strict=True)}
    return replace(base, **changes)


_ATTRS = {
    "model": "model",
    "prompt": "prompt",
    "aspectRatio": "aspect_ratio",
    "duration": "duration",
    "resolution": "resolution",
    "webhookUrl": "webhook_url",
    "metadata": "metadata",
    "mediaUrls": "media_urls",
}


def request_digest(request: GenerationRequest) -> str:
    """A hash of the request as sent (defaults filled in, keys sorted): equal requests, equal hash."""
    canonical = json.dumps(request.to_payload(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def _request(values: dict[str, Any]) -> GenerationRequest:
    """A request from one line's fields; what is omitted takes the form's defaults."""
    return GenerationRequest(
        model=values.get("model", DEFAULT_MODEL),
        prompt=values.get("prompt", ""),
        aspect_ratio=values.get("aspectRatio", DEFAULT_ASPECT_RATIO),
        duration=values.get("duration", DEFAULT_DURATION),
        resolution=values.get("resolution", DEFAULT_RESOLUTION),
        webhook_url=values.get("webhookUrl"),
        metadata=values.get("metadata"),
        media_urls=values.get("mediaUrls") or None,
    )


def _skipped(text: str) -> bool:
    stripped = text.strip()
    return not stripped or stripped.startswith("#")


def _jsonl_lines(text: str, plan: BatchPlan) -> Iterator[tuple[int, GenerationRequest]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if _skipped(line):
            continue
        try:
            value = json.loads(line, parse_constant=_reject_constant)
        except (json.JSONDecodeError, ValueError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            plan.errors.append(LineError(number, "(line)", f"is not valid JSON ({reason})"))
            continue
        except RecursionError:
            plan.errors.append(LineError(number, "(line)", "is nested too deeply"))
            continue
        if not isinstance(value, dict):
            plan.errors.append(LineError(number, "(line)", "must be a JSON object of request fields"))
            continue
        unknown = [name for name in value if name not in FIELDS]
        if unknown:
            plan.errors.extend(LineError(number, name, _UNKNOWN_FIELD) for name in unknown)
            continue
        yield number, _request(value)


_UNKNOWN_FIELD = f"is not a request field (use {', '.join(FIELDS)})"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _csv_lines(text: str, plan: BatchPlan) -> Iterator[tuple[int, GenerationRequest]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    start = 1
    try:
        for row in reader:
            number, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()) or row[0].startswith("#"):
                continue
            if header is None:
                header = [name.strip() for name in row]
                unknown = [name for name in header if name not in FIELDS]
                if unknown:
                    raise BatchFileError(f"line {number}: unknown column {unknown[0]!r} ({_UNKNOWN_FIELD})")
                if len(set(header)) != len(header):
                    raise BatchFileError(f"line {number}: a column is named twice")
                continue
            if len(row) != len(header):
                message = f"has {len(row)} cells, the header has {len(header)}"
                plan.errors.append(LineError(number, "(line)", message))
                continue
            values, errors = _csv_values(dict(zip(header, row, strict=True)))
            if errors:
                plan.errors.extend(LineError(number, e.field, e.message) for e in errors)
                continue
            yield number, _request(values)
    except csv.Error as exc:
        raise BatchFileError(f"line {reader.line_num}: not valid CSV ({exc})") from None
    if header is None:
        raise BatchFileError("the CSV file has no header row")


def _csv_values(cells: dict[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    """CSV cells as request fields: empty means omitted, duration a number, metadata JSON."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, cell in cells.items():
        text = cell.strip() if name != "prompt" else cell
        if not text:
            continue
        if name == "duration":
            if text.isdigit():
                values[name] = int(text)
            else:
                errors.append(FieldError("duration", "must be a whole number of seconds"))
        elif name == "metadata":
            try:
                values[name] = parse_metadata(text)
            except ValidationError as exc:
                errors.extend(exc.errors)
        elif name == "mediaUrls":
            values[name] = [url for url in _MEDIA_SPLIT.split(text) if url]
        else:
            values[name] = text
    return values, errors
