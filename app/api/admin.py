"""The admin API, wire-compatible with OpenViking's: ROOT runs the instance, ADMINs an account."""

from __future__ import annotations

import functools

from flask import Blueprint

from app import policy
from app.api.routing import Access, operation, principal
from app.errors import InvalidArgument
from app.models import Invite, MailOutbox, User, WebhookEndpoint
from app.schemas import (
    AccountCreate,
    AccountCreated,
    AccountInfo,
    Deleted,
    InviteCreate,
    InviteCreated,
    InviteInfo,
    KeyRegenerated,
    PasswordLinkCreate,
    RoleUpdate,
    RoleUpdated,
    Settings,
    SettingsUpdate,
    UserCreate,
    UserCreated,
    UserInfo,
    WebhookCreate,
    WebhookCreated,
    WebhookDeliveryInfo,
    WebhookInfo,
)
from app.services import accounts, invites, settings, webhooks

bp = Blueprint("admin", __name__)

PREFIX = "/api/v1/admin"
admin_operation = functools.partial(operation, bp, tag="admin", enveloped=True)
ROOT_ONLY = Access(scope="admin", roles=frozenset({policy.ROLE_ROOT}), humans_only=True)
ROOT_OR_ADMIN = Access(
    scope="admin", roles=frozenset({policy.ROLE_ROOT, policy.ROLE_ADMIN}), humans_only=True
)


def user_info(user: User) -> UserInfo:
    return UserInfo(
        account_id=user.account_id,
        user_id=user.user_id,
        role=user.role,
        email=user.email,
        created_at=user.created_at,
    )


def invite_info(invite: Invite) -> InviteInfo:
    return InviteInfo(
        id=invite.id,
        email=invite.email,
        account_id=invite.account_id,
        role=invite.role,
        status=invites.status_of(invite),
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        claimed_user_id=invite.claimed_user_id,
    )


# ---- accounts (ROOT) ----


@admin_operation(
    "POST",
    f"{PREFIX}/accounts",
    summary="Create an account and its first (ADMIN) user",
    response=AccountCreated,
    body=AccountCreate,
    access=ROOT_ONLY,
)
def create_account(body: AccountCreate) -> AccountCreated:
    issued = accounts.create_account(
        body.account_id, body.admin_user_id, actor=principal().actor, email=body.admin_email
    )
    return AccountCreated(
        account_id=body.account_id, admin_user_id=body.admin_user_id, user_key=issued.raw
    )


@admin_operation(
    "GET",
    f"{PREFIX}/accounts",
    summary="List accounts",
    response=list[AccountInfo],
    access=ROOT_ONLY,
)
def list_accounts() -> list[AccountInfo]:
    return [
        AccountInfo(account_id=account.account_id, created_at=account.created_at, user_count=count)
        for account, count in accounts.list_accounts()
    ]


@admin_operation(
    "GET",
    f"{PREFIX}/accounts/<account_id>",
    summary="Show an account",
    response=AccountInfo,
    access=ROOT_OR_ADMIN,
)
def get_account(account_id: str) -> AccountInfo:
    accounts.require_same_account(principal(), account_id)
    account = accounts.get_account(account_id)
    return AccountInfo(
        account_id=account.account_id, created_at=account.created_at, user_count=len(account.users)
    )


@admin_operation(
    "DELETE",
    f"{PREFIX}/accounts/<account_id>",
    summary="Delete an account, its users and their tokens",
    response=Deleted,
    access=ROOT_ONLY,
)
def delete_account(account_id: str) -> Deleted:
    accounts.delete_account(account_id, actor=principal().actor)
    return Deleted()


# ---- users (ROOT, or ADMIN in their own account) ----


@admin_operation(
    "POST",
    f"{PREFIX}/accounts/<account_id>/users",
    summary="Register a user",
    response=UserCreated,
    body=UserCreate,
    access=ROOT_OR_ADMIN,
)
def register_user(account_id: str, body: UserCreate) -> UserCreated:
    accounts.require_same_account(principal(), account_id)
    issued = accounts.register_user(
        account_id, body.user_id, body.role, actor=principal().actor, email=body.email
    )
    return UserCreated(
        account_id=account_id, user_id=body.user_id, role=body.role, user_key=issued.raw
    )


