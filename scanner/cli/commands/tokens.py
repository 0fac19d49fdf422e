"""`oi tokens` (PATs, /me/pats) and `oi api-tokens` (/me/api-tokens): one factory, two groups.

The raw value of a token is printed exactly once, by `create` and `rotate`, alone on stdout so
`TOKEN=$(oi tokens create ...)` works; everything else shows it as prefix...last4.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import click

from scanner.cli.output import Call, Item, api_command, cell_text, segment

SCOPES = ("read", "read_write", "write", "admin")
COLUMNS = ("id", "name", "token", "scope", "created", "last used", "expires", "status")


def expiry_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """`YYYY-MM-DD`, today or later, sent as it is: the service reads a date as usable through
    the end of that day, UTC, as the web form does."""
    if value is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise click.BadParameter(f"{value!r} is not a date like 2030-01-31")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2030-01-31") from None
    if day < dt.datetime.now(dt.UTC).date():
        raise click.BadParameter(f"{value} is in the past (UTC)")
    return day.isoformat()


EXPIRES_HELP = "Usable through the end of this day, UTC (YYYY-MM-DD)."


def summary_row(token: Item) -> list[object]:
    return [
        token.get("id"),
        token.get("name"),
        f"{token.get('prefix')}...{token.get('last4')}",
        token.get("scope"),
        token.get("createdAt"),
        token.get("lastUsedAt") or "never",
        token.get("expiresAt") or "never",
        token.get("status"),
    ]


def _summary(verb: str, label: str) -> Callable[[Item], str]:
    def summary(created: Item) -> str:
        expires = cell_text(created.get("expiresAt"), "never")
        return (
            f"{verb} {label} {created.get('id')} ({created.get('name')}, scope "
            f"{created.get('scope')}, expires {expires})"
        )

    return summary


def token_group(name: str, base: str, label: str) -> click.Group:
    """list, create, delete and rotate for one kind of token under `base`."""

    @click.group(name, help=f"Your {label}s: list, create, delete, rotate.")
    def group() -> None:
        pass

    @group.command("list")
    @api_command
    def list_tokens(call: Call) -> int:
        """Your tokens (never their values)."""
        return call.table(base, COLUMNS, summary_row, "no tokens")

    @group.command("create")
    @click.option("--name", required=True, help="What the token is for.")
    @click.option("--scope", required=True, type=click.Choice(SCOPES), help="What it may do.")
    @click.option("--expires", metavar="YYYY-MM-DD", callback=expiry_date, help=EXPIRES_HELP)
    @api_command
    def create(call: Call, name: str, scope: str, expires: str | None) -> int:
        """Create a token and print its value (once)."""
        body = {"name": name, "scope": scope}
        answer = call.request("POST", base, body | ({"expiresAt": expires} if expires else {}))
        return call.secret(answer, "token", label, _summary("created", label))

    @group.command("delete")
    @click.argument("token_id")
    @api_command
    def delete(call: Call, token_id: str) -> int:
        """Delete a token: it fails at once."""
        answer = call.request("DELETE", f"{base}/{segment(token_id)}")
        return call.done(answer, f"deleted {label} {token_id}")

    @group.command("rotate")
    @click.argument("token_id")
    @click.option(
        "--expires",
        metavar="YYYY-MM-DD",
        callback=expiry_date,
        help=f"{EXPIRES_HELP} Without it the replacement keeps the old token's expiry.",
    )
    @api_command
    def rotate(call: Call, token_id: str, expires: str | None) -> int:
        """Replace a token's value; the old one fails at once. Prints the new value (once)."""
        body = {"expiresAt": expires} if expires else {}
        answer = call.request("POST", f"{base}/{segment(token_id)}/rotate", body)
        return call.secret(answer, "token", label, _summary("rotated", label))

    return group


tokens = token_group("tokens", "/me/pats", "personal access token")
api_tokens = token_group("api-tokens", "/me/api-tokens", "API token")
