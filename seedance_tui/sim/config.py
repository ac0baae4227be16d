"""Simulator settings: task timing, keys and injected faults, plus their command-line flags."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields

#: Fields that may be changed while the simulator runs (``SimulatorServer.set_faults``, ``/_sim/faults``).
FAULT_FIELDS: frozenset[str] = frozenset(
    {
        "failure_rate",
        "latency",
        "error_rate",
        "rate_limit_rate",
        "retry_after",
        "malformed_rate",
        "drop_rate",
        "down",
        "webhook_timeout",
    }
)
_RATE_FIELDS = frozenset({"failure_rate", "error_rate", "rate_limit_rate", "malformed_rate", "drop_rate"})


@dataclass(frozen=True)
class SimConfig:
    """How the simulated API behaves; frozen so a running server swaps it whole, never half-changed."""

    #: Mean seconds a task waits in the queue (each task draws its own around it).
    queue_seconds: float = 3.0
    #: Mean seconds a task spends processing.
    process_seconds: float = 8.0
    #: Time multiplier: 10 makes every task ten times faster.
    speed: float = 1.0
    #: Share of tasks that end failed instead of succeeded.
    failure_rate: float = 0.1
    #: Seed for the task and fault random generators (None: unpredictable).
    seed: int | None = None
    #: Accepted keys; None accepts any key starting with ``sd2_``. Keys containing ``revoked`` get 403.
    api_keys: frozenset[str] | None = None
    #: Seconds added before answering every API request.
    latency: float = 0.0
    #: Seconds added before serving a video file (a real CDN takes a while for megabytes).
    file_latency: float = 0.0
    #: Share of API requests answered with a 5xx.
    error_rate: float = 0.0
    #: Share of API requests answered with 429 and Retry-After.
    rate_limit_rate: float = 0.0
    #: Seconds announced in Retry-After.
    retry_after: float = 1.0
    #: Share of API requests answered 200 with a body that breaks the contract.
    malformed_rate: float = 0.0
    #: Share of API requests whose connection is closed mid-reply (after the request took effect).
    drop_rate: float = 0.0
    #: Every API request answers 503.
    down: bool = False
    #: Seconds to wait for a webhook receiver before counting the attempt failed.
    webhook_timeout: float = 5.0
    #: Tasks kept in memory; the oldest are forgotten beyond this.
    max_tasks: int = 10_000

    def __post_init__(self) -> None:
        for name in FAULT_FIELDS:
            _check_value(name, getattr(self, name))
        if not self.speed > 0:
            raise ValueError("speed: must be > 0")
        if self.queue_seconds < 0 or self.process_seconds < 0:
            raise ValueError("queue_seconds, process_seconds: must be >= 0")
        if self.max_tasks < 1:
            raise ValueError("max_tasks: must be >= 1")


def check_fault_fields(changes: dict[str, object]) -> None:
    """Raise ValueError unless ``changes`` names only fault fields with sensible values."""
    for name, value in changes.items():
        if name not in FAULT_FIELDS:
            raise ValueError(f"{name}: not a fault field (one of {', '.join(sorted(FAULT_FIELDS))})")
        _check_value(name, value)


def _check_value(name: str, value: object) -> None:
    if name == "down":
        if not isinstance(value, bool):
            raise ValueError("down: must be true or false")
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
        raise ValueError(f"{name}: must be a number >= 0")
    if name in _RATE_FIELDS and value > 1:
        raise ValueError(f"{name}: must be between 0 and 1")


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's flags to ``parser`` (shared by ``sim`` and ``--demo``)."""
    defaults = SimConfig()
    group = parser.add_argument_group("simulator")
    floats = {
        "--queue-seconds": ("queue_seconds", "mean seconds a task stays queued"),
        "--process-seconds": ("process_seconds", "mean seconds a task stays processing"),
        "--speed": ("speed", "time multiplier (10 = ten times faster)"),
        "--failure-rate": ("failure_rate", "share of tasks that fail (0-1)"),
        "--latency": ("latency", "seconds added to every API request"),
        "--error-rate": ("error_rate", "share of API requests answered 5xx (0-1)"),
        "--rate-limit-rate": ("rate_limit_rate", "share of API requests answered 429 (0-1)"),
        "--retry-after": ("retry_after", "seconds announced in Retry-After"),
        "--malformed-rate": ("malformed_rate", "share of API replies with a broken body (0-1)"),
        "--drop-rate": ("drop_rate", "share of API replies cut off mid-way (0-1)"),
    }
    for flag, (dest, text) in floats.items():
        default = getattr(defaults, dest)
        group.add_argument(flag, dest=f"sim_{dest}", type=float, default=default, help=f"{text} [{default}]")
    group.add_argument("--seed", dest="sim_seed", type=int, default=None, help="random seed")
    group.add_argument("--down", dest="sim_down", action="store_true", help="answer every API request 503")


def sim_config_from_args(ns: argparse.Namespace) -> SimConfig:
    """Build a SimConfig from flags added by ``add_sim_arguments``; ValueError names a bad value."""
    values = {f.name: getattr(ns, f"sim_{f.name}") for f in fields(SimConfig) if hasattr(ns, f"sim_{f.name}")}
    return SimConfig(**values)
