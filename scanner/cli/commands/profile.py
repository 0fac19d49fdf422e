"""`oi profile set|show|list|use|delete`: which service the client talks to, with which token.

Profiles live in `profiles.toml` under the user config directory (see `scanner.cli.profiles`),
written with mode 0600. What `oi profile set` is given is checked before anything is written
(the URL's scheme, the token offline against the registry); `oi profile show` never prints a
whole token.
"""

from __future__ import annotations

from typing import Any

import click

from scanner import formats
from scanner.cli import credentials, profiles
from scanner.errors import UsageError

EXIT_OK = 0
OAUTH_KEYS = (credentials.ACCESS_KEY, credentials.REFRESH_KEY)


def _shown(values: dict[str, Any]) -> dict[str, str]:
    """Every secret as prefix + last 4: `token`, the `oi login` tokens, and anything else that
    looks like a token."""
    shown = {}
    for key, value in values.items():
        text = str(value)
        shown[key] = formats.redact(text) if key.endswith("token") else formats.redact_text(text)
    return shown


def _no_such_profile(name: str) -> UsageError:
    return UsageError(f"no profile named {name!r} (oi profile list shows them)")


@click.group("profile")
def profile() -> None:
    """Profiles: which service to talk to, with which token."""


@profile.command("set")
@click.option("--app-url", help="The service's base URL (http:// or https://).")
@click.option("--token", help="A PAT or API token (prefer OPENINDEX_TOKEN in CI).")
@click.option("--agent-id", help="The workflow agent this profile acts for.")
@click.option("--name", default=None, help="Profile name (default: the active one).")
def set_profile(
    app_url: str | None, token: str | None, agent_id: str | None, name: str | None
) -> int:
    """Create or update a profile and make it active."""
    changes = _checked_changes(app_url, token, agent_id)
    document = profiles.load()
    name = name or document.get("active", profiles.DEFAULT_PROFILE)
    document.setdefault("profiles", {}).setdefault(name, {}).update(changes)
    document["active"] = name
    profiles.save(document)
    click.echo(f"profile {name!r} saved to {profiles.path()}")
    return EXIT_OK


def _checked_changes(
    app_url: str | None, token: str | None, agent_id: str | None
) -> dict[str, str]:
    """The values to store, each checked; UsageError before anything is read or written."""
    changes: dict[str, str] = {}
    if app_url is not None:
        changes["app_url"] = profiles.checked_url(app_url, "--app-url")
    if token is not None:
        changes["token"] = credentials.checked_token(token.strip(), "--token")
    if agent_id is not None:
        if not agent_id.strip():
            raise UsageError("--agent-id is empty")
        changes["agent_id"] = agent_id.strip()
    if not changes:
        raise UsageError("nothing to set: give --app-url, --token or --agent-id")
    return changes


@profile.command("show")
@click.option("--name", default=None, help="The profile to show (default: the active one).")
def show_profile(name: str | None) -> int:
    """The profile's settings (the token shown as prefix + last 4)."""
    document = profiles.load()
    name = name or document.get("active", profiles.DEFAULT_PROFILE)
    values = document.get("profiles", {}).get(name)
    if values is None:
        raise _no_such_profile(name)
    click.echo(f"profile {name}{' (active)' if name == document.get('active') else ''}")
    for key, value in sorted(_shown(values).items()):
        click.echo(f"  {key}: {value}")
    return EXIT_OK


@profile.command("list")
def list_profiles() -> int:
    """The profiles, the active one marked with `*`."""
    document = profiles.load()
    for name in sorted(document.get("profiles", {})):
        click.echo(("* " if name == document.get("active") else "  ") + name)
    return EXIT_OK


@profile.command("use")
@click.argument("name")
def use_profile(name: str) -> int:
    """Make NAME the active profile."""
    document = profiles.load()
    if name not in document.get("profiles", {}):
        raise _no_such_profile(name)
    document["active"] = name
    profiles.save(document)
    click.echo(f"active profile: {name}")
    return EXIT_OK


@profile.command("delete")
@click.argument("name")
def delete_profile(name: str) -> int:
    """Delete profile NAME; if it was active, the first other profile (by name) becomes active.

    Its tokens are forgotten here, not revoked at the service (`oi logout` revokes an
    `oi login` sign-in first).
    """
    document = profiles.load()
    tables = document.get("profiles", {})
    if name not in tables:
        raise _no_such_profile(name)
    removed = tables.pop(name)
    was_active = document.get("active") == name
    if was_active:
        document["active"] = min(tables) if tables else profiles.DEFAULT_PROFILE
    profiles.save(document)
    click.echo(f"deleted profile {name!r}")
    if was_active:
        click.echo(_what_is_active_now(tables, str(document["active"])))
    if any(removed.get(key) for key in OAUTH_KEYS):
        click.echo("Its oi login sign-in was forgotten, not revoked at the service.", err=True)
    return EXIT_OK


def _what_is_active_now(tables: dict[str, Any], active: str) -> str:
    if tables:
        return f"active profile: {active}"
    return "no profile left: oi profile set --app-url URL creates one"