@admin_operation(
    "GET",
    f"{PREFIX}/accounts/<account_id>/users",
    summary="List an account's users",
    response=list[UserInfo],
    access=ROOT_OR_ADMIN,
)
def list_users(account_id: str) -> list[UserInfo]:
    accounts.require_same_account(principal(), account_id)
    return [user_info(user) for user in accounts.list_users(account_id)]


@admin_operation(
    "GET",
    f"{PREFIX}/accounts/<account_id>/users/<user_id>",
    summary="Show a user",
    response=UserInfo,
    access=ROOT_OR_ADMIN,
)
def get_user(account_id: str, user_id: str) -> UserInfo:
    accounts.require_same_account(principal(), account_id)
    return user_info(accounts.get_user(account_id, user_id))


@admin_operation(
    "DELETE",
    f"{PREFIX}/accounts/<account_id>/users/<user_id>",
    summary="Remove a user and their tokens",
    response=Deleted,
    access=ROOT_OR_ADMIN,
)
def remove_user(account_id: str, user_id: str) -> Deleted:
    accounts.require_same_account(principal(), account_id)
    accounts.remove_user(account_id, user_id, actor=principal().actor)
    return Deleted()


@admin_operation(
    "PUT",
    f"{PREFIX}/accounts/<account_id>/users/<user_id>/role",
    summary="Change a user's role (ROOT only)",
    response=RoleUpdated,
    body=RoleUpdate,
    access=ROOT_ONLY,
)
def set_role(account_id: str, user_id: str, body: RoleUpdate) -> RoleUpdated:
    user = accounts.set_role(account_id, user_id, body.role, actor=principal().actor)
    return RoleUpdated(account_id=account_id, user_id=user_id, role=user.role)


@admin_operation(
    "POST",
    f"{PREFIX}/accounts/<account_id>/users/<user_id>/key",
    summary="Regenerate a user's key; the old key fails at once",
    response=KeyRegenerated,
    access=ROOT_OR_ADMIN,
)
def regenerate_key(account_id: str, user_id: str) -> KeyRegenerated:
    accounts.require_same_account(principal(), account_id)
    issued = accounts.regenerate_key(account_id, user_id, actor=principal().actor)
    return KeyRegenerated(user_key=issued.raw)


@admin_operation(
    "POST",
    f"{PREFIX}/accounts/<account_id>/users/<user_id>/password-link",
    summary="Mail a user a link that sets their password (it works once and expires soon)",
    response=InviteCreated,
    body=PasswordLinkCreate,
    access=ROOT_OR_ADMIN,
)
def create_password_link(account_id: str, user_id: str, body: PasswordLinkCreate) -> InviteCreated:
    accounts.require_same_account(principal(), account_id)
    user = accounts.get_user(account_id, user_id)
    return invite_created(invites.password_link(user, actor=principal().actor, email=body.email))


# ---- webhooks ----


def webhook_info(row: WebhookEndpoint) -> WebhookInfo:
    return WebhookInfo.model_validate(row, from_attributes=True)  # the same names as the row


@admin_operation(
    "POST",
    f"{PREFIX}/accounts/<account_id>/webhooks",
    summary="Register a webhook: every leak event of the account is POSTed to it, signed",
    response=WebhookCreated,
    body=WebhookCreate,
    access=ROOT_OR_ADMIN,
)
def create_webhook(account_id: str, body: WebhookCreate) -> WebhookCreated:
    accounts.require_same_account(principal(), account_id)
    accounts.get_account(account_id)
    made = webhooks.register(account_id, body.url, body.description, actor=principal().actor)
    return WebhookCreated(**webhook_info(made.row).model_dump(), secret=made.secret)


