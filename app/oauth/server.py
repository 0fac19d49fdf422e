"""The Authlib authorization server: one per app (tests make many apps in one process)."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE
from flask import Flask, current_app

from app.oauth.client import SCOPES, query_client
from app.oauth.grants import (
    CodeGrant,
    DeviceEndpoint,
    DeviceGrant,
    RevokeEndpoint,
    RotatingRefreshGrant,
    S256Only,
)
from app.services import oauth as store
from scanner import formats

ACCESS_TOKEN_SECONDS = 8 * 3600  # seed 002: 8-hour access tokens


def _save_token(token: dict[str, Any], request: Any) -> None:
    """Store what Authlib minted; a refresh keeps the family of the token it rotated."""
    store.save_pair(
        request.user,
        token["scope"],
        token["access_token"],
        int(token["expires_in"]),
        token.get("refresh_token"),
        _family_of(request),
    )


def _family_of(request: Any) -> str:
    """The sign-in the new pair belongs to: the rotated refresh token's, or the one the spent
    authorization code or device code started."""
    if request.refresh_token is not None:
        return str(request.refresh_token.row.family_id)
    spent = request.authorization_code or request.credential
    return str(spent.row.family_id)


EXTENSION_KEY = "tokenpatrol_oauth_server"


def current_server() -> AuthorizationServer:
    server: AuthorizationServer = current_app.extensions[EXTENSION_KEY]
    return server


def init_server(app: Flask) -> None:
    """Bind Authlib to this app; its OAUTH2_* settings are wiring, not operator settings (those,
    OAUTH_*, default in app/config.py)."""
    app.config["OAUTH2_SCOPES_SUPPORTED"] = [*SCOPES, "write"]
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = _mint(formats.OAUTH_ACCESS_TOKEN)
    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = _mint(formats.OAUTH_REFRESH_TOKEN)
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {
        "authorization_code": ACCESS_TOKEN_SECONDS,
        "refresh_token": ACCESS_TOKEN_SECONDS,
        DEVICE_CODE_GRANT_TYPE: ACCESS_TOKEN_SECONDS,
    }
    server = AuthorizationServer(app, query_client=query_client, save_token=_save_token)
    server.register_grant(CodeGrant, [S256Only(required=True)])
    server.register_grant(RotatingRefreshGrant)
    server.register_grant(DeviceGrant)
    server.register_endpoint(RevokeEndpoint)
    server.register_endpoint(
        DeviceEndpoint(
            server,
            expires_in=int(app.config["OAUTH_DEVICE_CODE_TTL_SECONDS"]),
            interval=int(app.config["OAUTH_DEVICE_INTERVAL_SECONDS"]),
        )
    )
    app.extensions[EXTENSION_KEY] = server


def _mint(fmt: formats.ChecksumFormat) -> Any:
    def generate(**_context: Any) -> str:
        return fmt.generate()

    return generate
