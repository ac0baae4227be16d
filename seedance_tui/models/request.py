"""The contract's generation request: its fields and values, every rule it must keep, and its JSON."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from seedance_tui.jsonlimits import INT_RANGE, MAX_DEPTH, depth_exceeds

#: The path of the contract's endpoints, shared by the client and the simulator.
API_PREFIX = "/api/open/v1/video/generations"

MODELS: tuple[str, ...] = ("seedance-2.0", "seedance-2.0-fast", "seedance-1.5-pro")
ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1")
RESOLUTIONS: tuple[str, ...] = ("480p", "720p", "1080p")

#: The contract's example request; the form preselects these.
DEFAULT_MODEL = "seedance-2.0"
DEFAULT_ASPECT_RATIO = "16:9"
DEFAULT_DURATION = 5
DEFAULT_RESOLUTION = "720p"
#: Longest prompt accepted anywhere (form, submit, batch files): a pasted file is not a prompt.
MAX_PROMPT_CHARS = 20_000

_DURATIONS: dict[str, tuple[int, ...]] = {
    "seedance-2.0": tuple(range(4, 16)),
    "seedance-2.0-fast": tuple(range(4, 16)),
    "seedance-1.5-pro": (5, 10),
}


def allowed_durations(model: str) -> tuple[int, ...]:
    """Durations (seconds) the contract allows for ``model``; empty for an unknown model."""
    return _DURATIONS.get(model, ())


def durations_text(allowed: tuple[int, ...]) -> str:
    """``4-15`` for a run of seconds, ``5 or 10`` otherwise."""
    if len(allowed) > 2 and allowed == tuple(range(allowed[0], allowed[-1] + 1)):
        return f"{allowed[0]}-{allowed[-1]}"
    return " or ".join(map(str, allowed))


class FieldError(NamedTuple):
    """One violated rule: which field, and what the rule is."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationError(ValueError):
    """A request broke one or more of the contract's rules."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def is_utf8(text: str) -> bool:
    """False for text holding lone surrogates (bytes that were not UTF-8, as Python decodes argv)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_http_url(value: str) -> bool:
    if not is_utf8(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


@dataclass
class GenerationRequest:
    """A text-to-video request as the user wrote it (snake_case here, camelCase on the wire)."""

    model: str
    prompt: str
    aspect_ratio: str | None = None
    duration: int | None = None
    resolution: str | None = None
    webhook_url: str | None = None
    metadata: dict[str, Any] | None = None
    media_urls: list[str] | None = None

    def errors(self) -> list[FieldError]:
        """Every rule of the contract this request breaks (empty when valid)."""
        errs: list[FieldError] = []
        if self.model not in MODELS:
            errs.append(FieldError("model", f"must be one of {', '.join(MODELS)}"))
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            errs.append(FieldError("prompt", "must not be empty"))
        elif len(self.prompt) > MAX_PROMPT_CHARS:
            errs.append(FieldError("prompt", f"must be at most {MAX_PROMPT_CHARS:,} characters"))
        elif not is_utf8(self.prompt):
            errs.append(
                FieldError("prompt", "is not valid UTF-8 text (check the terminal's or file's encoding)")
            )
        if self.aspect_ratio is not None and self.aspect_ratio not in ASPECT_RATIOS:
            errs.append(FieldError("aspectRatio", f"must be one of {', '.join(ASPECT_RATIOS)}"))
        if self.duration is not None:
            allowed = allowed_durations(self.model)
            if isinstance(self.duration, bool) or not isinstance(self.duration, int):
                errs.append(FieldError("duration", "must be a whole number of seconds"))
            elif allowed and self.duration not in allowed:
                errs.append(FieldError("duration", f"must be {durations_text(allowed)} for {self.model}"))
        if self.resolution is not None and self.resolution not in RESOLUTIONS:
            errs.append(FieldError("resolution", f"must be one of {', '.join(RESOLUTIONS)}"))
        if self.webhook_url is not None and not _is_http_url(self.webhook_url):
            errs.append(FieldError("webhookUrl", "must be an http:// or https:// URL"))
        if self.metadata is not None and not isinstance(self.metadata, dict):
            errs.append(FieldError("metadata", "must be a JSON object"))
        elif self.metadata is not None and depth_exceeds(self.metadata):
            errs.append(FieldError("metadata", f"is nested more than {MAX_DEPTH} levels deep"))
        elif self.metadata is not None and (problem := _unstorable(self.metadata)):
            errs.append(FieldError("metadata", problem))
        if self.media_urls is not None:
            if not isinstance(self.media_urls, list):
                errs.append(FieldError("mediaUrls", "must be a list of http(s) URLs"))
            else:
                for i, url in enumerate(self.media_urls):
                    if not isinstance(url, str) or not _is_http_url(url):
                        errs.append(
                            FieldError("mediaUrls", f"item {i + 1} must be an http:// or https:// URL")
                        )
        return errs

    def validate(self) -> None:
        """Raise ValidationError naming every broken rule."""
        errs = self.errors()
        if errs:
            raise ValidationError(errs)

    def to_payload(self) -> dict[str, Any]:
        """The JSON body for the API: camelCase, optional fields omitted when unset."""
        payload: dict[str, Any] = {"model": self.model, "prompt": self.prompt}
        optional = {
            "aspectRatio": self.aspect_ratio,
            "duration": self.duration,
            "resolution": self.resolution,
            "webhookUrl": self.webhook_url,
            "metadata": self.metadata,
            "mediaUrls": self.media_urls or None,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> GenerationRequest:
        """Inverse of ``to_payload`` (unknown keys ignored)."""
        return cls(
            model=payload.get("model", ""),
            prompt=payload.get("prompt", ""),
            aspect_ratio=payload.get("aspectRatio"),
            duration=payload.get("duration"),
            resolution=payload.get("resolution"),
            webhook_url=payload.get("webhookUrl"),
            metadata=payload.get("metadata"),
            media_urls=payload.get("mediaUrls"),
        )


def parse_metadata(text: str) -> dict[str, Any] | None:
    """Parse metadata typed by a user: empty means none; anything but a JSON object is an error."""
    if not text.strip():
        return None
    too_deep = ValidationError([FieldError("metadata", f"is nested more than {MAX_DEPTH} levels deep")])
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:  # deeper than Python's parser goes: far past the limit
        raise too_deep from None
    except (json.JSONDecodeError, ValueError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise ValidationError([FieldError("metadata", f"is not valid JSON ({reason})")]) from None
    if depth_exceeds(value):
        raise too_deep
    if not isinstance(value, dict):
        raise ValidationError([FieldError("metadata", "must be a JSON object")])
    problem = _unstorable(value)
    if problem:
        raise ValidationError([FieldError("metadata", problem)])
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unstorable(value: Any) -> str | None:
    """Why ``value`` cannot be sent as JSON and kept in the job store (None when it can)."""
    if isinstance(value, str):
        return None if is_utf8(value) else "has text that is not valid UTF-8"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if value in INT_RANGE else "has a whole number too large to store (over 64 bits)"
    if isinstance(value, float):
        return None if math.isfinite(value) else "has a number that is not finite (NaN or Infinity)"
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return "has an object key that is not a string"
        if not all(map(is_utf8, value)):
            return "has an object key that is not valid UTF-8"
        return next((p for p in map(_unstorable, value.values()) if p), None)
    if isinstance(value, list):
        return next((p for p in map(_unstorable, value) if p), None)
    return f"has a value that is not JSON ({type(value).__name__})"
