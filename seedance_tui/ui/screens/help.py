"""The help screen: every key of the screen below it (bindings in force) and the status legend."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from seedance_tui.ui.status_look import STATUS_LOOKS
from seedance_tui.ui.styles import style_path

HelpRow = tuple[str, str]


def help_rows(screen: Screen[Any]) -> list[HelpRow]:
    """(keys, description) of each binding in force on ``screen``, remapped keys included.

    Bindings its ``check_action`` hides (read-only mode, for one) are left out, as the footer does.
    """
    grouped: dict[tuple[int, str], tuple[list[str], Binding]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        group = (id(active.node), binding.id or binding.action)
        keys, _ = grouped.setdefault(group, ([], binding))
        display = screen.app.get_key_display(binding.with_key(key))
        if display not in keys:
            keys.append(display)
    nodes = {id(active.node): active.node for active in screen.active_bindings.values()}

    def rank(group: tuple[int, str]) -> tuple[bool, int, int]:
        # The screen's own actions first, then the focused widget's, then the app's, each in the
        # order they are declared (a remapped binding would otherwise come last); Textual's
        # built-ins (focus, scrolling, copy) at the end.
        node = nodes[group[0]]
        declared = [getattr(b, "id", None) for b in type(node).__dict__.get("BINDINGS", [])]
        binding_id = grouped[group][1].id
        position = declared.index(binding_id) if binding_id in declared else len(declared)
        return binding_id is None, 0 if node is screen else 2 if node is screen.app else 1, position

    ordered = [grouped[group] for group in sorted(grouped, key=rank)]
    return [(" ".join(keys), binding.description or binding.action) for keys, binding in ordered]


def legend() -> Content:
    """One line per status: its symbol in its colour, then its name."""
    lines = [Content.styled(f" {look.symbol}  {look.label}", look.style) for look in STATUS_LOOKS.values()]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """Keys of the screen it was opened on; escape, q or ? closes it."""

    CSS_PATH = style_path("help.tcss")
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss_help", "Close help", id="close_help")]

    def __init__(self, title: str, rows: list[HelpRow]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        width = max((len(keys) for keys, _ in self.rows), default=4) + 2
        keys_text = Content("\n").join(
            Content.assemble((f"{keys:<{width}}", "bold $accent"), description)
            for keys, description in self.rows
        )
        with Vertical(id="help-box"):
            yield Static(Content.styled(f"Keys: {self.title_text}", "bold"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(keys_text, id="help-keys")
                yield Static(Content.styled("Job status symbols", "bold"), classes="help-section")
                yield Static(legend(), id="help-legend")
            yield Static("escape closes · ↑↓ pgup pgdn scroll", id="help-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
