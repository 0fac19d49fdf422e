"""Signing in and out, activating an account from an invite link, and setting a forgotten
password from a mailed link."""

from __future__ import annotations

import functools

from flask import make_response, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.auth import public
from app.errors import ApiError
from app.models import User
from app.services import accounts, invites, passwords
from app.web import throttle
from app.web.blueprint import bp
from app.web.forms import (
    ConfirmForm,
    ForgotPasswordForm,
    InviteClaimForm,
    LoginForm,
    PasswordResetForm,
    first_error,
    submitted,
)
from app.web.redirects import DEFAULT_AFTER_SIGN_IN, safe_next
from app.web.session import begin_session, end_current_session, signed_in_user

WRONG_LOGIN = "Wrong user id, email or password."
DUMMY_PASSWORD = "not the password of anyone"


@bp.route("/")
@public
def home() -> Response:
    target = DEFAULT_AFTER_SIGN_IN if signed_in_user() else url_for("web.login")
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@public
@throttle.failed_sign_ins
def login() -> Response:
    form = LoginForm()
    if not submitted(form):
        status = 400 if form.is_submitted() else 200
        return render_login(form, first_error(form), status)
    user = _check_password(form.login.data.strip(), form.password.data)
    if user is None:
        return render_login(form, WRONG_LOGIN, 401)
    _sign_in(user)
    return redirect(safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    submitted(ConfirmForm())
    end_current_session()
    logout_user()
    session.clear()
    return redirect(url_for("web.login"))


@bp.route("/invite", methods=["GET", "POST"])
@public
def invite() -> Response:
    form = InviteClaimForm()
    if not submitted(form):
        return _render_invite(form, first_error(form), 400 if form.is_submitted() else 200)
    try:
        user = invites.claim(form.token.data.strip(), form.password.data, form.user_id.data or None)
    except ApiError as error:
        return _render_invite(form, error.message, error.status)
    _sign_in(user)
    return redirect(DEFAULT_AFTER_SIGN_IN)


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@throttle.password_link_requests
def forgot_password() -> Response:
    form = ForgotPasswordForm()
    if not submitted(form):
        status = 400 if form.is_submitted() else 200
        return _render("forgot_password.html", form, first_error(form), status)
    invites.forgot_password(form.login.data)
    return _render("forgot_password.html", form, None, 200, sent=True)


@bp.route("/reset-password", methods=["GET", "POST"])
@public
def reset_password() -> Response:
    form = PasswordResetForm()
    if not submitted(form):
        return _render_reset(form, first_error(form), 400 if form.is_submitted() else 200)
    try:
        user = invites.claim(form.token.data.strip(), form.password.data, None)
    except ApiError as error:
        return _render_reset(form, error.message, error.status)
    _sign_in(user)
    return redirect(DEFAULT_AFTER_SIGN_IN)


def _render_reset(form: PasswordResetForm, error: str | None, status: int) -> Response:
    form.token.data = ""  # the link's token is a secret: never echo it back into the page
    return _render("reset_password.html", form, error, status)


def _render(
    template: str, form: FlaskForm, error: str | None, status: int, **extra: object
) -> Response:
    return make_response(render_template(template, form=form, error=error, **extra), status)


def render_login(form: LoginForm, error: str | None = None, status: int = 200) -> Response:
    next_path = request.args.get("next")
    action = url_for("web.login", next=safe_next(next_path)) if next_path else url_for("web.login")
    body = render_template("login.html", form=form, error=error, action=action)
    return make_response(body, status)


def _render_invite(form: InviteClaimForm, error: str | None, status: int) -> Response:
    form.token.data = ""  # the invite token is a secret: never echo it back into the page
    return make_response(render_template("invite.html", form=form, error=error), status)


def _check_password(login_name: str, password: str) -> User | None:
    """The user when the password matches; argon2 runs either way, so timing tells nothing."""
    user = accounts.find_by_login(login_name)
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = passwords.verify_password(stored or _dummy_hash(), password)
    return user if matches and stored else None


def _sign_in(user: User) -> None:
    session.clear()  # nothing from before the sign-in (stale reveals, old CSRF token) carries over
    login_user(begin_session(user))


@functools.cache
def _dummy_hash() -> str:
    return passwords.hash_password(DUMMY_PASSWORD)
