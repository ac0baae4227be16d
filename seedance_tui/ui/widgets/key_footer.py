"""The footer: the keys in force, drawn by one widget on one line.

Hand-written because Textual's Footer mounts one FooterKey widget per shown key (the main screen's 8
and the command palette's), recomposed once the bindings are known: styling, laying out and rendering
them cost ~10 ms of CPU of the dashboard's first paint (issue 15). This draws the same line from the
same ``footer-key--*`` component classes (key text, description, spacing, dimmed when the action is
disabled, the palette key at the right), follows the screen's ``bindings_updated_signal`` as Footer
does, and maps a click back to its key.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget


class FooterItem(NamedTuple):
    """One key as the footer shows it; ``start``/``end`` are its cells on the line of keys."""

    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str
    start: int = 0
    end: int = 0


class KeyFooter(Widget, can_focus=False):
    """Textual's Footer look and behaviour (no binding groups, no compact mode) as a single widget."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "footer-key--key",
        "footer-key--description",
        "footer-key--hover",
        "footer-key--separator",
    }
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .footer-key--hover {
            background: $block-hover-background;
        }
        .footer-key--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_command_palette = show_command_palette
        self._items: tuple[list[FooterItem], FooterItem | None] | None = None
        self._hover: FooterItem | None = None
        self._scroll_x = 0

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        """Keys are read again (as Footer, not while the app has lost focus); redrawn if they changed."""
        if self._items is None or not (screen.app.app_focus and self.is_attached and screen is self.screen):
            return
        items = self._read_bindings()
        if items != self._items:
            self._items = items
            self._hover = None
            self.refresh()

    @property
    def items(self) -> tuple[list[FooterItem], FooterItem | None]:
        """The keys on the left, laid out from cell 0, and the command palette key (or None)."""
        if self._items is None:
            self._items = self._read_bindings()
        return self._items

    def _read_bindings(self) -> tuple[list[FooterItem], FooterItem | None]:
        # As Footer: shown bindings in order, one per action (its first key), then the palette's.
        active = self.screen.active_bindings
        app = self.app
        items: list[FooterItem] = []
        actions: set[str] = set()
        x = 0
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            display = app.get_key_display(binding)
            width = _width(display, binding.description, compact=False)
            items.append(
                FooterItem(binding.key, display, binding.description, enabled, tooltip, x, x + width)
            )
            x += width
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            found = active.get(app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, binding, enabled, _tooltip = found
                palette = FooterItem(
                    binding.key,
                    app.get_key_display(binding),
                    binding.description,
                    enabled,
                    binding.tooltip or binding.description,
                )
        return items, palette

    def _palette_width(self, palette: FooterItem | None) -> int:
        # A left border, the key in compact style, one cell of padding on the right.
        return 0 if palette is None else 1 + _width(palette.display, palette.description, compact=True) + 1

    def item_at(self, x: int) -> FooterItem | None:
        """The key drawn at cell ``x`` of the footer, if any."""
        keys, palette = self.items
        palette_width = self._palette_width(palette)
        if palette is not None and x >= self.size.width - palette_width:
            return palette
        x += self._scroll_x
        return next((item for item in keys if item.start <= x < item.end), None)

    def render_line(self, y: int) -> Strip:
        keys, palette = self.items
        width = self.size.width
        blank = Style(bgcolor=self.rich_style.bgcolor)
        palette_width = min(self._palette_width(palette), width)
        room = width - palette_width
        segments: list[Segment] = []
        for item in keys:
            segments.extend(self._label(item, compact=False))
        line_width = keys[-1].end if keys else 0
        self._scroll_x = max(0, min(self._scroll_x, line_width - room))
        line = Strip(segments, line_width).crop(self._scroll_x, self._scroll_x + room)
        parts = [line.extend_cell_length(room, blank)]
        if palette is not None:
            separator = self.get_component_rich_style("footer-key--separator")
            if palette is self._hover:
                separator += self._hover_background()
                blank += self._hover_background()
            tail = [Segment("▏", separator), *self._label(palette, compact=True), Segment(" ", blank)]
            parts.append(Strip(tail).crop(0, palette_width))
        return Strip.join(parts)

    def _label(self, item: FooterItem, *, compact: bool) -> list[Segment]:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        if not item.enabled:
            key_style += _DIM
            description_style += _DIM
        if item is self._hover:
            key_style += self._hover_background()
            description_style += self._hover_background()
        if not item.description:
            return [Segment(item.display, key_style)]
        if compact:
            return [Segment(item.display, key_style), Segment(f" {item.description}", description_style)]
        return [Segment(f" {item.display} ", key_style), Segment(f"{item.description} ", description_style)]

    def _hover_background(self) -> Style:
        return Style(bgcolor=self.get_component_rich_style("footer-key--hover").bgcolor)

    # -- mouse ---------------------------------------------------------------------------

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """As FooterKey: a click presses the key, or rings the bell if its action is disabled."""
        item = self.item_at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self.item_at(event.x)
        if item is not self._hover:
            self._hover = item
            self.tooltip = (item.tooltip or None) if item is not None else None
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll_by(event, 1)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll_by(event, -1)

    def _scroll_by(self, event: events.MouseEvent, step: int) -> None:
        # As Footer: the wheel scrolls the keys sideways when they do not all fit.
        keys, palette = self.items
        room = self.size.width - self._palette_width(palette)
        scroll_x = max(0, min(self._scroll_x + step, (keys[-1].end if keys else 0) - room))
        if scroll_x != self._scroll_x:
            self._scroll_x = scroll_x
            self._hover = None
            self.refresh()
            event.stop()
            event.prevent_default()


_DIM = Style(dim=True)


def _width(display: str, description: str, *, compact: bool) -> int:
    """Cells of a key as FooterKey pads it: ' k ' 'Description ' (compact: 'k' ' Description')."""
    if not description:
        return cell_len(display)
    return cell_len(display) + cell_len(description) + (1 if compact else 3)
