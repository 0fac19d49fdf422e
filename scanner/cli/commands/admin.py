"""`oi admin`: the admin API (/api/v1/admin, OpenViking's `{"status": "ok", "result": ...}`).

ROOT runs the instance; an account ADMIN manages their own account. A new user key or invite
link is printed once, alone on stdout; `--json` prints the API's envelope unchanged. Deleting
an account or removing a user asks first, at a terminal; `--yes` answers for scripts, and
without either nothing is deleted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from scanner.cli.output import Call, Item, api_command, print_fields, segment
from scanner.errors import OiError, UsageError
from scanner.printable import printable

PREFIX = "/api/v1/admin"
ROLES = ("admin", "user")


def _account_path(account_id: str, *rest: str) -> str:
    return "/".join([f"{PREFIX}/accounts", *map(segment, (account_id, *rest))])


def _fields(*keys: str) -> Callable[[Item], list[object]]:
    """item -> a table row of those fields."""
    return lambda item: [item.get(key) for key in keys]


def _static(text: str) -> Callable[[Item], str]:
    return lambda _result: text


#: `-y/--yes`: the answer to `_confirm`'s question, for scripts.
yes_option = click.option(
    "-y", "--yes", is_flag=True, help="Do not ask for confirmation (needed without a terminal)."
)


def _confirm(yes: bool, action: str) -> None:
    """Ask at a terminal before `action`, which cannot be undone; without a terminal refuse
    unless --yes was given, so a script never deletes by accident."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to {action} without confirmation: pass --yes (no terminal)")
    question = printable(f"{action[0].upper()}{action[1:]}?")
    if not click.confirm(question, default=False, err=True):
        raise OiError("nothing deleted")


@click.group("admin")
def admin() -> None:
    """The admin API: accounts, users, invites, settings, leaks."""


# ---- accounts ----


@admin.group("accounts")
def accounts() -> None:
    """Accounts (ROOT)."""


@accounts.command("list")
@api_command
def list_accounts(call: Call) -> int:
    """Every account, with its number of users (ROOT)."""
    row = _fields("account_id", "user_count", "created_at")
    return call.table(f"{PREFIX}/accounts", ("account", "users", "created"), row, "no accounts")


@accounts.command("create")
@click.argument("account_id")
@click.option("--admin", "admin_user_id", required=True, help="The account's first (ADMIN) user.")
@click.option("--email", help="The admin's email address.")
@api_command
def create_account(call: Call, account_id: str, admin_user_id: str, email: str | None) -> int:
    """Create an account and its ADMIN; prints the admin's user key (once)."""
    body = {"account_id": account_id, "admin_user_id": admin_user_id}
    answer = call.request(
        "POST", f"{PREFIX}/accounts", body | ({"admin_email": email} if email else {})
    )
    summary = f"created account {account_id} with admin {admin_user_id}"
    return call.secret(answer, "user_key", "user key", _static(summary))


@accounts.command("show")
@click.argument("account_id")
@api_command
def show_account(call: Call, account_id: str) -> int:
    """One account's details."""
    return call.show(call.request("GET", _account_path(account_id)), print_fields)


@accounts.command("delete")
@click.argument("account_id")
@yes_option
@api_command
def delete_account(call: Call, account_id: str, yes: bool) -> int:
    """Delete an account, its users and their tokens (asks first; --yes for scripts)."""
    _confirm(yes, f"delete account {account_id}, its users and all their tokens")
    answer = call.request("DELETE", _account_path(account_id))
    return call.done(answer, f"deleted account {account_id}")


# ---- users ----


@admin.group("users")
def users() -> None:
    """An account's users (ROOT, or the account's ADMIN)."""


@users.command("list")
@click.argument("account_id")
@api_command
def list_users(call: Call, account_id: str) -> int:
    """ACCOUNT_ID's users, with their roles."""
    columns = ("user", "role", "email", "created")
    row = _fields("user_id", "role", "email", "created_at")
    return call.table(_account_path(account_id, "users"), columns, row, "no users")


@users.command("add")
@click.argument("account_id")
@click.argument("user_id")
@click.option(
    "--role", type=click.Choice(ROLES), default="user", show_default=True, help="Their role."
)
@click.option("--email", help="The user's email address.")
@api_command
def add_user(call: Call, account_id: str, user_id: str, role: str, email: str | None) -> int:
    """Register a user; prints their user key (once)."""
    body = {"user_id": user_id, "role": role} | ({"email": email} if email else {})
    answer = call.request("POST", _account_path(account_id, "users"), body)
    summary = f"added {role} {user_id} to account {account_id}"
    return call.secret(answer, "user_key", "user key", _static(summary))


@users.command("show")
@click.argument("account_id")
@click.argument("user_id")
@api_command
def show_user(call: Call, account_id: str, user_id: str) -> int:
    """One user's details."""
    return call.show(call.request("GET", _account_path(account_id, "users", user_id)), print_fields)


