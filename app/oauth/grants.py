"""Authlib grants and endpoints bound to our storage (`app.services.oauth`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import (
    AuthorizationPendingError,
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    ExpiredTokenError,
    SlowDownError,
)
from flask import url_for

from app import policy
from app.models import DeviceCode, OAuthCode, Token, User, utcnow
from app.oauth.client import CLI_CLIENT, CLIENT_ID, CliClient
from app.services import oauth as store
from app.urls import base_url

USED_ALREADY = "this device code was used already: run oi login --device again"
ONE_SCOPE = "ask for one scope: read, read_write (write) or admin"


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


class StoredDeviceCode:
    """Authlib's view of a device code row (RFC 8628)."""

    def __init__(self, row: DeviceCode) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_user_code(self) -> str:
        return self.row.user_code_hash  # the code itself is not kept

    def is_expired(self) -> bool:
        return self.row.expires_at <= utcnow()


class DeviceEndpoint(DeviceAuthorizationEndpoint):  # type: ignore[misc]
    """POST /oauth/device_authorization: Authlib makes the codes and the answer (a user code
    like WDJB-MJHT from RFC 8628's consonants); we store their hashes and one scope."""

    CLIENT_AUTH_METHODS = ["none"]  # noqa: RUF012 - Authlib's class attribute

    def __init__(self, server: Any, *, expires_in: int, interval: int) -> None:
        super().__init__(server)
        self.EXPIRES_IN, self.INTERVAL = expires_in, interval

    def get_verification_uri(self) -> str:
        return base_url() + url_for("device.enter_code")

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        granted = CLI_CLIENT.get_allowed_scope(scope)
        if granted is None:
            raise InvalidScopeError(ONE_SCOPE)
        store.save_device_code(
            data["device_code"],
            data["user_code"],
            client_id=client_id,
            scope=granted,
            expires_in=int(data["expires_in"]),
            interval=int(data["interval"]),
        )


class DeviceGrant(DeviceCodeGrant):  # type: ignore[misc]
    """The device_code grant on /oauth/token. Authlib checks the request and the client and
    issues the pair; what a poll answers is decided here, because Authlib's own check looks
    the decision up by the raw user code (only its hash is kept) and knows no single use."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 - Authlib's class attribute

    def query_device_credential(self, device_code: str) -> StoredDeviceCode:
        row = store.find_device_code(device_code)
        if row is None:
            raise InvalidGrantError("unknown device_code")
        return StoredDeviceCode(row)

    def validate_device_credential(self, credential: StoredDeviceCode) -> User:
        """RFC 8628 section 3.5, in order: spent (a replay), expired, denied, approved (the
        tokens), polled too soon (slow_down), else still pending."""
        row = credential.row
        if row.used_at is not None:
            store.device_code_replayed(row)
            raise InvalidGrantError(USED_ALREADY)
        if credential.is_expired():
            raise ExpiredTokenError("the device code expired before it was approved")
        if row.approved is False:
            raise AccessDeniedError("the request was denied in the browser")
        if row.approved:
            return _collect(row)
        if store.polled_too_fast(row):
            raise SlowDownError(f"poll at most every {row.interval} seconds")
        raise AuthorizationPendingError("waiting for the code to be entered and approved")


def _collect(row: DeviceCode) -> User:
    """The approver, once: a second collection is a replay."""
    if store.spend_device_code(row) is None:
        store.device_code_replayed(row)
        raise InvalidGrantError(USED_ALREADY)
    user = row.user
    if user is None:  # pragma: no cover - an approved row always names its approver
        raise InvalidGrantError("the approval names no user")
    return user
