"""Every key binding of every screen by its stable id, and the user's ``[keys]`` table checked against them.

The table is applied through Textual's keymap (App.set_keymap), so footer, help screen and command
palette all show the keys actually in force.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import KEY_TO_UNICODE_NAME, REPLACED_KEYS, Keys, _normalize_key_list, key_to_character

from seedance_tui.config import where
from seedance_tui.service import POST_ACTION_IDS

if TYPE_CHECKING:
    from textual.screen import Screen

#: Modifiers Textual reports on keys.
MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED_KEYS = (
    frozenset(value.rpartition("+")[2] for value in Keys)
    | frozenset(KEY_TO_UNICODE_NAME)
    | frozenset(REPLACED_KEYS)
)


class KeyRow(NamedTuple):
    """One binding as ``seedance-tui keys`` lists it."""

    id: str
    screen: str
    keys: str
    description: str


def scopes() -> list[tuple[str, list[type[DOMNode]]]]:
    """Each screen's name and the classes whose bindings are active on it, innermost first."""
    # Imported here: the app imports this module to apply the keymap.
    from seedance_tui.ui.app import SeedanceApp
    from seedance_tui.ui.screens.batch import BatchScreen
    from seedance_tui.ui.screens.cancel import CancelDialog
    from seedance_tui.ui.screens.columns import ColumnChooser
    from seedance_tui.ui.screens.detail import DetailScreen
    from seedance_tui.ui.screens.dialogs import AskDialog, ConfirmDialog
    from seedance_tui.ui.screens.help import HelpScreen
    from seedance_tui.ui.screens.main import MainScreen
    from seedance_tui.ui.screens.main_many import ManyJobsScreen
    from seedance_tui.ui.screens.submit import SubmitScreen
    from seedance_tui.ui.views_ui import ViewNameDialog
    from seedance_tui.ui.widgets.job_table import JobTable

    return [
        ("app", [SeedanceApp]),
        ("main", [JobTable, MainScreen, ManyJobsScreen, SeedanceApp]),
        ("detail", [DetailScreen, SeedanceApp]),
        ("submit", [SubmitScreen]),
        ("cancel", [CancelDialog]),
        ("batch", [BatchScreen]),
        ("confirm", [ConfirmDialog]),
        ("ask", [AskDialog]),
        ("help", [HelpScreen]),
        ("columns", [ColumnChooser]),
        ("view", [ViewNameDialog]),
    ]


def _own_bindings(cls: type[DOMNode]) -> list[Binding]:
    return [b if isinstance(b, Binding) else Binding(*b) for b in cls.__dict__.get("BINDINGS", [])]


def key_rows(keymap: dict[str, str] | None = None) -> list[KeyRow]:
    """Every binding once, under the screen that defines it, with the keys in force."""
    keymap = keymap or {}
    rows: list[KeyRow] = []
    seen: set[type[DOMNode]] = set()
    for screen, classes in scopes():
        for cls in classes:
            if cls in seen:
                continue
            seen.add(cls)
            for binding in _own_bindings(cls):
                keys = keymap.get(binding.id or "", binding.key)
                rows.append(KeyRow(binding.id or "", screen, keys, binding.description))
    return rows


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a key name Textual knows, or None when it is one."""
    *modifiers, name = key.split("+")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        return f"{unknown[0]!r} is not a modifier (use {', '.join(sorted(MODIFIERS))})"
    if len(name) == 1 or name in _NAMED_KEYS or key_to_character(name) is not None:
        return None
    return f"{key!r} is not a key name (examples: f5, ctrl+s, n, question_mark, enter)"


def build_keymap(table: dict[str, str], path: Path) -> tuple[dict[str, str], list[str]]:
    """The keymap to apply, and one message per entry left out (its defaults stay in force)."""
    if not table:
        return {}, []  # nothing to check: the screens' modules (the form's TextArea...) load when opened
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    scope_bindings = {
        screen: [b for cls in classes for b in _own_bindings(cls)] for screen, classes in scopes()
    }
    known = {b.id for bindings in scope_bindings.values() for b in bindings}
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, value in table.items():
        place = where(path, text, binding_id, "keys")
        if binding_id not in known:
            problems.append(f"{place}: unknown action id {binding_id!r} (see `seedance-tui keys`)")
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(f'{place}: keys for {binding_id} must be a string such as "ctrl+s,f5"')
            continue
        keys = [key.strip() for key in _normalize_key_list(value).split(",")]
        bad = next((p for p in map(key_problem, keys) if p), None)
        if bad:
            problems.append(f"{place}: {bad}; {binding_id} keeps its default keys")
            continue
        keymap[binding_id] = ",".join(keys)
    for binding_id, key, clash in _clashes(keymap, scope_bindings):
        problems.append(
            f"{where(path, text, binding_id, 'keys')}: {key} is already bound to {clash}; "
            f"{binding_id} keeps its default keys"
        )
        keymap.pop(binding_id, None)
    return keymap, problems


def _clashes(keymap: dict[str, str], scope_bindings: dict[str, list[Binding]]) -> list[tuple[str, str, str]]:
    """(id, key, the other id on the same screen) for each remapped key that is already taken."""
    found: list[tuple[str, str, str]] = []
    for screen, bindings in scope_bindings.items():
        in_force: dict[str, str] = {}
        for binding in bindings:
            for key in keymap.get(binding.id or "", binding.key).split(","):
                in_force.setdefault(_normalize_key_list(key.strip()), binding.id or "")
        for binding in bindings:
            mapped = keymap.get(binding.id or "")
            if mapped is None:
                continue
            for key in mapped.split(","):
                owner = in_force.get(key)
                if owner and owner != binding.id and (binding.id, key, f"{owner} ({screen})") not in found:
                    found.append((binding.id or "", key, f"{owner} ({screen})"))
    return found


def keys_for(screen: Screen[Any], binding_id: str) -> str:
    """The keys in force for one binding id on ``screen``, as shown to the user (``ctrl+s/f5``)."""
    app = screen.app
    keys = [
        app.get_key_display(a.binding) for a in screen.active_bindings.values() if a.binding.id == binding_id
    ]
    return "/".join(keys)


def sends_post(node: DOMNode, action: str) -> bool:
    """True when ``action`` on ``node`` is bound under an id that sends a POST (hidden when read-only)."""
    return any(
        b.action == action and b.id in POST_ACTION_IDS
        for cls in type(node).__mro__
        for b in _own_bindings(cls)
    )
