"""Plain data shared by every layer: the generation request, its validation, and the Job record.

Import from here: ``request`` holds the contract's request and its rules, ``job`` the Job and its statuses.
"""

from seedance_tui.models.job import (
    CANCELLABLE_STATUSES,
    DEMO_API,
    FINAL_STATUSES,
    REMOTE_STATUSES,
    Job,
    JobStatus,
    StatusChange,
    is_final,
    needs_polling,
    new_local_id,
)
from seedance_tui.models.request import (
    API_PREFIX,
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_MODEL,
    DEFAULT_RESOLUTION,
    MAX_PROMPT_CHARS,
    MODELS,
    RESOLUTIONS,
    FieldError,
    GenerationRequest,
    ValidationError,
    allowed_durations,
    durations_text,
    is_utf8,
    parse_metadata,
)

__all__ = [
    "API_PREFIX",
    "ASPECT_RATIOS",
    "CANCELLABLE_STATUSES",
    "DEFAULT_ASPECT_RATIO",
    "DEFAULT_DURATION",
    "DEFAULT_MODEL",
    "DEFAULT_RESOLUTION",
    "DEMO_API",
    "FINAL_STATUSES",
    "MAX_PROMPT_CHARS",
    "MODELS",
    "REMOTE_STATUSES",
    "RESOLUTIONS",
    "FieldError",
    "GenerationRequest",
    "Job",
    "JobStatus",
    "StatusChange",
    "ValidationError",
    "allowed_durations",
    "durations_text",
    "is_final",
    "is_utf8",
    "needs_polling",
    "new_local_id",
    "parse_metadata",
]
