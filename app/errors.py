"""The error envelope, in one place: every error the service answers goes through here."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from scanner.formats import redact_text

log = logging.getLogger(__name__)

# HTTP statuses that werkzeug raises itself, named in OpenViking's (gRPC-style) vocabulary.
_CODES_BY_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ALREADY_EXISTS",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error the caller can act on; `message` is shown to them as it is."""

    status = 400
    code = "INVALID_ARGUMENT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(ApiError):
    status, code = 400, "INVALID_ARGUMENT"


class Unauthenticated(ApiError):
    status, code = 401, "UNAUTHENTICATED"


class PermissionDenied(ApiError):
    status, code = 403, "PERMISSION_DENIED"


class NotFound(ApiError):
    status, code = 404, "NOT_FOUND"


class AlreadyExists(ApiError):
    status, code = 409, "ALREADY_EXISTS"


class UnsupportedMediaType(ApiError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class HttpsRequired(ApiError):
    status, code = 403, "HTTPS_REQUIRED"


def envelope(status: int, code: str, message: str) -> tuple[Response, int]:
    """The error body. Messages may quote what the client sent, so tokens in it are redacted."""
    body = {"code": code, "message": redact_text(message)}
    return jsonify({"status": "error", "error": body}), status


def _api_error(error: ApiError) -> tuple[Response, int]:
    response, status = envelope(error.status, error.code, error.message)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tokenpatrol"'
    return response, status


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code = _CODES_BY_STATUS.get(status, "INTERNAL" if status >= 500 else "INVALID_ARGUMENT")
    message = error.description or error.name
    if status == 429:
        message = f"rate limit exceeded ({message}); retry after Retry-After seconds"
    response, _ = envelope(status, code, message)
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    response.status_code = status
    return response


def _database_unavailable(error: OperationalError) -> tuple[Response, int]:
    log.error("database error: %s: %s", type(error.orig).__name__, error.orig)
    return envelope(503, "UNAVAILABLE", "the database is unavailable; try again shortly")


def _unexpected(error: Exception) -> tuple[Response, int]:
    log.error("unhandled error: %s", type(error).__name__, exc_info=error)
    return envelope(500, "INTERNAL", "internal error; the service log has the details")


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
