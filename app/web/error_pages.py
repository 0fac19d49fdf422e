"""Errors on web pages answer an HTML page (the JSON envelope is for the API)."""

from __future__ import annotations

import logging

from flask import make_response, render_template, request
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from app.errors import ApiError
from app.web import throttle
from app.web.blueprint import bp
from app.web.forms import LoginForm
from app.web.session_views import render_login
from scanner.formats import redact_text

log = logging.getLogger(__name__)

_SKIPPED_HEADERS = ("content-type", "content-length")


def error_page(status: int, message: str) -> Response:
    title = HTTP_STATUS_CODES.get(status, "Error")
    body = render_template("error.html", title=title, message=redact_text(message), status=status)
    return make_response(body, status)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error_page(error.status, error.message)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if isinstance(error, RateLimitExceeded) and request.endpoint == throttle.SIGN_IN_ENDPOINT:
        response = _sign_in_throttled()
    else:
        response = error_page(status, error.description or error.name)
    for name, value in error.get_headers():
        if name.lower() not in _SKIPPED_HEADERS:
            response.headers[name] = value
    return response


@bp.errorhandler(OperationalError)
def _database_unavailable(error: OperationalError) -> Response:
    log.error("database error: %s: %s", type(error.orig).__name__, error.orig)
    return error_page(503, "The database is unavailable; try again shortly.")


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.error("unhandled error: %s", type(error).__name__, exc_info=error)
    return error_page(500, "Something went wrong; the service log has the details.")


def _sign_in_throttled() -> Response:
    seconds = throttle.retry_after_seconds()
    message = throttle.TOO_MANY.format(seconds=seconds)
    response = render_login(LoginForm(formdata=None), message, 429)
    response.headers["Retry-After"] = str(seconds)
    return response
