"""The app's one former import circle stays broken: `app.extensions` (the limiter) imports
nothing of the app, at module level or inside a function; authentication hands it the rate
limit's key and limit on `g`."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_extensions_import_nothing_of_the_app() -> None:
    modules = imported_modules(APP / "extensions.py")
    assert "flask_limiter" in modules, modules
    of_the_app = sorted(name for name in modules if name == "app" or name.startswith("app."))
    assert of_the_app == [], f"app/extensions.py imports {of_the_app}"
