"""Reading and writing the profiles file (TOML, mode 0600) for the `oi` client commands."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scanner import profiles


class ProfileError(Exception):
    """The profiles file exists but cannot be read."""


def path() -> Path:
    return profiles.config_dir() / profiles.PROFILES_FILE


def load() -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(path().read_text())
    except FileNotFoundError:
        return {"active": "default", "profiles": {}}
    except (OSError, ValueError) as error:
        raise ProfileError(f"cannot read {path()}: {error}") from None


def save(document: dict[str, Any]) -> None:
    """Write the whole file, created 0600: it holds tokens."""
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"active = {json.dumps(document.get('active', 'default'))}", ""]
    for name, values in sorted(document.get("profiles", {}).items()):
        lines.append(f"[profiles.{json.dumps(name)}]")
        lines += [f"{key} = {json.dumps(str(value))}" for key, value in sorted(values.items())]
        lines.append("")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines))
    target.chmod(0o600)


def update_active(values: dict[str, str | None]) -> str:
    """Set (or, with None, remove) keys of the active profile; returns its name."""
    document = load()
    name = str(document.get("active", "default"))
    profile = document.setdefault("profiles", {}).setdefault(name, {})
    for key, value in values.items():
        if value is None:
            profile.pop(key, None)
        else:
            profile[key] = value
    document["active"] = name
    save(document)
    return name
