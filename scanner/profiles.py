"""Reading `oi` profiles (TOML under the user config dir), standard library only.

The file is `profiles.toml` in platformdirs' user config directory for `tokenpatrol`
(`$XDG_CONFIG_HOME/tokenpatrol/`, else `~/.config/tokenpatrol/` on Linux):

    active = "work"
    [profiles.work]
    app_url = "https://tokens.example.com"
    token = "oi_pat_..."
    agent_id = "agent-alpha"

`OPENINDEX_APP_URL` and `OPENINDEX_TOKEN` override the active profile's values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROFILES_FILE = "profiles.toml"


def config_dir() -> Path:
    """platformdirs' answer, imported here: only commands that read a profile pay for it."""
    from platformdirs import user_config_path

    return user_config_path("tokenpatrol", appauthor=False)


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
