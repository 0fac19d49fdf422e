"""The device code page (RFC 8628 section 3.3): where a person enters what `oi login --device`
printed, then sees the consent page `oi login` shows, and allows or denies.

Sign-in first (the page sends the browser to /login and back, the code kept in the link);
the consent form names the code again, so it is looked up, and throttled, once more.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.auth import public
from app.models import DeviceCode, User
from app.oauth import device_throttle
from app.oauth.client import CLIENT_NAME
from app.oauth.views import SCOPE_TEXT, Refusal
from app.services import oauth
from app.web import headers
from app.web.error_pages import error_page
from app.web.forms import first_error, submitted
from app.web.session import signed_in_user

bp = Blueprint("device", __name__, template_folder="templates")
bp.after_request(headers.no_store)

NOT_A_CODE = "That code is not valid: it may be mistyped, expired or used already."
CODE_HINT = "Eight letters, like WDJB-MJHT; case and dashes do not matter."
MAX_CODE_LENGTH = 32


class DeviceCodeForm(FlaskForm):  # type: ignore[misc]
    user_code = StringField("Code", [DataRequired(), Length(max=MAX_CODE_LENGTH)])


class DeviceConsentForm(FlaskForm):  # type: ignore[misc]
    user_code = HiddenField(validators=[DataRequired(), Length(max=MAX_CODE_LENGTH)])
    allow = SubmitField("Allow")
    deny = SubmitField("Deny")


@bp.route("/device", methods=["GET"])
@public
def enter_code() -> Response:
    """The code entry form, filled in from `verification_uri_complete`'s `user_code`."""
    if signed_in_user() is None:
        return _to_sign_in()
    typed = request.args.get("user_code", "")[:MAX_CODE_LENGTH]
    return _entry_page(DeviceCodeForm(formdata=None, user_code=typed))


@bp.route("/device", methods=["POST"])
@public
@device_throttle.failed_entries
def check_code() -> Response:
    """A code that names a pending request leads to its consent page; any other is a failure."""
    user = signed_in_user()
    if user is None:
        return _to_sign_in()
    form = DeviceCodeForm()
    if not submitted(form):
        return _entry_page(form, first_error(form), 400)
    row = oauth.pending_device_code(form.user_code.data)
    if row is None:
        return _missed(form)
    return _consent_page(user, row, form.user_code.data)


@bp.route("/device/consent", methods=["POST"])
@public
@device_throttle.failed_entries
def decide() -> Response:
    """Allow or Deny, once; the CLI's next poll gets the tokens or access_denied."""
    user = signed_in_user()
    if user is None:
        return _to_sign_in()
    form = DeviceConsentForm()
    if not submitted(form):
        return error_page(400, "The consent form was incomplete. Enter the code again.")
    row = oauth.pending_device_code(form.user_code.data)
    if row is None:
        return _missed(DeviceCodeForm(formdata=None))
    if not oauth.may_grant(user, row.scope):
        return _refused_scope()
    approved = bool(form.allow.data)
    if not oauth.decide_device_code(row, user, approved=approved):
        return _missed(DeviceCodeForm(formdata=None))
    return make_response(render_template("oauth/device_done.html", approved=approved))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """Errors here are pages, like the web UI's: a throttled entry shows the form again."""
    if isinstance(error, RateLimitExceeded):
        seconds = device_throttle.retry_after_seconds()
        message = device_throttle.TOO_MANY.format(seconds=seconds)
        response = _entry_page(DeviceCodeForm(formdata=None), message, 429)
        response.headers["Retry-After"] = str(seconds)
        return response
    return error_page(error.code or 500, error.description or error.name)


def _to_sign_in() -> Response:
    back = request.full_path if request.method == "GET" else url_for("device.enter_code")
    return redirect(url_for("web.login") + "?" + urlencode({"next": back}))


def _entry_page(form: DeviceCodeForm, error: str | None = None, status: int = 200) -> Response:
    body = render_template("oauth/device.html", form=form, error=error, hint=CODE_HINT)
    return make_response(body, status)


def _missed(form: DeviceCodeForm) -> Response:
    device_throttle.missed()
    return _entry_page(form, NOT_A_CODE, 400)


def _consent_page(user: User, row: DeviceCode, typed: str) -> Response:
    shown = oauth.display_user_code(oauth.normal_user_code(typed) or "")
    if not oauth.may_grant(user, row.scope):
        return _refused_scope()
    form = DeviceConsentForm(formdata=None, user_code=shown)
    body = render_template(
        "oauth/consent.html",
        form=form,
        client_name=CLIENT_NAME,
        scope=row.scope,
        scope_text=SCOPE_TEXT.get(row.scope, row.scope),
        user=user,
        user_code=shown,
        action=url_for("device.decide"),
    )
    return make_response(body, 200)


def _refused_scope() -> Response:
    refusal = Refusal(oauth.ADMIN_SCOPE_REFUSED)
    page = render_template("oauth/error.html", error=refusal, retry="oi login --device")
    return make_response(page, 403)
