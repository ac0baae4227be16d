"""Saved views: a name for a query plus sort and columns, kept in the config file's ``[views]`` tables.

Checked at start-up: a view with a query that does not parse, an unknown sort or an unknown
column is left out with a message naming the file and line; the others still load.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from seedance_tui.config import Settings, where
from seedance_tui.query import QueryError, parse_query

#: View names double as TOML keys written back into the config file.
VIEW_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


@dataclass
class View:
    """What a view restores: the search query, the sort, and (when given) the columns."""

    name: str
    query: str = ""
    sort: str | None = None
    reverse: bool | None = None
    columns: list[str] | None = None

    def to_toml(self) -> dict[str, Any]:
        """The view's table as written to the config file (unset fields are left out)."""
        table: dict[str, Any] = {"query": self.query}
        if self.sort is not None:
            table["sort"] = self.sort
        if self.reverse is not None:
            table["reverse"] = self.reverse
        if self.columns is not None:
            table["columns"] = list(self.columns)
        return table


def load_views(
    settings: Settings, sort_keys: Collection[str], column_keys: Collection[str]
) -> tuple[list[View], list[str]]:
    """The valid views in file order, and one message per view left out or default view not found."""
    path = settings.config_path
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    views: list[View] = []
    problems: list[str] = []
    for name, table in settings.views.items():
        place = where(path, text, "query", f"views.{name}")
        try:
            views.append(_view(name, table, sort_keys, column_keys))
        except ValueError as exc:
            problems.append(f"{place}: view {name!r} is left out: {exc}")
    default = settings.default_view
    if default is not None and default not in {view.name for view in views}:
        problems.append(f"{where(path, text, 'default_view')}: default_view {default!r} is not a usable view")
    return views, problems


def _view(name: str, table: Any, sort_keys: Collection[str], column_keys: Collection[str]) -> View:
    if not VIEW_NAME.fullmatch(name):
        raise ValueError("a view name is letters, digits, - and _ only")
    if not isinstance(table, dict):
        raise ValueError('expected a table such as [views.failures] with query = "status:failed"')
    query = table.get("query", "")
    if not isinstance(query, str):
        raise ValueError("query must be a string")
    try:
        parse_query(query, 0.0)
    except QueryError as exc:
        raise ValueError(f"its query does not parse: {exc}") from None
    sort = table.get("sort")
    if sort is not None and sort not in sort_keys:
        raise ValueError(f"sort {sort!r} is not one of {', '.join(sort_keys)}")
    reverse = table.get("reverse")
    if reverse is not None and not isinstance(reverse, bool):
        raise ValueError("reverse must be true or false")
    columns = table.get("columns")
    if columns is not None and (
        not isinstance(columns, list) or not columns or any(c not in column_keys for c in columns)
    ):
        raise ValueError(f"columns must be a list of {', '.join(column_keys)}")
    return View(name, query, sort, reverse, columns)
