"""`oi login` and `oi logout`: OAuth 2.1 authorization code + PKCE against the service."""

from __future__ import annotations

import click


@click.command("login")
def login() -> None:
    """Sign in through the browser."""
    raise click.ClickException("not implemented yet")


@click.command("logout")
def logout() -> None:
    """Revoke the stored tokens."""
    raise click.ClickException("not implemented yet")
