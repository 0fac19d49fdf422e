"""Configuration: every default the service has, then `TOKENPATROL_*` environment variables
(Flask convention), then a test's overrides. No other module sets a default."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from limits import RateLimitItem, parse

from scanner.errors import EXIT_ERROR, OiError

DEFAULTS: dict[str, Any] = {
    "ROOT_API_KEY": None,
    # Set only by code (`oi serve`, `oi server ...`, tests), never by the environment.
    "DEVELOPMENT_MODE_ALLOWED": False,
    # create_app() refuses a database behind the migrations (tests and `oi server` turn it off)
    "SCHEMA_CHECK_ON_START": True,
    # False for `oi server ...` (they serve nobody): no start-up warnings meant for a server
    "SERVES_REQUESTS": True,
    "DATABASE_URL": None,
    "SIGNING_KEYS": None,
    "RATE_LIMITS": "read=1000/hour,write=2000/hour,admin=5000/hour",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Flask-Limiter's per-address limits (OAuth, leak reports): a sliding window (weighted by
    # the previous window) has no burst at the window's edge. A credential's own budget is
    # app/services/budgets.py, with the same storage, key prefix and options.
    "RATELIMIT_STRATEGY": "sliding-window-counter",
    # Redis down: keep answering, counting in each process's memory until it is back (fail
    # open; README "Rate limits when Redis is down" says why), and never hang on it.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    # PostgreSQL connection pool, per worker process (SQLite ignores these).
    "DB_POOL_SIZE": 5,
    "DB_MAX_OVERFLOW": 10,
    "DB_POOL_TIMEOUT": 5,
    "DB_POOL_RECYCLE": 1800,
    "DB_CONNECT_TIMEOUT": 3,
    "REQUIRE_HTTPS": False,
    "PROXY_COUNT": 0,
    "BASE_URL": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "INVITE_TTL_HOURS": 168,
    "PASSWORD_LINK_TTL_MINUTES": 60,
    # GitHub secret scanning partner alerts (app/services/github_keys.py)
    "GITHUB_KEYS_URL": "https://api.github.com/meta/public_keys/secret_scanning",
    "GITHUB_KEYS_TIMEOUT_SECONDS": 5,
    "GITHUB_KEYS_CACHE_SECONDS": 86_400,
    "GITHUB_KEYS_REFETCH_SECONDS": 60,
    # Webhooks: receivers on loopback or private networks are refused unless allowed
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": False,
    "WEBHOOK_TIMEOUT_SECONDS": 5,
    # GitLab's Token Revocation API: the secret GitLab sends in Authorization (unset: off)
    "GITLAB_REVOCATION_TOKEN": None,  # a link that sets an existing user's password
    "LAST_USED_RESOLUTION_SECONDS": 60,
    "LEAK_RATE_LIMIT": "120/minute",
    # Reports of a token that is already revoked add at most this many events a day to it.
    "LEAK_EVENTS_PER_DEAD_TOKEN_PER_DAY": 5,
    "OAUTH_RATE_LIMIT": "60/minute",  # per client address, on /oauth/*
    "OAUTH_CODE_TTL_SECONDS": 60,
    "OAUTH_REFRESH_TTL_DAYS": 30,
    # `oi login --device` (RFC 8628): how long a device code and its user code live, how often
    # the CLI may poll (a faster poll answers slow_down and adds 5 s), and failed code entries
    # on the /device page in a moving window, per signed-in user and per address.
    "OAUTH_DEVICE_CODE_TTL_SECONDS": 600,
    "OAUTH_DEVICE_INTERVAL_SECONDS": 5,
    "OAUTH_DEVICE_ENTRY_RATE_LIMIT": "5/minute",
    "OAUTH_DEVICE_ENTRY_ADDRESS_RATE_LIMIT": "20/minute",
    # Failed web sign-ins in a moving window (app/web/throttle.py): per address and login name,
    # and per address whatever the names, which also caps the argon2 work one address causes.
    "LOGIN_RATE_LIMIT": "5/minute",
    "LOGIN_ADDRESS_RATE_LIMIT": "20/minute",
    # "Forgot password?": per client address and login name, and per address
    "PASSWORD_LINK_RATE_LIMIT": "3/hour",
    "PASSWORD_LINK_ADDRESS_RATE_LIMIT": "20/hour",
    # The per-process auth cache (app/services/auth_cache.py): "auto" is on when Redis holds
    # the rate limits (several processes), "off" never.
    "AUTH_CACHE": "auto",
    "AUTH_CACHE_ENTRIES": 10_000,
    "AUTH_CACHE_SECONDS": 30,
    "RATELIMIT_KEY_PREFIX": "",
    # The web UI's session cookie; it is also Secure whenever REQUIRE_HTTPS is on.
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SMTP_URL": None,
    "MAIL_FROM": "tokenpatrol@localhost",
    # The outbox (app/services/mail.py): workers send off the request path, with a bounded
    # timeout, backoff between attempts (30 s doubling, at most an hour), then a dead letter.
    "MAIL_SMTP_TIMEOUT_SECONDS": 5,
    "MAIL_MAX_ATTEMPTS": 10,
    "MAIL_RETRY_BASE_SECONDS": 30,
    "MAIL_RETRY_MAX_SECONDS": 3600,
    # `oi serve` sends due mail from a background thread this often (0: no thread).
    "MAIL_WORKER_INTERVAL_SECONDS": 5,
    "JSON_SORT_KEYS": False,
}

ROOT_KEY_ENV = "TOKENPATROL_ROOT_API_KEY"
MIN_ROOT_KEY_LENGTH = 16
DEV_MODE_ONLY_UNDER_OI_SERVE = (
    "development mode (no TOKENPATROL_ROOT_API_KEY: authentication off) runs only under "
    "`oi serve` on a loopback address; set a root key of at least 16 characters"
)


class StartupRefused(OiError):
    """The configuration or the database is unusable: one line saying what to change (`oi
    serve`, `oi server ...`, gunicorn and `flask run` print it and exit)."""

    exit_code = EXIT_ERROR


DEFAULT_RATE_LIMITS = {"read": "1000/hour", "write": "2000/hour", "admin": "5000/hour"}
RATE_LIMIT_CLASSES = tuple(DEFAULT_RATE_LIMITS)
RATE_LIMITS_SHAPE = (
    "TOKENPATROL_RATE_LIMITS must look like 'read=1000/hour,write=2000/hour,admin=5000/hour'"
)


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Defaults, then the environment, then the test's overrides; then derived values.

    `DEVELOPMENT_MODE_ALLOWED` is never read from the environment: only code may allow
    development mode (`oi serve` on loopback, the `oi server` commands, which serve nobody).
    """
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("TOKENPATROL")
    app.config["ROOT_API_KEY"] = root_key_from_environment()
    app.config["DEVELOPMENT_MODE_ALLOWED"] = False
    if test_config:
        app.config.from_mapping(test_config)
    app.config["ROOT_API_KEY"] = checked_root_key(app.config["ROOT_API_KEY"])
    app.config["GITLAB_REVOCATION_TOKEN"] = checked_shared_secret(
        "TOKENPATROL_GITLAB_REVOCATION_TOKEN", app.config["GITLAB_REVOCATION_TOKEN"]
    )
    if app.config["ROOT_API_KEY"] is None and not app.config["DEVELOPMENT_MODE_ALLOWED"]:
        raise StartupRefused(DEV_MODE_ONLY_UNDER_OI_SERVE)
    try:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        _fill_secrets(app)
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    except (OSError, ValueError) as error:  # ValueError: a secrets.json that is not JSON
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise StartupRefused(
            f"the instance folder {app.instance_path} cannot be used ({reason}): point "
            "TOKENPATROL_INSTANCE_PATH at a folder this user can write"
        ) from None
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)
    app.config["SIGNING_KEYRING"] = parse_signing_keys(app.config["SIGNING_KEYS"])
    app.config["RATE_LIMIT_BUDGETS"] = parse_rate_limits(app.config["RATE_LIMITS"])
    app.config["SESSION_COOKIE_SECURE"] = bool(
        app.config["SESSION_COOKIE_SECURE"] or app.config["REQUIRE_HTTPS"]
    )


