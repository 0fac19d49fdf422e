"""`oi profile set|show|list|use` and `oi auth check`: the client's view of a tokenpatrol service.

Profiles live in `profiles.toml` under the user config directory (see `scanner.profiles`),
written with mode 0600. `oi profile show` never prints a whole token.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import click

from scanner import formats, profile_store


def _load() -> dict[str, Any]:
    try:
        return profile_store.load()
    except profile_store.ProfileError as error:
        raise click.ClickException(str(error)) from None


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
    profile_store.save(document)
    click.echo(f"profile {name!r} saved to {profile_store.path()}")


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
    profile_store.save(document)
    click.echo(f"active profile: {name}")


@click.group("auth")
def auth() -> None:
    """Authentication helpers."""


SCOPE_RANK = {"read": 1, "read_write": 2, "admin": 3}
SCOPE_ALIASES = {"write": "read_write"}


@auth.command("check")
@click.option(
    "--scope",
    "needed",
    type=click.Choice(["read", "read_write", "write", "admin"]),
    help="Also fail unless the token has at least this scope (write = read_write).",
)
@click.option("--app-url", help="The service's base URL (overrides profile and env).")
@click.option("--json", "as_json", is_flag=True, help="Print the service's JSON answer.")
def auth_check(needed: str | None, app_url: str | None, as_json: bool) -> None:
    """Is the token valid, and with which scope? Exit 1 when it is not."""
    from scanner import api_client

    try:
        found = api_client.credential(app_url)
    except api_client.ClientError as error:
        _refuse(f"invalid: {error.message}")
    shown = formats.redact(found.token)
    try:
        body = api_client.send(found, "GET", "/auth/check")
    except api_client.ClientError as error:
        _refuse(
            f"invalid ({shown}): {error.server_message}"
            if error.status == 401
            else f"error: {error.message}"
        )
    if not isinstance(body, dict):
        _refuse(f"error: {found.app_url} did not answer like a tokenpatrol service")
    if needed:
        _require_scope(str(body.get("scope")), needed, shown)
    if as_json:
        click.echo(json.dumps(body, indent=2))
        return
    click.echo(
        f"valid: {body.get('kind')} {shown} for {_owner(body)}, scope {body.get('scope')}, "
        f"role {body.get('role')}, expires {body.get('expiresAt') or 'never'} "
        f"(from {found.source})"
    )


def _require_scope(held: str, needed: str, shown: str) -> None:
    """Refuse unless `held` is at least `needed` (read < read_write < admin)."""
    needed = SCOPE_ALIASES.get(needed, needed)
    if SCOPE_RANK.get(held, 0) < SCOPE_RANK[needed]:
        _refuse(f"invalid ({shown}): insufficient scope: token has {held}, needs {needed}")


def _owner(body: dict[str, Any]) -> str:
    if body.get("accountId"):
        return f"{body['accountId']}/{body.get('userId')}"
    return "the instance"


def _refuse(message: str) -> NoReturn:
    """The reason on stderr (no whole token in it) and exit 1."""
    click.echo(formats.redact_text(message), err=True)
    raise click.exceptions.Exit(1)
