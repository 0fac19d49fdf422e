"""`oi auth check`: is the token the client would send valid, and with which scope?

Exit 0 when it is (and holds `--scope`), 1 when it is not: the verdict is one line on stderr,
`oi auth: invalid (prefix...last4): reason`, never the whole token.
"""

from __future__ import annotations

import json
from typing import Any

import click

from scanner import formats, transport
from scanner.cli import credentials
from scanner.cli.output import app_url_option
from scanner.errors import OiError

SCOPE_RANK = {"read": 1, "read_write": 2, "admin": 3}
SCOPE_ALIASES = {"write": "read_write"}
EXIT_OK = 0


class Invalid(OiError):
    """The token does not do: the verdict, not an error of the command."""

    label = "invalid"

    def __init__(self, reason: str, shown: str = "") -> None:
        super().__init__(reason)
        self.shown = shown

    def line(self) -> str:
        return f"{self.label}{f' ({self.shown})' if self.shown else ''}: {self.message}"


@click.group("auth")
def auth() -> None:
    """Authentication helpers: oi auth check."""


@auth.command("check")
@click.option(
    "--scope",
    "needed",
    type=click.Choice(["read", "read_write", "write", "admin"]),
    help="Also fail unless the token has at least this scope (write = read_write).",
)
@app_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the service's JSON answer.")
def auth_check(needed: str | None, app_url: str | None, as_json: bool) -> int:
    """Is the token valid, and with which scope? Exit 1 when it is not."""
    try:
        found = credentials.current(app_url)
    except credentials.CredentialError as error:
        raise Invalid(error.message) from None
    shown = formats.redact(found.token)
    try:
        body = found.request("GET", "/auth/check")
    except transport.Refused as refused:
        if refused.status == 401:
            raise Invalid(refused.reason, shown) from None
        raise
    if not isinstance(body, dict):
        raise OiError(f"{found.app_url} did not answer like a tokenpatrol service")
    if needed:
        _require_scope(str(body.get("scope")), needed, shown)
    if as_json:
        click.echo(json.dumps(body, indent=2))
        return EXIT_OK
    click.echo(
        f"valid: {body.get('kind')} {shown} for {_owner(body)}, scope {body.get('scope')}, "
        f"role {body.get('role')}, expires {body.get('expiresAt') or 'never'} "
        f"(from {found.source})"
    )
    return EXIT_OK


def _require_scope(held: str, needed: str, shown: str) -> None:
    """Refuse unless `held` is at least `needed` (read < read_write < admin)."""
    needed = SCOPE_ALIASES.get(needed, needed)
    if SCOPE_RANK.get(held, 0) < SCOPE_RANK[needed]:
        raise Invalid(f"insufficient scope: token has {held}, needs {needed}", shown)


def _owner(body: dict[str, Any]) -> str:
    if body.get("accountId"):
        return f"{body['accountId']}/{body.get('userId')}"
    return "the instance"