def root_key_from_environment() -> str | None:
    """The root key exactly as the environment holds it: a string, never parsed as JSON (where
    `""`, `null`, `false` or `0` would read as "no key" and `12345` as a number)."""
    return os.environ.get(ROOT_KEY_ENV)


def check_production_environment() -> None:
    """What a production server (gunicorn) checks before it starts: a usable root key."""
    if checked_root_key(root_key_from_environment()) is None:
        raise StartupRefused(DEV_MODE_ONLY_UNDER_OI_SERVE)


def checked_root_key(value: object) -> str | None:
    """None when no key is set (development mode); else the key, stripped, if it is usable."""
    if value is None:
        return None
    key = str(value).strip()
    if len(key) < MIN_ROOT_KEY_LENGTH:
        raise StartupRefused(
            f"{ROOT_KEY_ENV} is set but {'empty' if not key else 'too short'}: use at least "
            f"{MIN_ROOT_KEY_LENGTH} characters (unset it only for development under `oi serve`)"
        )
    return key


def checked_shared_secret(name: str, value: object) -> str | None:
    """A secret another system presents to us: unset, or at least 16 characters."""
    if value is None or value == "":
        return None
    secret = str(value).strip()
    if len(secret) < MIN_ROOT_KEY_LENGTH:
        raise StartupRefused(f"{name} is too short: use at least {MIN_ROOT_KEY_LENGTH} characters")
    return secret


