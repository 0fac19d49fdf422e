"""The scanning library never imports the `oi` program (scanner.cli) or its dependencies: the
library stays standard-library only, and the program sits on top of it, not inside it."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import scanner

PROGRAM = "scanner.cli"
PROGRAM_ONLY = ("click", "rich", "platformdirs")


def of_the_program(name: str) -> bool:
    return name == PROGRAM or name.startswith(PROGRAM + ".") or name.split(".")[0] in PROGRAM_ONLY


def library_modules() -> list[str]:
    root = Path(scanner.__file__).parent
    return [
        info.name
        for info in pkgutil.walk_packages([str(root)], prefix="scanner.")
        if not of_the_program(info.name)
    ]


def test_importing_every_library_module_loads_nothing_of_the_program() -> None:
    modules = library_modules()
    assert {"scanner.transport", "scanner.client", "scanner.verify"} <= set(modules), modules
    probe = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = [name for name in json.loads(done.stdout) if of_the_program(name)]
    assert loaded == [], f"importing the library loaded {loaded}"
