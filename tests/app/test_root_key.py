"""The root key and development mode (red-team findings 3 and 15): the key is always a string,
a key that is set must be usable, and development mode (authentication off) exists only when
the key is unset, under `oi serve` on loopback, for clients whose socket is on loopback."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.config import StartupRefused
from tests.support import databases
from tests.support.api import Api
from tests.support.gunicorn import CONFIG, gunicorn_command
from tests.support.live_server import free_port, oi_command, server_environment

UNUSABLE = ["", "   ", "null", "false", "0", "12345", "fifteen-chars!!"]


def app_with_key(database_url: str, tmp_path: Path, value: str, monkeypatch: Any) -> Flask:
    """An app whose root key comes from the environment, as an operator sets it."""
    config = databases.test_config(database_url, tmp_path / "instance")
    del config["ROOT_API_KEY"]
    monkeypatch.setenv("TOKENPATROL_ROOT_API_KEY", value)
    return create_app(config)


@pytest.mark.parametrize("value", UNUSABLE, ids=repr)
def test_a_root_key_that_is_set_but_unusable_refuses_start_up(
    database_url: str, tmp_path: Path, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`""`, `null`, `false` and `0` used to mean "no key" (development mode), `12345` a 500."""
    with pytest.raises(StartupRefused) as refused:
        app_with_key(database_url, tmp_path, value, monkeypatch)
    message = refused.value.message
    assert "TOKENPATROL_ROOT_API_KEY is set but" in message and "\n" not in message
    assert not value.strip() or value not in message


def test_a_numeric_key_is_a_string_and_whitespace_around_a_key_is_dropped(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digits = "1234567890123456789012"  # JSON would read this as a number
    api = Api(app_with_key(database_url, tmp_path, f"  {digits}\n", monkeypatch).test_client())
    checked = api.call("GET", "/auth/check", digits)
    assert checked.status == 200 and checked.body["kind"] == "root", checked.status
    assert api.call("GET", "/auth/check", "1234567890123456789013").status == 401


def test_without_a_key_the_app_refuses_unless_development_mode_is_allowed(
    make_app: Callable[..., Flask],
) -> None:
    with pytest.raises(StartupRefused) as refused:
        make_app(ROOT_API_KEY=None)
    assert "runs only under `oi serve` on a loopback address" in refused.value.message
    assert make_app(ROOT_API_KEY=None, DEVELOPMENT_MODE_ALLOWED=True) is not None


def test_the_environment_cannot_allow_development_mode(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKENPATROL_DEVELOPMENT_MODE_ALLOWED", "true")
    with pytest.raises(StartupRefused):
        make_app(ROOT_API_KEY=None)


def test_the_loopback_gate_reads_the_socket_not_x_forwarded_for(
    make_app: Callable[..., Flask],
) -> None:
    """Behind PROXY_COUNT=1, `X-Forwarded-For: 127.0.0.1` from a remote client passed."""
    app = make_app(ROOT_API_KEY=None, DEVELOPMENT_MODE_ALLOWED=True, PROXY_COUNT=1)
    client = app.test_client()
    forged = client.post(
        "/api/v1/admin/accounts",
        json={"account_id": "evil", "admin_user_id": "mallory"},
        headers={"X-Forwarded-For": "127.0.0.1"},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    assert forged.status_code == 403, forged.status_code
    assert forged.get_json()["error"]["code"] == "PERMISSION_DENIED"
    local = client.get("/auth/check", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.status_code == 200


def run_quietly(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_gunicorn_refuses_development_mode_in_one_line(database_url: str, tmp_path: Path) -> None:
    env = server_environment(database_url, tmp_path / "instance")
    del env["TOKENPATROL_ROOT_API_KEY"]
    env["TOKENPATROL_BIND"] = f"127.0.0.1:{free_port()}"
    done = run_quietly([*gunicorn_command(), "-c", str(CONFIG), "app:create_app()"], env)
    assert done.returncode != 0, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "development mode" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("value", ["", "false", "12345"], ids=repr)
def test_oi_serve_refuses_an_unusable_key_in_one_line(
    database_url: str, tmp_path: Path, value: str
) -> None:
    env = {**server_environment(database_url, tmp_path / "instance")}
    env["TOKENPATROL_ROOT_API_KEY"] = value
    done = run_quietly([*oi_command(), "serve", "--port", str(free_port())], env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "TOKENPATROL_ROOT_API_KEY is set but" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_key_id_named_twice_in_the_signing_keys_refuses_start_up(
    make_app: Callable[..., Flask],
) -> None:
    """Red-team finding 15: a duplicate kid minted `oai_` tokens that failed verification."""
    with pytest.raises(StartupRefused) as refused:
        make_app(SIGNING_KEYS="k1:first-secret-of-enough-length,k1:second-secret-of-enough")
    assert "names the key id 'k1' twice" in refused.value.message
    assert "secret" not in refused.value.message
