"""The tokenpatrol service: `create_app()` builds everything (`flask --app app run`, gunicorn)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask, Response, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config, errors, logs
from app.auth import authenticate_request, budget_headers, refuse_remote_clients_in_dev_mode
from app.errors import HttpsRequired
from app.extensions import db, limiter, migrate

log = logging.getLogger(__name__)
MIGRATIONS_DIRECTORY = str(Path(__file__).parent / "migrations")
PROBE_PATHS = frozenset({"/health", "/ready"})


def create_app(
    test_config: dict[str, Any] | None = None, *, development_mode_allowed: bool = False
) -> Flask:
    """The app. It refuses to start (`config.StartupRefused`) on a database behind the
    migrations, and without a root key unless the caller allows development mode: `oi serve`
    on loopback, or an `oi server` command."""
    try:
        return _build(test_config, development_mode_allowed)
    except config.StartupRefused as refused:
        if _under_the_flask_command():
            raise click.ClickException(refused.message) from None  # one line, no traceback
        raise


def _build(test_config: dict[str, Any] | None, development_mode_allowed: bool) -> Flask:
    if development_mode_allowed:
        test_config = {"DEVELOPMENT_MODE_ALLOWED": True, **(test_config or {})}
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "TOKENPATROL_INSTANCE_PATH"
    )
    app = Flask(
        __name__, instance_path=instance_path, instance_relative_config=True, static_folder=None
    )
    logs.configure(app)
    config.load(app, test_config)
    _bind_extensions(app)
    _install_request_hooks(app)
    errors.init_app(app)
    _register_blueprints(app)
    if app.config["SCHEMA_CHECK_ON_START"]:
        from app import schema

        schema.refuse_if_behind(app)
    if not app.config["ROOT_API_KEY"] and app.config["SERVES_REQUESTS"]:
        log.warning(
            "DEVELOPMENT MODE: TOKENPATROL_ROOT_API_KEY is not set, so authentication is OFF "
            "and only loopback clients are answered. Set a root key before exposing this service."
        )
    return app


def _under_the_flask_command() -> bool:
    """`flask --app app run`: Flask's CLI prints a click error as one line."""
    from flask.cli import FlaskGroup

    context = click.get_current_context(silent=True)
    return context is not None and isinstance(context.find_root().command, FlaskGroup)


def _bind_extensions(app: Flask) -> None:
    from app.services import auth_cache, budgets

    db.init_app(app)
    auth_cache.init_app(app)
    budgets.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY)
    if app.config["PROXY_COUNT"]:
        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _install_request_hooks(app: Flask) -> None:
    """Order matters: HTTPS and dev-mode checks, then authentication, then rate limits."""
    app.before_request(_start_clock)
    app.before_request(_require_https)
    app.before_request(refuse_remote_clients_in_dev_mode)
    app.before_request(authenticate_request)
    app.after_request(_retry_after_only_when_limited)
    app.after_request(budget_headers)
    limiter.init_app(app)  # after our hooks: its after_request runs before ours


def _register_blueprints(app: Flask) -> None:
    from app import oauth, web
    from app.api import admin, leaks, me, partners, system

    for blueprint in (system.bp, me.bp, admin.bp, leaks.bp, partners.bp):
        app.register_blueprint(blueprint)
    web.init_app(app)
    oauth.init_app(app)


def _retry_after_only_when_limited(response: Response) -> Response:
    """Flask-Limiter sends Retry-After on every response; it only means something on a 429."""
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)
    return response


def _start_clock() -> None:
    g.started = time.perf_counter()


def _require_https() -> None:
    """Seed 003: plain HTTP is refused (the probes, /health and /ready, excepted)."""
    if (
        current_app.config["REQUIRE_HTTPS"]
        and not request.is_secure
        and request.path not in PROBE_PATHS
    ):
        raise HttpsRequired("HTTPS is required: plain HTTP requests are refused")
