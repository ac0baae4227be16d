"""Import hygiene that import-linter cannot say: ui/ uses an allow-list and service's ``__all__``.

The forbidden imports and layers themselves are contracts in pyproject.toml (``lint-imports``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import seedance_tui
from seedance_tui import service

PACKAGE = Path(seedance_tui.__file__).parent
#: What ui/ may import from the project, besides its own modules (the bare package: to find styles/).
UI_MAY_IMPORT = {
    "seedance_tui",
    "seedance_tui.service",
    "seedance_tui.models",
    "seedance_tui.config",
    "seedance_tui.text",
}


def _project_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every ``seedance_tui`` import in a file, at any depth."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("seedance_tui"):
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("seedance_tui")]
    return found


def _ui_files() -> list[Path]:
    return sorted((PACKAGE / "ui").rglob("*.py"))


def test_ui_imports_only_the_service_models_config_and_text() -> None:
    strays = [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in _ui_files()
        for module, _ in _project_imports(path)
        if module not in UI_MAY_IMPORT and not module.startswith("seedance_tui.ui")
    ]
    assert strays == []


def test_ui_takes_from_the_service_only_what_it_exports() -> None:
    taken = {
        name
        for path in _ui_files()
        for module, names in _project_imports(path)
        if module == "seedance_tui.service"
        for name in names
    }
    assert taken, "the UI imports nothing from the service: is this test still reading ui/?"
    assert taken <= set(service.__all__)
    assert all(hasattr(service, name) for name in service.__all__)


def _loaded_after(*modules: str) -> set[str]:
    """The modules a fresh interpreter has loaded after importing ``modules``."""
    code = f"import sys\nimport {', '.join(modules)}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    )
    return set(out.stdout.split())


def test_the_runtime_path_loads_neither_the_simulator_nor_textual_before_the_ui() -> None:
    loaded = _loaded_after(
        "seedance_tui.cli", "seedance_tui.service", "seedance_tui.webhooks", "seedance_tui.commands"
    )
    assert not {m for m in loaded if m.startswith(("seedance_tui.sim", "textual"))}


def test_the_dashboard_loads_no_simulator() -> None:
    loaded = _loaded_after("seedance_tui.launch")
    assert "textual" in loaded and not {m for m in loaded if m.startswith("seedance_tui.sim")}


def test_unit_tests_import_nothing_from_the_benchmarks() -> None:
    unit = Path(__file__).parent
    strays = [
        f"{path.name}: {module}"
        for path in sorted(unit.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (module := node.module or "").startswith("tests.perf")
    ]
    assert strays == []
