"""The web forms. Every one is a FlaskForm, so every POST carries and checks a CSRF token."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField, URLField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional, Regexp

from app import policy
from app.schemas import ID_PATTERN

MIN_PASSWORD_LENGTH = 12
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]+$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ROLE_CHOICES = [policy.ROLE_USER, policy.ROLE_ADMIN]  # plain values: tuples are deprecated
CSRF_REFUSED = "The form expired or did not come from this site. Reload the page and try again."


def submitted(form: Any) -> bool:
    """True for a valid POST; a missing or wrong CSRF token is a 400, never a re-rendered form."""
    if not form.is_submitted():
        return False
    valid = bool(form.validate())
    if form.meta.csrf and form.csrf_token.errors:
        raise CSRFError(CSRF_REFUSED)
    return valid


def first_error(form: Any) -> str | None:
    """One message to show above the form (each field shows its own too)."""
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return None


class LoginForm(FlaskForm):  # type: ignore[misc]
    login = StringField("User id or email", [DataRequired(), Length(max=254)])
    password = PasswordField("Password", [DataRequired(), Length(max=1024)])


class InviteClaimForm(FlaskForm):  # type: ignore[misc]
    token = StringField("Invite token", [DataRequired(), Length(max=200)])
    user_id = StringField(
        "User id (optional)",
        [Optional(), Regexp(ID_PATTERN, message="letters, digits, '.', '_', '@' or '-'")],
    )
    password = PasswordField(
        "Password",
        [DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
    )
    confirm = PasswordField(
        "Confirm password", [DataRequired(), EqualTo("password", "the passwords differ")]
    )


class TokenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Name",
        [DataRequired(), Length(max=100), Regexp(NO_CONTROL_CHARACTERS)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    # read_write preselected: what a PAT is for (the contract: "read_write or admin, read allowed")
    # The choices offered depend on the role; which scope a person may have is the token
    # service's decision (403 as on the API), so the field only checks it is a scope at all.
    scope = SelectField(
        "Scope",
        [AnyOf(list(policy.SCOPE_RANK))],
        choices=[],
        default="read_write",
        validate_choice=False,
    )
    expires_on = DateField("Expires on (optional)", [Optional()])

    def offer_scopes(self, role: str) -> None:
        """Admin scope is offered to account ADMINs only (the service refuses it to others)."""
        self.scope.choices = [
            scope for scope in policy.SCOPE_RANK if scope != "admin" or role == policy.ROLE_ADMIN
        ]


class PasswordLinkForm(FlaskForm):  # type: ignore[misc]
    """An admin mails a user a password link; an address is asked for only when they have none."""

    email = EmailField(
        "Email",
        [Optional(), Length(max=254), Regexp(EMAIL_PATTERN, message="not an email address")],
    )


class WebhookForm(FlaskForm):  # type: ignore[misc]
    url = URLField("Receiver URL", [DataRequired(), Length(min=8, max=2000)])
    description = StringField("Description (optional)", [Optional(), Length(max=200)])


class ForgotPasswordForm(FlaskForm):  # type: ignore[misc]
    login = StringField("User id or email", [DataRequired(), Length(max=254)])


class PasswordResetForm(FlaskForm):  # type: ignore[misc]
    token = StringField("Link token", [DataRequired(), Length(max=200)])
    password = PasswordField(
        "New password", [DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)]
    )
    confirm = PasswordField(
        "Confirm password", [DataRequired(), EqualTo("password", "the passwords differ")]
    )


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A button and its CSRF token: delete, rotate, sign out, revoke."""


class UserForm(FlaskForm):  # type: ignore[misc]
    user_id = StringField("User id", [DataRequired(), Regexp(ID_PATTERN)])
    role = SelectField("Role", choices=ROLE_CHOICES)


class InviteForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        "Email",
        [DataRequired(), Length(max=254), Regexp(EMAIL_PATTERN, message="not an email address")],
    )
    role = SelectField("Role", choices=ROLE_CHOICES)