@admin_operation(
    "GET",
    f"{PREFIX}/accounts/<account_id>/webhooks",
    summary="An account's webhooks",
    response=list[WebhookInfo],
    access=ROOT_OR_ADMIN,
)
def list_webhooks(account_id: str) -> list[WebhookInfo]:
    accounts.require_same_account(principal(), account_id)
    accounts.get_account(account_id)  # an account that does not exist is a 404, not []
    return [webhook_info(row) for row in webhooks.list_for(account_id)]


@admin_operation(
    "DELETE",
    f"{PREFIX}/accounts/<account_id>/webhooks/<webhook_id>",
    summary="Remove a webhook (and its delivery log)",
    response=Deleted,
    access=ROOT_OR_ADMIN,
)
def remove_webhook(account_id: str, webhook_id: str) -> Deleted:
    accounts.require_same_account(principal(), account_id)
    webhooks.remove(webhooks.get(account_id, webhook_id), actor=principal().actor)
    return Deleted()


@admin_operation(
    "GET",
    f"{PREFIX}/accounts/<account_id>/webhooks/<webhook_id>/deliveries",
    summary="A webhook's delivery log, newest first",
    response=list[WebhookDeliveryInfo],
    access=ROOT_OR_ADMIN,
)
def webhook_deliveries(account_id: str, webhook_id: str) -> list[WebhookDeliveryInfo]:
    accounts.require_same_account(principal(), account_id)
    endpoint = webhooks.get(account_id, webhook_id)
    return [delivery_info(row) for row in webhooks.deliveries(endpoint)]


def delivery_info(row: MailOutbox) -> WebhookDeliveryInfo:
    return WebhookDeliveryInfo(
        id=row.id,
        event=row.subject,
        status=webhooks.delivery_status(row),
        attempts=row.attempts,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.sent_at,
        next_attempt_at=row.next_attempt_at,
    )


# ---- invites ----


@admin_operation(
    "POST",
    f"{PREFIX}/invites",
    summary="Invite someone into an account",
    response=InviteCreated,
    body=InviteCreate,
    access=ROOT_OR_ADMIN,
)
def create_invite(body: InviteCreate) -> InviteCreated:
    accounts.require_same_account(principal(), body.account_id)
    issued = invites.create(body.account_id, body.email, body.role, actor=principal().actor)
    return invite_created(issued)


def invite_created(issued: invites.IssuedInvite) -> InviteCreated:
    return InviteCreated(
        id=issued.row.id,
        invite_token=issued.raw,
        url=invites.link_url(issued),
        expires_at=issued.row.expires_at,
    )


@admin_operation(
    "GET",
    f"{PREFIX}/invites",
    summary="List invites",
    response=list[InviteInfo],
    access=ROOT_OR_ADMIN,
)
def list_invites() -> list[InviteInfo]:
    caller = principal()
    scope = (
        None if caller.role == policy.ROLE_ROOT or caller.user is None else caller.user.account_id
    )
    return [invite_info(invite) for invite in invites.list_for(scope)]


@admin_operation(
    "DELETE",
    f"{PREFIX}/invites/<invite_id>",
    summary="Revoke an invite",
    response=InviteInfo,
    access=ROOT_OR_ADMIN,
)
def revoke_invite(invite_id: str) -> InviteInfo:
    invite = invites.get(invite_id)
    accounts.require_same_account(principal(), invite.account_id)
    invites.revoke(invite, actor=principal().actor)
    return invite_info(invite)


# ---- instance settings ----


@admin_operation(
    "GET",
    f"{PREFIX}/settings",
    summary="Instance settings",
    response=Settings,
    access=ROOT_OR_ADMIN,
)
def get_settings() -> Settings:
    return Settings(**settings.all_settings())


@admin_operation(
    "PATCH",
    f"{PREFIX}/settings",
    summary="Change instance settings (ROOT only)",
    response=Settings,
    body=SettingsUpdate,
    access=ROOT_ONLY,
)
def update_settings(body: SettingsUpdate) -> Settings:
    changes = body.model_dump(exclude_unset=True)
    if "pats_enabled" in changes and changes["pats_enabled"] is None:
        raise InvalidArgument("pats_enabled must be true or false")
    return Settings(**settings.update(changes, actor=principal().actor))