@users.command("remove")
@click.argument("account_id")
@click.argument("user_id")
@yes_option
@api_command
def remove_user(call: Call, account_id: str, user_id: str, yes: bool) -> int:
    """Remove a user and their tokens (asks first; --yes for scripts)."""
    _confirm(yes, f"remove {user_id} from account {account_id}, with all their tokens")
    answer = call.request("DELETE", _account_path(account_id, "users", user_id))
    return call.done(answer, f"removed {user_id} from account {account_id}")


@users.command("set-role")
@click.argument("account_id")
@click.argument("user_id")
@click.argument("role", type=click.Choice(ROLES))
@api_command
def set_role(call: Call, account_id: str, user_id: str, role: str) -> int:
    """Change a user's role (ROOT only)."""
    path = _account_path(account_id, "users", user_id, "role")
    return call.done(
        call.request("PUT", path, {"role": role}), f"{account_id}/{user_id} is now {role}"
    )


@users.command("regenerate-key")
@click.argument("account_id")
@click.argument("user_id")
@api_command
def regenerate_key(call: Call, account_id: str, user_id: str) -> int:
    """A new user key (printed once); the old key fails at once."""
    answer = call.request("POST", _account_path(account_id, "users", user_id, "key"))
    summary = f"new key for {account_id}/{user_id}; the old one no longer works"
    return call.secret(answer, "user_key", "user key", _static(summary))


@users.command("password-link")
@click.argument("account_id")
@click.argument("user_id")
@click.option("--email", help="Give the user this address first (when they have none).")
@api_command
def password_link(call: Call, account_id: str, user_id: str, email: str | None) -> int:
    """Mail the user a link that sets their password; prints it (once) too."""
    path = _account_path(account_id, "users", user_id, "password-link")
    answer = call.request("POST", path, {"email": email} if email else {})
    summary = f"password link for {account_id}/{user_id}: it works once and expires soon"
    return call.secret(answer, "url", "password link", _static(summary))


# ---- invites ----


@admin.group("invites")
def invites() -> None:
    """Invite people into an account."""


@invites.command("list")
@api_command
def list_invites(call: Call) -> int:
    """Invites, pending and spent."""
    columns = ("id", "email", "account", "role", "status", "created", "expires")
    row = _fields("id", "email", "account_id", "role", "status", "created_at", "expires_at")
    return call.table(f"{PREFIX}/invites", columns, row, "no invites")


@invites.command("create")
@click.option("--email", required=True, help="Who is invited; the link is for them.")
@click.option("--account", "account_id", required=True, help="The account they join.")
@click.option(
    "--role", type=click.Choice(ROLES), default="user", show_default=True, help="Their role."
)
@api_command
def create_invite(call: Call, email: str, account_id: str, role: str) -> int:
    """Invite EMAIL; prints the invite link (once) to send them."""
    body = {"email": email, "account_id": account_id, "role": role}
    answer = call.request("POST", f"{PREFIX}/invites", body)
    summary = f"invited {email} into {account_id} as {role}"
    return call.secret(answer, "url", "invite link", _static(summary))


@invites.command("revoke")
@click.argument("invite_id")
@api_command
def revoke_invite(call: Call, invite_id: str) -> int:
    """Revoke invite INVITE_ID: its link stops working."""
    answer = call.request("DELETE", f"{PREFIX}/invites/{segment(invite_id)}")
    return call.done(answer, f"revoked invite {invite_id}")


# ---- settings and leaks ----


@admin.group("settings")
def settings() -> None:
    """Instance settings."""


@settings.command("show")
@api_command
def show_settings(call: Call) -> int:
    """The instance settings."""
    return call.show(call.request("GET", f"{PREFIX}/settings"), print_fields)


@settings.command("set")
@click.option("--pats/--no-pats", "pats_enabled", default=None, help="Allow PATs at all.")
@click.option(
    "--max-token-lifetime",
    "max_days",
    type=click.IntRange(0, 36_500),
    default=None,
    metavar="DAYS",
    help="Longest lifetime of a new token, in days (0: no maximum).",
)
@api_command
def set_settings(call: Call, pats_enabled: bool | None, max_days: int | None) -> int:
    """Change instance settings (ROOT only)."""
    changes: dict[str, object] = {}
    if pats_enabled is not None:
        changes["pats_enabled"] = pats_enabled
    if max_days is not None:
        changes["max_token_lifetime_days"] = max_days or None
    if not changes:
        raise UsageError("nothing to change: pass --pats, --no-pats or --max-token-lifetime")
    return call.show(call.request("PATCH", f"{PREFIX}/settings", changes), print_fields)


@admin.group("leaks")
def leaks() -> None:
    """Leaked tokens."""


@leaks.command("list")
@api_command
def list_leaks(call: Call) -> int:
    """Leaked tokens (all for ROOT, the own account for an ADMIN)."""
    columns = ("token", "name", "owner", "where", "source", "reported", "revoked")
    return call.table(f"{PREFIX}/leaks", columns, _leak_row, "no leaks")


def _leak_row(event: Item) -> list[object]:
    where = ":".join(str(part) for part in (event["repo"], event["path"], event["line"]) if part)
    return [
        event["redacted"],
        event["tokenName"],
        f"{event['accountId']}/{event['userId']}",
        where or event["url"] or "",
        event["source"],
        event["reportedAt"],
        event["revokedAt"] or "no",
    ]
