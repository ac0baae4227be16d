"""Opt-in push delivery: receive the API's webhooks and confirm each one with a GET before trusting it."""

from seedance_tui.webhooks.confirm import confirm_with_api, lookup_job, receiver_for
from seedance_tui.webhooks.lifecycle import run_with_webhooks
from seedance_tui.webhooks.plan import WebhookPlan, parse_listen, plan_from_flags
from seedance_tui.webhooks.receiver import (
    WEBHOOK_PATH,
    JobLookup,
    WebhookReceiver,
    WebhookVerdict,
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
