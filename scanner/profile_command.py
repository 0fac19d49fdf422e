"""`oi profile set|show|list|use` and `oi auth check`: the client's view of a tokenpatrol service.

Profiles live in `profiles.toml` under the user config directory (see `scanner.profiles`),
written with mode 0600. `oi profile show` never prints a whole token.
"""

from __future__ import annotations

import os
from typing import Any

import click

from scanner import formats, profile_store, profiles

TOKEN_ENV = "OPENINDEX_TOKEN"


def _load() -> dict[str, Any]:
    try:
        return profile_store.load()
    except profile_store.ProfileError as error:
        raise click.ClickException(str(error)) from None


_save = profile_store.save
_path = profile_store.path


def _shown(values: dict[str, Any]) -> dict[str, str]:
    return {key: formats.redact(str(v)) if key == "token" else str(v) for key, v in values.items()}


@click.group("profile")
def profile() -> None:
    """Profiles: which service to talk to, with which token."""


@profile.command("set")
@click.option("--app-url", help="The service's base URL.")
@click.option("--token", help="A PAT or API token (prefer OPENINDEX_TOKEN in CI).")
@click.option("--agent-id", help="The workflow agent this profile acts for.")
@click.option("--name", default=None, help="Profile name (default: the active one).")
def set_profile(
    app_url: str | None, token: str | None, agent_id: str | None, name: str | None
) -> None:
    """Create or update a profile and make it active."""
    document = _load()
    name = name or document.get("active", "default")
    values = document.setdefault("profiles", {}).setdefault(name, {})
    for key, value in (("app_url", app_url), ("token", token), ("agent_id", agent_id)):
        if value is not None:
            values[key] = value
    document["active"] = name
    _save(document)
    click.echo(f"profile {name!r} saved to {_path()}")


@profile.command("show")
@click.option("--name", default=None)
def show_profile(name: str | None) -> None:
    """The profile's settings (the token shown as prefix + last 4)."""
    document = _load()
    name = name or document.get("active", "default")
    values = document.get("profiles", {}).get(name)
    if values is None:
        raise click.ClickException(f"no profile named {name!r} (oi profile set --name {name} ...)")
    click.echo(f"profile {name}{' (active)' if name == document.get('active') else ''}")
    for key, value in sorted(_shown(values).items()):
        click.echo(f"  {key}: {value}")


@profile.command("list")
def list_profiles() -> None:
    document = _load()
    for name in sorted(document.get("profiles", {})):
        click.echo(("* " if name == document.get("active") else "  ") + name)


@profile.command("use")
@click.argument("name")
def use_profile(name: str) -> None:
    """Make NAME the active profile."""
    document = _load()
    if name not in document.get("profiles", {}):
        raise click.ClickException(f"no profile named {name!r}")
    document["active"] = name
    _save(document)
    click.echo(f"active profile: {name}")


@click.group("auth")
def auth() -> None:
    """Authentication helpers."""


@auth.command("check")
def auth_check() -> None:
    """Is the token valid, and with which scope? Exit 1 when it is not."""
    from scanner.client import ServiceError, get_json
    from scanner.verify import configured_app_url

    app_url = configured_app_url(None)
    token = os.environ.get(TOKEN_ENV) or profiles.active_profile().get("token")
    if not app_url or not token:
        click.echo(
            "invalid: missing token or service URL (oi profile set, or OPENINDEX_TOKEN "
            "and OPENINDEX_APP_URL)",
            err=True,
        )
        raise click.exceptions.Exit(1)
    try:
        status, body = get_json(app_url, "/auth/check", str(token))
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    if status != 200:
        message = (
            body.get("error", {}).get("message", f"HTTP {status}")
            if isinstance(body, dict)
            else status
        )
        click.echo(f"invalid ({formats.redact(str(token))}): {message}", err=True)
        raise click.exceptions.Exit(1)
    expires = body.get("expiresAt") or "never"
    click.echo(
        f"valid: {body.get('kind')} {formats.redact(str(token))} for "
        f"{body.get('accountId')}/{body.get('userId')}, scope {body.get('scope')}, "
        f"role {body.get('role')}, expires {expires}"
    )
