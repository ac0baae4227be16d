"""What a task costs, fixed when the simulator accepts it (the formula lives in seedance_tui.pricing)."""

from seedance_tui.pricing import RATE_PER_SECOND, RESOLUTION_FACTOR, credits_for

__all__ = ["RATE_PER_SECOND", "RESOLUTION_FACTOR", "credits_for"]
