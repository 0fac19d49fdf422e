"""The Authlib authorization server: one per app (tests make many apps in one process)."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from flask import Flask, current_app

from app.oauth.client import SCOPES, query_client
from app.oauth.grants import CodeGrant, RevokeEndpoint, RotatingRefreshGrant, S256Only
from app.services import oauth as store
from scanner import formats

ACCESS_TOKEN_SECONDS = 8 * 3600  # seed 002: 8-hour access tokens


def _save_token(token: dict[str, Any], request: Any) -> None:
    """Store what Authlib minted; a refresh keeps the family of the token it rotated."""
    if request.refresh_token is not None:
        family_id = request.refresh_token.row.family_id
    else:
        family_id = request.authorization_code.row.family_id
    store.save_pair(
        request.user,
        token["scope"],
        token["access_token"],
        int(token["expires_in"]),
        token.get("refresh_token"),
        family_id,
    )


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
    }
    server = AuthorizationServer(app, query_client=query_client, save_token=_save_token)
    server.register_grant(CodeGrant, [S256Only(required=True)])
    server.register_grant(RotatingRefreshGrant)
    server.register_endpoint(RevokeEndpoint)
    app.extensions[EXTENSION_KEY] = server


def _mint(fmt: formats.ChecksumFormat) -> Any:
    def generate(**_context: Any) -> str:
        return fmt.generate()

    return generate
