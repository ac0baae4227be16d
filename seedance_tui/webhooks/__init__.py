"""Opt-in push delivery: receive the API's webhooks and confirm each one with a GET before trusting it.

Only the plan is imported eagerly: the receiver brings uvicorn and starlette (~35 ms), which a
dashboard without webhooks never needs, so those names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seedance_tui.lazy import lazy_exports
from seedance_tui.webhooks.plan import WebhookPlan, parse_listen, plan_from_flags

if TYPE_CHECKING:
    from seedance_tui.webhooks.confirm import confirm_with_api, lookup_job, receiver_for
    from seedance_tui.webhooks.lifecycle import run_with_webhooks
    from seedance_tui.webhooks.receiver import (
        WEBHOOK_PATH,
        JobLookup,
        WebhookReceiver,
        WebhookVerdict,
    )

__getattr__ = lazy_exports(
    __name__,
    {
        "confirm_with_api": "confirm",
        "lookup_job": "confirm",
        "receiver_for": "confirm",
        "run_with_webhooks": "lifecycle",
        "WEBHOOK_PATH": "receiver",
        "JobLookup": "receiver",
        "WebhookReceiver": "receiver",
        "WebhookVerdict": "receiver",
    },
)


__all__ = [
    "WEBHOOK_PATH",
    "JobLookup",
    "WebhookPlan",
    "WebhookReceiver",
    "WebhookVerdict",
    "confirm_with_api",
    "lookup_job",
    "parse_listen",
    "plan_from_flags",
    "receiver_for",
    "run_with_webhooks",
]
