"""`oi profile` and `oi auth check` against a real service (seeds 000 and 001)."""

from __future__ import annotations

import datetime as dt
import json
import stat
import time
from pathlib import Path

import pytest

from scanner import formats
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.expiry import valid_then_expired
from tests.support.live_server import LiveServer, free_port
from tests.support.oi_cli import assert_no_raw_token, oi


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


def test_profile_set_show_list_use(config_home: Path) -> None:
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    done = oi(
        "profile",
        "set",
        "--app-url",
        "https://tokens.example",
        "--token",
        token,
        "--agent-id",
        "agent-alpha",
        config_home=config_home,
    )
    assert done.returncode == 0, done.stderr
    path = config_home / "tokenpatrol" / "profiles.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = oi("profile", "show", config_home=config_home)
    assert "https://tokens.example" in shown.stdout and "agent-alpha" in shown.stdout
    assert (token in shown.stdout) is False and token[-4:] in shown.stdout
    oi(
        "profile",
        "set",
        "--name",
        "work",
        "--app-url",
        "https://work.example",
        config_home=config_home,
    )
    assert oi("profile", "list", config_home=config_home).stdout.split() == ["default", "*", "work"]
    assert oi("profile", "use", "default", config_home=config_home).returncode == 0
    assert oi("profile", "use", "nope", config_home=config_home).returncode != 0


def test_auth_check_valid_revoked_and_env_override(
    live_server: LiveServer, http: Api, config_home: Path
) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    pat = http.create_token(key, scope="read_write")
    oi(
        "profile",
        "set",
        "--app-url",
        live_server.url,
        "--token",
        pat["token"],
        config_home=config_home,
    )
    valid = oi("auth", "check", config_home=config_home)
    assert valid.returncode == 0, valid.stderr
    assert "valid" in valid.stdout and "read_write" in valid.stdout and "acme/alice" in valid.stdout
    assert (pat["token"] in valid.stdout) is False

    http.call("DELETE", f"/me/pats/{pat['id']}", key)
    revoked = oi("auth", "check", config_home=config_home)
    assert revoked.returncode == 1 and "revoked" in revoked.stderr

    other = http.create_token(key, "api-tokens", scope="read")["token"]
    override = oi("auth", "check", config_home=config_home, OPENINDEX_TOKEN=other)
    assert override.returncode == 0 and "scope read" in override.stdout


def test_auth_check_without_a_token_is_invalid(config_home: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # never contacted: the token is missing first
    done = oi("auth", "check", config_home=config_home, OPENINDEX_APP_URL=url)
    assert done.returncode == 1 and "invalid: missing token" in done.stderr, done


def test_auth_check_expired_token(live_server: LiveServer, http: Api, config_home: Path) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    env = {"OPENINDEX_APP_URL": live_server.url}

    def make(expires_at: dt.datetime) -> str:
        return str(http.create_token(key, scope="read", expiresAt=expires_at.isoformat())["token"])

    def works(token: str) -> bool:
        done = oi("auth", "check", config_home=config_home, OPENINDEX_TOKEN=token, **env)
        return done.returncode == 0

    token = valid_then_expired(make, works)
    expired = oi("auth", "check", config_home=config_home, OPENINDEX_TOKEN=token, **env)
    assert expired.returncode == 1 and "expired" in expired.stderr, expired
    assert_no_raw_token(expired)


@pytest.mark.parametrize(
    ("held", "needed", "refused"),
    [
        ("read", "admin", "insufficient scope: token has read, needs admin"),
        ("read", "write", "insufficient scope: token has read, needs read_write"),
        ("read_write", "write", None),
        ("read_write", "read", None),
    ],
)
def test_auth_check_scope(
    live_server: LiveServer,
    http: Api,
    config_home: Path,
    held: str,
    needed: str,
    refused: str | None,
) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    token = http.create_token(key, scope=held)["token"]
    env = {"OPENINDEX_APP_URL": live_server.url, "OPENINDEX_TOKEN": token}
    done = oi("auth", "check", "--scope", needed, config_home=config_home, **env)
    assert_no_raw_token(done)
    if refused is None:
        assert done.returncode == 0 and f"scope {held}" in done.stdout, done
    else:
        assert done.returncode == 1 and refused in done.stderr and done.stdout == "", done


def test_auth_check_invalid_unreachable_and_json(
    live_server: LiveServer, http: Api, config_home: Path
) -> None:
    unknown = formats.PERSONAL_ACCESS_TOKEN.generate()  # well-formed, so the service is asked
    invalid = oi(
        "auth", "check", config_home=config_home,
        OPENINDEX_APP_URL=live_server.url, OPENINDEX_TOKEN=unknown,
    )  # fmt: skip
    assert invalid.returncode == 1, invalid
    assert f"invalid ({formats.redact(unknown)}): invalid token" in invalid.stderr, invalid
    dead = f"http://127.0.0.1:{free_port()}"
    down = oi("auth", "check", "--app-url", dead, config_home=config_home, OPENINDEX_TOKEN=unknown)
    assert down.returncode == 1 and f"{dead} is unreachable" in down.stderr, down
    no_url = oi("auth", "check", config_home=config_home, OPENINDEX_TOKEN=unknown)
    assert no_url.returncode == 1 and "no service URL" in no_url.stderr, no_url

    key = http.create_account(ROOT_KEY, "acme", "alice")
    answer = oi(
        "auth", "check", "--json", "--app-url", live_server.url,
        config_home=config_home, OPENINDEX_TOKEN=key,
    )  # fmt: skip
    assert json.loads(answer.stdout)["userId"] == "alice"
    assert_no_raw_token(answer)


def test_auth_check_uses_the_oi_login_token(
    live_server: LiveServer, http: Api, config_home: Path
) -> None:
    # What `oi login` stores (any token the service accepts stands in for the OAuth access
    # token here: the OAuth flow itself is tested with the OAuth server).
    key = http.create_account(ROOT_KEY, "acme", "alice")
    stand_in = http.create_token(key, scope="read")["token"]
    profile = config_home / "tokenpatrol" / "profiles.toml"
    profile.parent.mkdir(parents=True)
    profile.write_text(
        'active = "default"\n[profiles.default]\n'
        f'app_url = "{live_server.url}"\n'
        f'oauth_access_token = "{stand_in}"\n'
        f'oauth_expires_at = "{int(time.time()) + 3600}"\n'
    )
    done = oi("auth", "check", config_home=config_home)
    assert done.returncode == 0 and "(from oi login)" in done.stdout, done
    assert_no_raw_token(done)
