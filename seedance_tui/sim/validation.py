"""Turn a raw submission body into a GenerationRequest, or say which field breaks which rule."""

from __future__ import annotations

import json
from typing import Any

from seedance_tui.models import GenerationRequest

#: Optional fields that must be strings when present (the body size cap is serving.MAX_BODY_BYTES).
_OPTIONAL_STRINGS = ("aspectRatio", "resolution", "webhookUrl")


class InvalidSubmission(ValueError):
    """The body breaks the contract; the message reads ``<field>: <rule>``."""


def parse_submission(body: bytes) -> GenerationRequest:
    """Parse and check a POST body against the contract's rules; raise InvalidSubmission otherwise."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidSubmission("body: must be valid JSON") from None
    if not isinstance(payload, dict):
        raise InvalidSubmission("body: must be a JSON object")
    type_errors = _type_errors(payload)
    if type_errors:
        raise InvalidSubmission("; ".join(type_errors))
    request = GenerationRequest.from_payload(payload)
    rule_errors = request.errors()
    if rule_errors:
        raise InvalidSubmission("; ".join(str(e) for e in rule_errors))
    return request


def _type_errors(payload: dict[str, Any]) -> list[str]:
    """Wrong JSON types, checked first because the model's rules assume the right types."""
    errors = [f"{name}: is required" for name in ("model", "prompt") if payload.get(name) is None]
    errors += [
        f"{name}: must be a string"
        for name in ("model", "prompt", *_OPTIONAL_STRINGS)
        if payload.get(name) is not None and not isinstance(payload[name], str)
    ]
    duration = payload.get("duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)):
        errors.append("duration: must be an integer")
    return errors
