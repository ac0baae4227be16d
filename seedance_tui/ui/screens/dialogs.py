"""Two small modal questions the bulk actions share: yes or no, and one line of text."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from seedance_tui.ui.styles import style_path


class ConfirmDialog(ModalScreen[bool]):
    """Asks once before an action on many jobs; dismisses with True only for yes."""

    CSS_PATH = style_path("dialogs.tcss")
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n", "answer(False)", "No", id="confirm_no"),
        Binding("escape", "answer(False)", "Close", id="close_dialog"),
    ]

    def __init__(self, title: str, body: str, yes: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.body, id="confirm-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes-button", variant="warning", compact=True)
                yield Button("No (n)", id="no-button", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no-button").focus()

    @on(Button.Pressed, "#yes-button")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no-button")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class AskDialog(ModalScreen[str | None]):
    """One line of text (a request id, a file path); dismisses with it, or None."""

    CSS_PATH = style_path("dialogs.tcss")
    BINDINGS = [Binding("escape", "close", "Close", id="close_dialog")]

    def __init__(self, title: str, placeholder: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="ask-input")
            yield Label("enter to confirm · escape to close", classes="dialog-hint")

    @on(Input.Submitted, "#ask-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_close(self) -> None:
        self.dismiss(None)