def database_url(app: Flask) -> str:
    """`TOKENPATROL_DATABASE_URL`, or the embedded SQLite file in the instance folder."""
    url = app.config["DATABASE_URL"]
    if url:
        return str(url)
    path = Path(app.instance_path) / "tokenpatrol.sqlite3"
    # Created here, owner-only like secrets.json: SQLite would make it world-readable (0644).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    return "sqlite:///" + str(path)


def engine_options(app: Flask) -> dict[str, Any]:
    """Pool settings; pre-ping makes a restarted database cost no failed request."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options.update(
            pool_size=int(app.config["DB_POOL_SIZE"]),
            max_overflow=int(app.config["DB_MAX_OVERFLOW"]),
            pool_timeout=float(app.config["DB_POOL_TIMEOUT"]),
            pool_recycle=int(app.config["DB_POOL_RECYCLE"]),
            connect_args={"connect_timeout": int(app.config["DB_CONNECT_TIMEOUT"])},
        )
    return options


def is_sqlite_database(app: Flask) -> bool:
    """SQLite, the embedded file or another: `oi serve` upgrades it itself (one process, one
    user, nobody else to run `oi server upgrade-db` first)."""
    return str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")


def parse_signing_keys(value: object) -> list[tuple[str, bytes]]:
    """`kid:secret,kid2:secret2` -> [(kid, secret bytes)]: the first signs, all verify."""
    if not value:
        return []
    keys: list[tuple[str, bytes]] = []
    for item in str(value).split(","):
        kid, sep, secret = item.strip().partition(":")
        if not sep or not kid or not secret:
            raise StartupRefused(
                "TOKENPATROL_SIGNING_KEYS must look like 'kid:secret,kid2:secret2'"
            )
        if any(kid == known for known, _secret in keys):
            # Tokens signed with one of the two would fail against the other.
            raise StartupRefused(f"TOKENPATROL_SIGNING_KEYS names the key id {kid!r} twice")
        keys.append((kid, secret.encode("utf-8")))
    return keys


def parse_rate_limits(value: object) -> dict[str, RateLimitItem]:
    """`read=1000/hour,write=2000/hour,admin=5000/hour` -> {class: its hourly budget}."""
    table = dict(DEFAULT_RATE_LIMITS)
    for item in str(value or "").split(","):
        name, sep, limit = item.strip().partition("=")
        if not item.strip():
            continue
        if not sep or name not in RATE_LIMIT_CLASSES or not limit:
            raise StartupRefused(RATE_LIMITS_SHAPE)
        table[name] = limit
    try:
        return {name: parse(limit) for name, limit in table.items()}
    except ValueError:
        raise StartupRefused(RATE_LIMITS_SHAPE) from None


def _fill_secrets(app: Flask) -> None:
    """Keep a generated SECRET_KEY and signing key in the instance folder when none is configured.

    A key made up at every start would invalidate every `oai_` token at every restart.
    """
    if app.config.get("SECRET_KEY") and app.config["SIGNING_KEYS"]:
        return
    stored = _instance_secrets(Path(app.instance_path) / "secrets.json")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = stored["secret_key"]
    if not app.config["SIGNING_KEYS"]:
        app.config["SIGNING_KEYS"] = f"local:{stored['signing_key']}"
        if app.config["SERVES_REQUESTS"] or stored.get("made_now"):
            app.logger.warning(
                "TOKENPATROL_SIGNING_KEYS is not set: signing oai_ tokens with a key kept in the "
                "instance folder (set it explicitly when running several instances)"
            )


def _instance_secrets(path: Path) -> dict[str, str]:
    """Read the instance secrets, creating them atomically (hard link) if no process has yet
    (then `made_now` is set)."""
    if not path.exists():
        stored = {"secret_key": secrets.token_urlsafe(32), "signing_key": secrets.token_urlsafe(32)}
        draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle)
        try:
            os.link(draft, path)
        except FileExistsError:  # another worker starting at the same moment won the race
            pass
        finally:
            draft.unlink()
        return {**_read_secrets(path), "made_now": "yes"}
    return _read_secrets(path)


def _read_secrets(path: Path) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(path.read_text())
    return loaded
