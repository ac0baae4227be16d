"""What a task costs: the simulator charges it, and batch plans estimate it before sending."""

from __future__ import annotations

import math

from seedance_tui.models import DEFAULT_DURATION, DEFAULT_RESOLUTION

#: Credits per second of video, by model.
RATE_PER_SECOND: dict[str, int] = {"seedance-2.0": 8, "seedance-2.0-fast": 5, "seedance-1.5-pro": 6}
#: Multiplier by resolution (720p is the reference).
RESOLUTION_FACTOR: dict[str, float] = {"480p": 0.5, "720p": 1.0, "1080p": 2.0}


def credits_for(model: str, duration: int | None, resolution: str | None) -> int:
    """Credits charged: rate_per_second[model] * duration * resolution_factor (5 s and 720p when omitted).

    seedance-2.0 = 8/s, seedance-2.0-fast = 5/s, seedance-1.5-pro = 6/s; 480p x0.5, 720p x1, 1080p x2.
    Half credits round up. seedance-2.0 for 5 s at 720p costs 40, the contract's example.
    Callers pass validated values.
    """
    seconds = DEFAULT_DURATION if duration is None else duration
    factor = RESOLUTION_FACTOR[resolution or DEFAULT_RESOLUTION]
    return math.ceil(RATE_PER_SECOND[model] * seconds * factor)
