"""Background polling of unfinished jobs: who to poll next, backoff, rate limits, API health."""

from seedance_tui.polling.health import ApiHealth, HealthState
from seedance_tui.polling.policy import PollPolicy, RequestBudget
from seedance_tui.polling.scheduler import FetchTask, PollScheduler
from seedance_tui.polling.stats import PollStats

__all__ = [
    "ApiHealth",
    "FetchTask",
    "HealthState",
    "PollPolicy",
    "PollScheduler",
    "PollStats",
    "RequestBudget",
]
