"""How each job status looks: its symbol, label, style class and theme colour, owned here alone.

The symbol alone tells every status apart, so 16-colour terminals and NO_COLOR stay readable;
colours come from theme variables, chosen so that "processing" ($primary, blue in ANSI themes)
never reads as "failed" ($error, red).
"""

from __future__ import annotations

from typing import NamedTuple

from seedance_tui.models import JobStatus


class StatusLook(NamedTuple):
    """Symbol, short label, theme style (``$variable`` plus text style) of one status."""

    symbol: str
    label: str
    style: str

    def css_class(self, prefix: str, status: str) -> str:
        """The component class a widget with ``prefix`` styles this status with."""
        return f"{prefix}--{status.replace('_', '-')}"


STATUS_LOOKS: dict[str, StatusLook] = {
    JobStatus.SUBMITTING: StatusLook("↑", "submitting", "$text-muted"),
    JobStatus.QUEUED: StatusLook("◌", "queued", "$text-muted"),
    JobStatus.PROCESSING: StatusLook("◐", "processing", "$primary bold"),
    JobStatus.SUCCEEDED: StatusLook("✔", "succeeded", "$success"),
    JobStatus.FAILED: StatusLook("✘", "failed", "$error bold"),
    JobStatus.CANCELLED: StatusLook("⊘", "cancelled", "$warning"),
    JobStatus.OUTCOME_UNKNOWN: StatusLook("?", "unknown", "$warning bold"),
    JobStatus.PROBABLY_NOT_CREATED: StatusLook("¿", "no task?", "$warning"),
    JobStatus.REJECTED: StatusLook("!", "rejected", "$error"),
    JobStatus.NOT_FOUND: StatusLook("∅", "not found", "$error"),
}

#: How a status the API invented after this version was written looks.
OTHER_LOOK = StatusLook("•", "", "$warning bold")


def look_of(status: str) -> StatusLook:
    """The look of ``status``; an unknown status keeps its own name as label."""
    return STATUS_LOOKS.get(status) or StatusLook(OTHER_LOOK.symbol, status, OTHER_LOOK.style)


def css_rules(widget: str, prefix: str) -> str:
    """Textual CSS giving ``widget``'s per-status component classes their theme colours."""
    rules = []
    for status, look in [*STATUS_LOOKS.items(), ("other", OTHER_LOOK)]:
        colour, *text_style = look.style.split()
        style = f" text-style: {text_style[0]};" if text_style else ""
        rules.append(f"{widget} > .{look.css_class(prefix, status)} {{ color: {colour};{style} }}")
    return "\n".join(rules)
