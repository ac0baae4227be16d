"""Typed replies of the API: bounded unknown fields kept, only the contract's statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SubmitReply:
    """Reply to POST /video/generations."""

    request_id: str
    status: str
    credits_charged: int | None


@dataclass(frozen=True)
class TaskReply:
    """Reply to GET /video/generations/{id}."""

    request_id: str
    status: str
    model: str | None = None
    prompt: str | None = None
    duration: int | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    output_url: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    #: Fields of the reply this version does not model.
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CancelReply:
    """Reply to POST /video/generations/{id}/cancel."""

    request_id: str
    status: str
