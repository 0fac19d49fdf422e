"""`oi` profiles: which service to talk to and with which token, in one TOML file (mode 0600).

The file is `profiles.toml` in platformdirs' user config directory for `tokenpatrol`
(`$XDG_CONFIG_HOME/tokenpatrol/`, else `~/.config/tokenpatrol/` on Linux):

    active = "work"
    [profiles.work]
    app_url = "https://tokens.example.com"
    token = "oi_pat_..."
    agent_id = "agent-alpha"

`OPENINDEX_APP_URL` and `OPENINDEX_TOKEN` override the active profile's values; `--app-url`
overrides both. Standard library only, apart from platformdirs, loaded when a profile is read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scanner.errors import OiError

PROFILES_FILE = "profiles.toml"
APP_URL_ENV = "OPENINDEX_APP_URL"


class ProfileError(OiError):
    """The profiles file exists but cannot be read."""


def config_dir() -> Path:
    """platformdirs' answer, imported here: only commands that read a profile pay for it."""
    from platformdirs import user_config_path

    return user_config_path("tokenpatrol", appauthor=False)


def path() -> Path:
    return config_dir() / PROFILES_FILE


def load() -> dict[str, Any]:
    """The whole file; ProfileError when it exists but cannot be read."""
    import tomllib

    try:
        document = tomllib.loads(path().read_text())
    except FileNotFoundError:
        return {"active": "default", "profiles": {}}
    except (OSError, ValueError) as error:
        raise ProfileError(f"cannot read {path()}: {error}") from None
    tables = document.get("profiles", {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise ProfileError(f"cannot read {path()}: `profiles` must hold one table per profile")
    return document


def active_profile() -> dict[str, Any]:
    """The active profile's settings, or {} when there is no readable profile file."""
    try:
        document = load()
    except ProfileError:
        return {}
    chosen = document.get("profiles", {}).get(document.get("active", "default"), {})
    return chosen if isinstance(chosen, dict) else {}


def configured_app_url(flag: str | None) -> str | None:
    """`--app-url`, else OPENINDEX_APP_URL, else the active profile's `app_url`."""
    url = flag or os.environ.get(APP_URL_ENV) or active_profile().get("app_url")
    return str(url) if url else None


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
