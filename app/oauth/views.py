"""OAuth endpoints: the consent page, the token, revocation and device authorization
endpoints, RFC 8414 metadata.

The consent page is a web page (session sign-in, CSRF-protected form); the other endpoints
are for the CLI and answer in RFC 6749's JSON error format. The device code page, where a
person enters what `oi login --device` printed, is app/oauth/device_views.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SubmitField

from app.auth import public
from app.extensions import limiter
from app.oauth.client import CLIENT_NAME, GRANT_TYPES, SCOPES
from app.oauth.server import current_server
from app.services import oauth as store
from app.urls import base_url
from app.web.session import signed_in_user

bp = Blueprint("oauth", __name__, template_folder="templates")

UNSAFE_PARAMETER = "a parameter of this request holds characters no redirect may carry"
SCOPE_TEXT = {
    "read": "read your tokens, account and leak reports",
    "read_write": "read and change your tokens (create, rotate, delete)",
    "admin": "everything your role allows, including the admin API",
}


class ConsentForm(FlaskForm):  # type: ignore[misc]
    allow = SubmitField("Allow")
    deny = SubmitField("Deny")


def _oauth_rate_limit() -> str:
    return str(current_app.config["OAUTH_RATE_LIMIT"])


per_address = limiter.limit(_oauth_rate_limit, key_func=get_remote_address)


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@public
def authorize() -> Response | BaseResponse | tuple[str, int]:
    user = signed_in_user()
    if user is None:
        return redirect("/login?" + _urlencode_next(request.full_path))
    server = current_server()
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        if error.redirect_uri:
            return server.handle_error_response(None, error)  # type: ignore[no-any-return]
        return render_template("oauth/error.html", error=error), 400
    except ValueError:  # Authlib refuses to quote a parameter that holds `\` or a control char
        refusal = Refusal(UNSAFE_PARAMETER, "invalid_request")
        return render_template("oauth/error.html", error=refusal), 400
    scope = grant.request.scope
    if not store.may_grant(user, scope):
        return render_template("oauth/error.html", error=Refusal(store.ADMIN_SCOPE_REFUSED)), 403
    form = ConsentForm()
    if form.validate_on_submit():
        granted = user if form.allow.data else None
        return server.create_authorization_response(grant=grant, grant_user=granted)  # type: ignore[no-any-return]
    g.csp_form_action = [_origin(grant.redirect_uri)]  # the answer redirects to the CLI
    status = 400 if request.method == "POST" else 200  # a POST without a valid CSRF token
    return render_template(
        "oauth/consent.html",
        form=form,
        client_name=CLIENT_NAME,
        scope=scope,
        scope_text=SCOPE_TEXT.get(scope, scope),
        user=user,
        redirect_uri=grant.redirect_uri,
        action=request.full_path,
        refused=form.errors,
    ), status


@bp.route("/oauth/token", methods=["POST"])
@public
@per_address
def issue_token() -> Response:
    return current_server().create_token_response()  # type: ignore[no-any-return]


@bp.route("/oauth/revoke", methods=["POST"])
@public
@per_address
def revoke_token() -> Response:
    return current_server().create_endpoint_response("revocation")  # type: ignore[no-any-return]


@bp.route("/oauth/device_authorization", methods=["POST"])
@public
@per_address
def device_authorization() -> Response:
    """RFC 8628 section 3.1: a device code for the CLI, a user code for the person."""
    return current_server().create_endpoint_response("device_authorization")  # type: ignore[no-any-return]


@bp.route("/.well-known/oauth-authorization-server", methods=["GET"])
@public
def metadata() -> Response:
    """RFC 8414: what `oi login` (or any OAuth client) needs to know, validated by Authlib;
    `device_authorization_endpoint` is RFC 8628's addition."""
    issuer = base_url()
    document = AuthorizationServerMetadata(
        issuer=issuer,
        authorization_endpoint=f"{issuer}/oauth/authorize",
        token_endpoint=f"{issuer}/oauth/token",
        revocation_endpoint=f"{issuer}/oauth/revoke",
        device_authorization_endpoint=f"{issuer}/oauth/device_authorization",
        scopes_supported=list(SCOPES),
        response_types_supported=["code"],
        grant_types_supported=list(GRANT_TYPES),
        token_endpoint_auth_methods_supported=["none"],
        revocation_endpoint_auth_methods_supported=["none"],
        code_challenge_methods_supported=["S256"],
    )
    document.validate()
    return jsonify(dict(document))


class Refusal:
    """Shaped like an OAuth2Error for the error template."""

    def __init__(self, description: str, error: str = "access_denied") -> None:
        self.error, self.description = error, description


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _urlencode_next(path: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": path})
