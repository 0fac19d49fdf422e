"""Authlib grants and endpoints bound to our storage (`app.services.oauth`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge

from app import policy
from app.models import OAuthCode, Token, User
from app.oauth.client import CLIENT_ID, CliClient
from app.services import oauth as store


@dataclass(frozen=True)
class StoredToken:
    """Authlib's view of one of our token rows."""

    row: Token

    def check_client(self, client: CliClient) -> bool:
        return bool(client.get_client_id() == CLIENT_ID)

    def get_scope(self) -> str:
        return self.row.scope

    def get_user(self) -> User:
        return self.row.user


class StoredCode:
    """Authlib's view of an authorization code row."""

    def __init__(self, row: OAuthCode) -> None:
        self.row = row

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE is required and only S256 is accepted: `plain` and a missing method are refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib's class attribute

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256 ('plain' is refused)")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: StoredCode) -> str:
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: StoredCode) -> str:
        return authorization_code.row.code_challenge_method


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 - Authlib's class attribute

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        store.save_code(
            code,
            client_id=request.client.get_client_id(),
            user=request.user,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            challenge=data["code_challenge"],
            method=data["code_challenge_method"],
        )

    def query_authorization_code(self, code: str, client: CliClient) -> StoredCode | None:
        row = store.spend_code(code, client.get_client_id())
        return StoredCode(row) if row is not None else None

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Already spent by `query_authorization_code`; kept to recognise replays."""

    def authenticate_user(self, authorization_code: StoredCode) -> User:
        return authorization_code.row.user


class RotatingRefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """Every refresh spends the refresh token and issues a new pair in the same family."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 - Authlib's class attribute
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> StoredToken | None:
        """Spends the refresh token, but only once the request is one that can succeed: a
        refresh asking for a wider scope is refused with the token left unspent (spending it
        would make the owner's next, honest refresh look like a replay)."""
        requested = (self.request.payload.scope or "").strip()
        held = store.find_live(refresh_token) if requested else None
        if held is not None and not _within(requested, held.scope):
            raise InvalidScopeError("a refresh cannot widen the sign-in's scope")
        row = store.spend_refresh_token(refresh_token)
        return StoredToken(row) if row is not None else None

    def authenticate_user(self, refresh_token: StoredToken) -> User:
        return refresh_token.row.user

    def revoke_old_credential(self, refresh_token: StoredToken) -> None:
        """Already revoked when it was spent."""


def _within(requested: str, held: str) -> bool:
    names = [policy.canonical_scope(name) for name in requested.split()]
    return all(name in policy.SCOPE_RANK and policy.scope_allows(held, name) for name in names)


class RevokeEndpoint(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009 for the public client; unknown tokens answer 200 as the RFC asks."""

    CLIENT_AUTH_METHODS = ["none"]  # noqa: RUF012 - Authlib's class attribute

    def query_token(self, token_string: str, token_type_hint: str | None) -> StoredToken | None:
        row = store.find_live(token_string)
        return StoredToken(row) if row is not None else None

    def revoke_token(self, token: StoredToken, request: Any) -> None:
        store.revoke(token.row)
