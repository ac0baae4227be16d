"""The service layer: what the dashboard and the command line call.

Its ``__all__`` is the whole surface the UI may use (checked by ``tests/unit/test_layers.py``):
the UI never talks to the API client, the store, the poller or the webhook receiver itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seedance_tui.lazy import lazy_exports

if TYPE_CHECKING:
    from seedance_tui.batch_file import (
        BatchFileError,
        BatchPlan,
        looks_like_csv,
        parse_matrix,
        plan_batch,
        read_source,
    )
    from seedance_tui.config_file import (
        update_config,
    )
    from seedance_tui.export import (
        export_to_file,
    )
    from seedance_tui.notify import (
        Alerter,
        NotifyMode,
        toast_for,
    )
    from seedance_tui.preview import Frame, PreviewError, half_blocks
    from seedance_tui.query import (
        Query,
        QueryError,
        job_haystack,
        parse_query,
    )
    from seedance_tui.read_only import (
        POST_ACTION_IDS,
    )
    from seedance_tui.service.batch import (
        BatchRunner,
        LineResult,
        SendPlan,
        describe_plan,
        plan_line,
        sort_plan,
    )
    from seedance_tui.service.bulk import (
        JobResult,
        cancel_many,
        download_many,
        plan_cancel,
        rerun_credits,
        rerun_many,
        summarize,
    )
    from seedance_tui.service.jobs import (
        ApiHealth,
        CancelOutcome,
        CancelResult,
        DamageListener,
        DownloadsState,
        Estimate,
        HealthListener,
        HealthState,
        JobService,
        JobsListener,
        Role,
        RoleListener,
        RoleState,
        StoreError,
        StoreProblemListener,
        SubmitError,
        SubmitOutcome,
        foreign_job_message,
        long_eta,
        not_cancellable_reason,
        output_state,
        short_eta,
    )
    from seedance_tui.service.tracking import TrackResult, track
    from seedance_tui.store.history import ArchivedRead, HistoryTotals
    from seedance_tui.summary import PROBLEMS, Summary
    from seedance_tui.terminal_graphics import (
        cell_pixels,
    )
    from seedance_tui.views import (
        VIEW_NAME,
        View,
        load_views,
    )

__all__ = [
    "POST_ACTION_IDS",
    "PROBLEMS",
    "VIEW_NAME",
    "Alerter",
    "ApiHealth",
    "ArchivedRead",
    "BatchFileError",
    "BatchPlan",
    "BatchRunner",
    "CancelOutcome",
    "CancelResult",
    "DamageListener",
    "DownloadsState",
    "Estimate",
    "Frame",
    "HealthListener",
    "HealthState",
    "HistoryTotals",
    "JobResult",
    "JobService",
    "JobsListener",
    "LineResult",
    "NotifyMode",
    "PreviewError",
    "Query",
    "QueryError",
    "Role",
    "RoleListener",
    "RoleState",
    "SendPlan",
    "StoreError",
    "StoreProblemListener",
    "SubmitError",
    "SubmitOutcome",
    "Summary",
    "TrackResult",
    "View",
    "cancel_many",
    "cell_pixels",
    "describe_plan",
    "download_many",
    "export_to_file",
    "foreign_job_message",
    "half_blocks",
    "job_haystack",
    "load_views",
    "long_eta",
    "looks_like_csv",
    "not_cancellable_reason",
    "output_state",
    "parse_matrix",
    "parse_query",
    "plan_batch",
    "plan_cancel",
    "plan_line",
    "read_source",
    "rerun_credits",
    "rerun_many",
    "short_eta",
    "sort_plan",
    "summarize",
    "toast_for",
    "track",
    "update_config",
]

#: Each export loads its module on first use: the dashboard's start needs the jobs service, not
#: batch files, bulk actions, tracking or export (issue 15).
__getattr__ = lazy_exports(
    "seedance_tui",
    {
        "POST_ACTION_IDS": "read_only",
        "PROBLEMS": "summary",
        "VIEW_NAME": "views",
        "Alerter": "notify",
        "ApiHealth": "service.jobs",
        "ArchivedRead": "store.history",
        "BatchFileError": "batch_file",
        "BatchPlan": "batch_file",
        "BatchRunner": "service.batch",
        "CancelOutcome": "service.jobs",
        "CancelResult": "service.jobs",
        "DamageListener": "service.jobs",
        "DownloadsState": "service.jobs",
        "Estimate": "service.jobs",
        "Frame": "preview",
        "HealthListener": "service.jobs",
        "HealthState": "service.jobs",
        "HistoryTotals": "store.history",
        "JobResult": "service.bulk",
        "JobService": "service.jobs",
        "JobsListener": "service.jobs",
        "LineResult": "service.batch",
        "NotifyMode": "notify",
        "PreviewError": "preview",
        "Query": "query",
        "QueryError": "query",
        "Role": "service.jobs",
        "RoleListener": "service.jobs",
        "RoleState": "service.jobs",
        "SendPlan": "service.batch",
        "StoreError": "service.jobs",
        "StoreProblemListener": "service.jobs",
        "SubmitError": "service.jobs",
        "SubmitOutcome": "service.jobs",
        "Summary": "summary",
        "TrackResult": "service.tracking",
        "View": "views",
        "cancel_many": "service.bulk",
        "cell_pixels": "terminal_graphics",
        "describe_plan": "service.batch",
        "download_many": "service.bulk",
        "export_to_file": "export",
        "foreign_job_message": "service.jobs",
        "half_blocks": "preview",
        "job_haystack": "query",
        "load_views": "views",
        "long_eta": "service.jobs",
        "looks_like_csv": "batch_file",
        "not_cancellable_reason": "service.jobs",
        "output_state": "service.jobs",
        "parse_matrix": "batch_file",
        "parse_query": "query",
        "plan_batch": "batch_file",
        "plan_cancel": "service.bulk",
        "plan_line": "service.batch",
        "read_source": "batch_file",
        "rerun_credits": "service.bulk",
        "rerun_many": "service.bulk",
        "short_eta": "service.jobs",
        "sort_plan": "service.batch",
        "summarize": "service.bulk",
        "toast_for": "notify",
        "track": "service.tracking",
        "update_config": "config_file",
    },
)
