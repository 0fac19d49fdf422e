"""Account administration for account ADMINs: their own account's users, invites and settings."""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.auth import public
from app.errors import ApiError, InvalidArgument
from app.models import User
from app.services import accounts, invites, leaks, settings
from app.web import reveal
from app.web.blueprint import bp
from app.web.forms import (
    ConfirmForm,
    InviteForm,
    PasswordLinkForm,
    UserForm,
    first_error,
    submitted,
)
from app.web.session import actor, admins_only, require_user, signed_in

USERS_PAGE, INVITES_PAGE = "admin_users", "admin_invites"


@bp.route("/admin")
@public
@signed_in
@admins_only
def admin_overview() -> str:
    user = require_user()
    pending = [i for i in invites.list_for(user.account_id) if invites.status_of(i) == "pending"]
    return render_template(
        "admin/overview.html",
        account=accounts.get_account(user.account_id),
        users=accounts.list_users(user.account_id),
        pending_invites=len(pending),
        leak_count=len(leaks.events_for_account(user.account_id)),
        pats_enabled=settings.pats_enabled(),
    )


@bp.route("/admin/users", methods=["GET", "POST"])
@public
@signed_in
@admins_only
def admin_users() -> Response:
    admin = require_user()
    form = UserForm()
    if not submitted(form):
        return _render_users(admin, form, first_error(form), 400 if form.is_submitted() else 200)
    try:
        issued = accounts.register_user(
            admin.account_id, form.user_id.data, form.role.data, actor=actor(admin)
        )
    except ApiError as error:
        return _render_users(admin, form, error.message, error.status)
    flash(f"User {form.user_id.data} added. Their key is shown below, once.")
    reveal.stash(USERS_PAGE, issued.raw)
    return redirect(url_for("web.admin_users"))


@bp.route("/admin/users/<user_id>/remove", methods=["GET", "POST"])
@public
@signed_in
@admins_only
def admin_remove_user(user_id: str) -> Response:
    admin = require_user()
    target = accounts.get_user(admin.account_id, user_id)
    if target.id == admin.id:
        raise InvalidArgument("You cannot remove yourself; another admin of the account can.")
    form = ConfirmForm()
    if not submitted(form):
        warning = "Their tokens stop working at once."
        return _confirm(form, f"Remove user {user_id}?", "Remove user", warning)
    accounts.remove_user(admin.account_id, user_id, actor=actor(admin))
    flash(f"User {user_id} removed.")
    return redirect(url_for("web.admin_users"))


@bp.route("/admin/users/<user_id>/key", methods=["GET", "POST"])
@public
@signed_in
@admins_only
def admin_regenerate_key(user_id: str) -> Response:
    admin = require_user()
    accounts.get_user(admin.account_id, user_id)
    form = ConfirmForm()
    if not submitted(form):
        warning = "Their current key stops working at once; the new one is shown once."
        return _confirm(form, f"Regenerate the key of {user_id}?", "Regenerate key", warning)
    issued = accounts.regenerate_key(admin.account_id, user_id, actor=actor(admin))
    flash(f"New key for {user_id}. The old key no longer works.")
    reveal.stash(USERS_PAGE, issued.raw)
    return redirect(url_for("web.admin_users"))


@bp.route("/admin/users/<user_id>/password-link", methods=["GET", "POST"])
@public
@signed_in
@admins_only
def admin_password_link(user_id: str) -> Response:
    admin = require_user()
    target = accounts.get_user(admin.account_id, user_id)
    form = PasswordLinkForm()
    if not submitted(form):
        return _render_password_link(
            target, form, first_error(form), 400 if form.is_submitted() else 200
        )
    try:
        issued = invites.password_link(target, actor=actor(admin), email=form.email.data or None)
    except ApiError as error:
        return _render_password_link(target, form, error.message, error.status)
    flash(f"A password link for {user_id} is {_mail_fate()} {issued.row.email}; it works once.")
    return redirect(url_for("web.admin_users"))


def _render_password_link(
    target: User, form: PasswordLinkForm, error: str | None, status: int
) -> Response:
    body = render_template("admin/password_link.html", target=target, form=form, error=error)
    return make_response(body, status)


def _mail_fate() -> str:
    if current_app.config["SMTP_URL"]:
        return "on its way to"
    return "waiting in the outbox (no SMTP server is configured) for"


@bp.route("/admin/invites", methods=["GET", "POST"])
@public
@signed_in
@admins_only
def admin_invites() -> Response:
    admin = require_user()
    form = InviteForm()
    if not submitted(form):
        return _render_invites(admin, form, first_error(form), 400 if form.is_submitted() else 200)
    issued = invites.create(admin.account_id, form.email.data, form.role.data, actor=actor(admin))
    flash(f"Invite for {issued.row.email} created. Send them the link below; it is shown once.")
    # The token rides in the fragment, which browsers never send to a server or its logs.
    reveal.stash(INVITES_PAGE, invites.link_url(issued))
    return redirect(url_for("web.admin_invites"))


@bp.route("/admin/invites/<invite_id>/revoke", methods=["POST"])
@public
@signed_in
@admins_only
def admin_revoke_invite(invite_id: str) -> Response:
    admin = require_user()
    submitted(ConfirmForm())
    invite = invites.get(invite_id)
    accounts.require_same_account(admin, invite.account_id)
    invites.revoke(invite, actor=actor(admin))
    flash(f"Invite for {invite.email} revoked.")
    return redirect(url_for("web.admin_invites"))


@bp.route("/admin/settings")
@public
@signed_in
@admins_only
def admin_settings() -> str:
    # Instance settings are the operator's (ROOT, via the API); account ADMINs may only look.
    return render_template("admin/settings.html", settings=settings.all_settings())


def _render_users(admin: User, form: UserForm, error: str | None, status: int) -> Response:
    body = render_template(
        "admin/users.html",
        form=form,
        error=error,
        users=accounts.list_users(admin.account_id),
        me=admin,
        new_key=reveal.pop(USERS_PAGE),
    )
    return make_response(body, status)


def _render_invites(admin: User, form: InviteForm, error: str | None, status: int) -> Response:
    body = render_template(
        "admin/invites.html",
        form=form,
        error=error,
        invites=invites.list_for(admin.account_id),
        status_of=invites.status_of,
        new_link=reveal.pop(INVITES_PAGE),
    )
    return make_response(body, status)


def _confirm(form: ConfirmForm, question: str, button: str, warning: str) -> Response:
    body = render_template(
        "confirm.html",
        form=form,
        question=question,
        button=button,
        warning=warning,
        back=url_for("web.admin_users"),
    )
    return make_response(body)
