"""`oi` profiles: which service to talk to and with which token, in one TOML file (mode 0600).

The file is `profiles.toml` in platformdirs' user config directory for `tokenpatrol`
(`$XDG_CONFIG_HOME/tokenpatrol/`, else `~/.config/tokenpatrol/` on Linux):

    active = "work"
    [profiles.work]
    app_url = "https://tokens.example.com"
    token = "oi_pat_..."
    agent_id = "agent-alpha"

`OPENINDEX_APP_URL` and `OPENINDEX_TOKEN` override the active profile's values; `--app-url`
overrides both. A file that cannot be read is an error for every command that needs it, and
is never written over. Standard library only, apart from platformdirs, loaded when a profile
is read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scanner.errors import EXIT_ERROR, OiError, UsageError

PROFILES_FILE = "profiles.toml"
APP_URL_ENV = "OPENINDEX_APP_URL"
DEFAULT_PROFILE = "default"
URL_SCHEMES = ("http", "https")


class ProfileError(OiError):
    """The profiles file exists but cannot be read, or holds a value that cannot be used."""

    exit_code = EXIT_ERROR


def config_dir() -> Path:
    """platformdirs' answer, imported here: only commands that read a profile pay for it."""
    from platformdirs import user_config_path

    return user_config_path("tokenpatrol", appauthor=False)


def path() -> Path:
    return config_dir() / PROFILES_FILE


def load() -> dict[str, Any]:
    """The whole file; ProfileError (naming the file and the problem) when it cannot be read."""
    import tomllib

    try:
        document = tomllib.loads(path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"active": DEFAULT_PROFILE, "profiles": {}}
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{path()} is not valid TOML: {error}") from None
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise ProfileError(f"cannot read {path()}: {reason}") from None
    tables = document.get("profiles", {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise ProfileError(f"{path()}: `profiles` must hold one table per profile")
    if not isinstance(document.get("active", DEFAULT_PROFILE), str):
        raise ProfileError(f"{path()}: `active` must be a profile name in quotes")
    return document


def active() -> tuple[str, dict[str, Any]]:
    """The active profile's name and settings ({} when it has none yet)."""
    document = load()
    name = str(document.get("active", DEFAULT_PROFILE))
    return name, document.get("profiles", {}).get(name, {})


def active_profile() -> dict[str, Any]:
    """The active profile's settings; ProfileError when the file cannot be read."""
    return active()[1]


def where(name: str) -> str:
    """How an error names a profile: `profile 'work' in /path/profiles.toml`."""
    return f"profile {name!r} in {path()}"


def configured_app_url(flag: str | None) -> str | None:
    """`--app-url`, else OPENINDEX_APP_URL, else the active profile's `app_url`; each checked."""
    if flag is not None:
        return checked_url(flag, "--app-url")
    from_env = os.environ.get(APP_URL_ENV, "").strip()
    if from_env:
        return checked_url(from_env, APP_URL_ENV)
    name, profile = active()
    stored = str(profile.get("app_url") or "").strip()
    if not stored:
        return None
    try:
        return checked_url(stored, "app_url")
    except UsageError as error:
        raise ProfileError(f"{where(name)}: {error.message}") from None


def checked_url(value: str, source: str) -> str:
    """`value` as a service base URL without a trailing slash; UsageError naming `source`.

    A URL without a scheme is refused with the fix rather than guessed: guessing https for a
    local service fails obscurely, and guessing http would send a token in the clear.
    """
    from urllib.parse import urlsplit

    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    usable = parts is not None and parts.scheme in URL_SCHEMES and bool(parts.hostname)
    if not usable or blank_or_control(text):
        raise UsageError(f"{source} must be an http:// or https:// URL, not {text!r}{_hint(text)}")
    if parts is None or parts.username is not None or parts.query or parts.fragment:
        raise UsageError(f"{source} must be the service's base URL: no user, ?query or #fragment")
    return text.rstrip("/")


def app_url_argument(value: str) -> str:
    """argparse's `type=` for `--app-url`: refused in one line, exit 2, where it is given."""
    return checked_url(value, "--app-url")


def blank_or_control(text: str) -> bool:
    """True when `text` holds a space or a control character: a value pasted wrongly."""
    return any(char.isspace() or not char.isprintable() for char in text)


def _hint(text: str) -> str:
    """`localhost:5000` -> `; did you mean http://localhost:5000?` (only for a bare host)."""
    import re

    bare = re.fullmatch(r"(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::\d+)?(?:/\S*)?", text)
    if bare is None or ("." not in text and ":" not in text):
        return ""
    host = bare.group("host")
    scheme = "http" if host == "localhost" or host.startswith("127.") else "https"
    return f"; did you mean {scheme}://{text}?"


def save(document: dict[str, Any]) -> None:
    """Write the whole file, 0600 (it holds tokens), by replacing it: a crash midway loses
    nothing."""
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"active = {json.dumps(document.get('active', DEFAULT_PROFILE))}", ""]
    for name, values in sorted(document.get("profiles", {}).items()):
        lines.append(f"[profiles.{json.dumps(name)}]")
        lines += [f"{key} = {json.dumps(str(value))}" for key, value in sorted(values.items())]
        lines.append("")
    partial = target.with_name(f".{PROFILES_FILE}.{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    partial.chmod(0o600)
    os.replace(partial, target)


def update_active(values: dict[str, str | None]) -> str:
    """Set (or, with None, remove) keys of the active profile; returns its name."""
    document = load()
    name = str(document.get("active", DEFAULT_PROFILE))
    profile = document.setdefault("profiles", {}).setdefault(name, {})
    for key, value in values.items():
        if value is None:
            profile.pop(key, None)
        else:
            profile[key] = value
    document["active"] = name
    save(document)
    return name
