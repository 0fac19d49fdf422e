"""The OAuth endpoints' entries in /openapi.json (form-encoded, RFC 6749 error bodies).

They are written by hand because Authlib, not `@operation`, answers them; the consent page
(`/oauth/authorize`) and the device code page (`/device`) are HTML pages for browsers and are
not part of the JSON API.
"""

from __future__ import annotations

from typing import Any

FORM = "application/x-www-form-urlencoded"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

_OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_TOKEN_ANSWER = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": {"type": "string", "pattern": "^oi_oat_"},
        "refresh_token": {"type": "string", "pattern": "^oi_ort_"},
        "token_type": {"type": "string"},
        "expires_in": {"type": "integer", "const": 28800},
        "scope": {"type": "string"},
    },
}
_TOKEN_FORM = {
    "type": "object",
    "required": ["grant_type", "client_id"],
    "properties": {
        "grant_type": {
            "type": "string",
            "enum": ["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
        },
        "client_id": {"type": "string", "const": "oi-cli"},
        "code": {"type": "string"},
        "device_code": {"type": "string"},
        "redirect_uri": {"type": "string"},
        "code_verifier": {"type": "string"},
        "refresh_token": {"type": "string"},
        "scope": {"type": "string"},
    },
}
_REVOKE_FORM = {
    "type": "object",
    "required": ["token", "client_id"],
    "properties": {
        "token": {"type": "string"},
        "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]},
        "client_id": {"type": "string", "const": "oi-cli"},
    },
}
_DEVICE_FORM = {
    "type": "object",
    "required": ["client_id"],
    "properties": {
        "client_id": {"type": "string", "const": "oi-cli"},
        "scope": {"type": "string", "description": "one of read, read_write (write), admin"},
    },
}
_DEVICE_ANSWER = {
    "type": "object",
    "required": [
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    ],
    "properties": {
        "device_code": {"type": "string"},
        "user_code": {
            "type": "string",
            "pattern": "^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$",
        },
        "verification_uri": {"type": "string"},
        "verification_uri_complete": {"type": "string"},
        "expires_in": {"type": "integer"},
        "interval": {"type": "integer"},
    },
}
_METADATA = {
    "type": "object",
    "required": ["issuer", "authorization_endpoint", "token_endpoint", "response_types_supported"],
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(envelope: dict[str, Any]) -> dict[str, Any]:
    oauth_error = {
        "description": "OAuth error (RFC 6749 section 5.2)",
        "content": _json(_OAUTH_ERROR),
    }
    return {
        "400": oauth_error,
        "401": oauth_error,
        "default": {"description": "error", "content": _json(envelope)},
    }


def oauth_paths(envelope: dict[str, Any]) -> dict[str, Any]:
    """Path items for /oauth/token, /oauth/revoke, /oauth/device_authorization and the RFC 8414
    metadata document."""
    return {
        "/oauth/token": {
            "post": {
                "operationId": "oauth_token_post",
                "summary": "Exchange an authorization code (PKCE S256), a refresh token or an "
                "approved device code (RFC 8628: authorization_pending, slow_down, access_denied "
                "and expired_token while it is not)",
                "tags": ["oauth"],
                "security": [],
                "requestBody": {"required": True, "content": {FORM: {"schema": _TOKEN_FORM}}},
                "responses": {
                    "200": {"description": "tokens", "content": _json(_TOKEN_ANSWER)},
                    **_errors(envelope),
                },
            }
        },
        "/oauth/revoke": {
            "post": {
                "operationId": "oauth_revoke_post",
                "summary": "Revoke an access or refresh token (RFC 7009)",
                "tags": ["oauth"],
                "security": [],
                "requestBody": {"required": True, "content": {FORM: {"schema": _REVOKE_FORM}}},
                "responses": {
                    "200": {
                        "description": "revoked (or unknown)",
                        "content": _json({"type": "object"}),
                    },
                    **_errors(envelope),
                },
            }
        },
        "/oauth/device_authorization": {
            "post": {
                "operationId": "oauth_device_authorization_post",
                "summary": "Start oi login --device: a device code to poll with and a user code "
                "to enter at verification_uri (RFC 8628)",
                "tags": ["oauth"],
                "security": [],
                "requestBody": {"required": True, "content": {FORM: {"schema": _DEVICE_FORM}}},
                "responses": {
                    "200": {
                        "description": "device authorization",
                        "content": _json(_DEVICE_ANSWER),
                    },
                    **_errors(envelope),
                },
            }
        },
        "/.well-known/oauth-authorization-server": {
            "get": {
                "operationId": "oauth_metadata_get",
                "summary": "Authorization server metadata (RFC 8414)",
                "tags": ["oauth"],
                "security": [],
                "responses": {
                    "200": {"description": "metadata", "content": _json(_METADATA)},
                    "default": {"description": "error", "content": _json(envelope)},
                },
            }
        },
    }
