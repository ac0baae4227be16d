"""Preferences applied to the running app: keys from ``[keys]``, the theme, and remembering it."""

from __future__ import annotations

import asyncio

from textual.app import App
from textual.theme import Theme

from seedance_tui.config import ConfigError, Settings, where
from seedance_tui.service import update_config
from seedance_tui.ui.keymap import build_keymap


def apply_preferences(app: App[int], settings: Settings) -> list[str]:
    """Apply keys and theme; return one message per setting left at its default."""
    keymap, problems = build_keymap(settings.keys, settings.config_path)
    problems = [*settings.warnings, *problems]
    app.set_keymap(keymap)
    if settings.theme is not None:
        if settings.theme in app.available_themes:
            app.theme = settings.theme
        else:
            problems.append(
                f"{_theme_place(settings)}: unknown theme {settings.theme!r}; "
                f"known ones are {', '.join(sorted(app.available_themes))}"
            )
    ThemeMemory(app, settings).start()
    return problems


def _theme_place(settings: Settings) -> str:
    path = settings.config_path
    try:
        place = where(path, path.read_text(encoding="utf-8"), "theme")
    except (OSError, UnicodeDecodeError):
        place = str(path)
    return place if place != str(path) else "--theme"


class ThemeMemory:
    """Writes a theme the user picks (say, in the command palette) back into the config file."""

    def __init__(self, app: App[int], settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.saved = app.theme

    def start(self) -> None:
        self.app.theme_changed_signal.subscribe(self.app, self._changed)

    def _changed(self, theme: Theme) -> None:
        if theme.name == self.saved:
            return
        self.saved = theme.name
        self.settings.theme = theme.name
        self.app.run_worker(self._save(theme.name), group="preferences", exit_on_error=False)

    async def _save(self, name: str) -> None:
        try:
            # Off the UI loop: a slow disk must not stall the screen.
            await asyncio.to_thread(update_config, self.settings.config_path, {"theme": name})
        except ConfigError as exc:
            self.app.notify(f"Theme not remembered: {exc}", severity="warning", markup=False)
