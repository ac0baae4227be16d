"""Textual's Footer, with each key built in the footer's style from the start.

Textual's ``FooterKey.compact`` starts True and is then bound to the footer's (False here): every
key restyled itself twice while mounting, ~1 ms a key, 15 ms of the dashboard's first paint with its
17 keys (issue 15). Set before mounting, neither change happens; the footer looks and acts the same.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    """A Footer whose keys are created compact or not as the footer is."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            _preset(widget, self.compact)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        """The keys' first showing is part of the screen's first frame: Textual's Footer waits for a
        refresh, so they came one frame later, behind the work started once the screen was painted."""
        if (
            self._bindings_ready
            or not screen.app.app_focus
            or not self.is_attached
            or screen is not self.screen
        ):
            super().bindings_changed(screen)
            return
        self._bindings_ready = True
        self.call_next(self.recompose)


def _preset(widget: Widget, compact: bool) -> None:
    # Textual binds every key to the footer's ``compact`` but the command palette's, which stays compact.
    if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
        widget.set_reactive(FooterKey.compact, compact)
        widget.set_class(compact, "-compact", update=False)
