"""`oi profile set|show|list|use`: which service the client talks to, with which token.

Profiles live in `profiles.toml` under the user config directory (see `scanner.cli.profiles`),
written with mode 0600. `oi profile show` never prints a whole token.
"""

from __future__ import annotations

from typing import Any

import click

from scanner import formats
from scanner.cli import profiles
from scanner.errors import OiError

EXIT_OK = 0


def _shown(values: dict[str, Any]) -> dict[str, str]:
    """Every secret as prefix + last 4: `token`, the `oi login` tokens, and anything else that
    looks like a token."""
    shown = {}
    for key, value in values.items():
        text = str(value)
        shown[key] = formats.redact(text) if key.endswith("token") else formats.redact_text(text)
    return shown


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
) -> int:
    """Create or update a profile and make it active."""
    document = profiles.load()
    name = name or document.get("active", "default")
    values = document.setdefault("profiles", {}).setdefault(name, {})
    for key, value in (("app_url", app_url), ("token", token), ("agent_id", agent_id)):
        if value is not None:
            values[key] = value.strip()
    document["active"] = name
    profiles.save(document)
    click.echo(f"profile {name!r} saved to {profiles.path()}")
    return EXIT_OK


@profile.command("show")
@click.option("--name", default=None)
def show_profile(name: str | None) -> int:
    """The profile's settings (the token shown as prefix + last 4)."""
    document = profiles.load()
    name = name or document.get("active", "default")
    values = document.get("profiles", {}).get(name)
    if values is None:
        raise OiError(f"no profile named {name!r} (oi profile set --name {name} ...)")
    click.echo(f"profile {name}{' (active)' if name == document.get('active') else ''}")
    for key, value in sorted(_shown(values).items()):
        click.echo(f"  {key}: {value}")
    return EXIT_OK


@profile.command("list")
def list_profiles() -> int:
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
        raise OiError(f"no profile named {name!r}")
    document["active"] = name
    profiles.save(document)
    click.echo(f"active profile: {name}")
    return EXIT_OK
