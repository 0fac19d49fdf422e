"""`oi profile` and `oi auth check` against a real service (seeds 000 and 001)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.live_server import LiveServer, oi_command


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


def oi(*args: str, config_home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENINDEX_", "TOKENPATROL_"))
    }
    return subprocess.run(
        [*oi_command(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**clean, "XDG_CONFIG_HOME": str(config_home), **env},
    )


def test_profile_set_show_list_use(config_home: Path) -> None:
    token = "oi_pat_" + "A" * 36
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
    done = oi("auth", "check", config_home=config_home)
    assert done.returncode == 1 and "missing token" in done.stderr
