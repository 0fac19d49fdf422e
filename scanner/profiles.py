"""Reading `oi` profiles (TOML under the user config dir), standard library only.

The file is `$XDG_CONFIG_HOME/tokenpatrol/profiles.toml` (`~/.config/...` by default, where
platformdirs puts it on Linux):

    active = "work"
    [profiles.work]
    app_url = "https://tokens.example.com"
    token = "oi_pat_..."
    agent_id = "agent-alpha"

`OPENINDEX_APP_URL` and `OPENINDEX_TOKEN` override the active profile's values.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROFILES_FILE = "profiles.toml"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tokenpatrol"


def active_profile() -> dict[str, Any]:
    """The active profile's settings, or {} when there is no readable profile file."""
    import tomllib

    try:
        document = tomllib.loads((config_dir() / PROFILES_FILE).read_text())
    except (OSError, ValueError):
        return {}
    profiles = document.get("profiles", {})
    chosen = profiles.get(document.get("active", "default"), {})
    return chosen if isinstance(chosen, dict) else {}
