"""Logging set-up: one handler on the root logger, and no log line ever carries a token.

A token should never reach a log in the first place, but a client may paste one into a
URL (`?access_token=...`) and the access log writes request lines as they came. The filter
redacts every token-shaped string on the loggers that print request lines and our own.
"""

from __future__ import annotations

import logging

from flask import Flask
from flask.logging import default_handler

from scanner.formats import TOKEN_SHAPED, redact_text

REDACTED_LOGGERS = ("app", "werkzeug", "gunicorn.access", "gunicorn.error", "flask_limiter")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TOKEN_SHAPED.search(message):
            record.msg, record.args = redact_text(message), None
        return True


def configure(app: Flask) -> None:
    """Log through the root logger only (Flask's own handler would print every line twice)."""
    app.logger.removeHandler(default_handler)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactTokens) for existing in logger.filters):
            logger.addFilter(RedactTokens())
