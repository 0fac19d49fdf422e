"""Every setting the service reads has its default in app/config.py, and only there."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from app import config

APP = Path(__file__).resolve().parents[2] / "app"
READ = re.compile(r"""config\[["']([A-Z0-9_]+)["']\]""")
DEFAULT_ELSEWHERE = re.compile(r"""config\.(?:setdefault|get)\(""")
# Set by config.load from the settings above (or Flask's own), and Authlib's wiring.
DERIVED = {
    "SQLALCHEMY_DATABASE_URI",
    "SQLALCHEMY_ENGINE_OPTIONS",
    "SIGNING_KEYRING",
    "RATE_LIMIT_BUDGETS",
    "SECRET_KEY",
}


def sources() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in APP.rglob("*.py")
        if "migrations" not in path.parts
    }


def test_every_setting_read_has_a_default_in_config() -> None:
    read = {name for text in sources().values() for name in READ.findall(text)}
    assert "LOGIN_RATE_LIMIT" in read and "OAUTH_CODE_TTL_SECONDS" in read, read
    written_by_authlib_wiring = {name for name in read if name.startswith("OAUTH2_")}
    missing = read - set(config.DEFAULTS) - DERIVED - written_by_authlib_wiring
    assert not missing, f"settings read without a default in app/config.py: {sorted(missing)}"


def test_no_module_but_config_sets_a_default() -> None:
    elsewhere = [
        f"{path.relative_to(APP.parent)}: {line.strip()}"
        for path, text in sources().items()
        if path.name != "config.py" or path.parent != APP
        for line in text.splitlines()
        if DEFAULT_ELSEWHERE.search(line)
    ]
    assert not elsewhere, f"defaults set outside app/config.py: {elsewhere}"


def test_the_defaults_reach_the_app_and_the_environment_overrides_them(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    assert app.config["LOGIN_RATE_LIMIT"] == "5/minute"
    assert app.config["OAUTH_REFRESH_TTL_DAYS"] == 30
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.setenv("TOKENPATROL_LOGIN_RATE_LIMIT", "7/minute")
    monkeypatch.setenv("TOKENPATROL_REQUIRE_HTTPS", "true")
    changed = make_app()
    assert changed.config["LOGIN_RATE_LIMIT"] == "7/minute"
    assert changed.config["SESSION_COOKIE_SECURE"] is True


def test_the_embedded_database_is_readable_by_its_owner_only(
    app_config: dict[str, object], tmp_path: Path
) -> None:
    """Issue 13: the SQLite file was created 0644 while secrets.json is 0600."""
    import stat

    from app import create_app

    instance = tmp_path / "fresh-instance"
    create_app({**app_config, "DATABASE_URL": None, "INSTANCE_PATH": str(instance)})
    mode = stat.S_IMODE((instance / "tokenpatrol.sqlite3").stat().st_mode)
    assert mode == 0o600, oct(mode)
