"""`oi server revoke | purge-expired | notify-expiring | create-admin` as an operator runs them:
the real console script, on the test's database, checked through the HTTP API and a real
SMTP server."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.live_server import oi_command, server_environment
from tests.support.oauth_flow import PASSWORD, person_with_password
from tests.support.secrets import find_tokens
from tests.support.smtp import Inbox


@pytest.fixture
def operator(database_url: str, tmp_path: Path, smtp_port: int) -> Any:
    env = server_environment(
        database_url, tmp_path / "instance", TOKENPATROL_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}"
    )

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*oi_command(), "server", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
        assert find_tokens(done.stdout + done.stderr) == []
        return done

    return run


def alive(api: Api, token: str) -> bool:
    return api.call("GET", "/auth/check", token).status == 200


def test_revoke_by_token_user_and_account(api: Api, root_key: str, operator: Any) -> None:
    alice = api.create_account(root_key, "acme", "alice")
    bob = api.register_user(alice, "acme", "bob")
    other = api.create_account(root_key, "globex", "gina")
    pat = api.create_token(alice)

    done = operator("revoke", "--token-id", pat["id"])
    assert done.returncode == 0 and "revoked 1 token" in done.stdout, done.stderr
    assert not alive(api, pat["token"]) and alive(api, alice)

    done = operator("revoke", "--user", "acme/bob")
    assert done.returncode == 0 and not alive(api, bob) and alive(api, alice)

    done = operator("revoke", "--account", "acme")
    assert done.returncode == 0 and not alive(api, alice) and alive(api, other)


def test_revoke_refuses_bad_input_clearly(operator: Any) -> None:
    assert operator("revoke").returncode == 2
    assert operator("revoke", "--user", "nobody").returncode == 2
    missing = operator("revoke", "--token-id", "pat_missing")
    assert missing.returncode == 1 and "no token with id" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_purge_keeps_live_and_leaked_tokens(api: Api, root_key: str, operator: Any) -> None:
    key = api.create_account(root_key, "acme", "alice")
    live = api.create_token(key, name="live")
    gone = api.create_token(key, name="gone")
    leaked = api.create_token(key, name="leaked")
    api.call("DELETE", f"/me/pats/{gone['id']}", key)
    api.call(
        "POST",
        "/api/v1/leaks/revoke",
        json_body={"tokens": [leaked["token"]], "location": {"path": "a"}, "source": "ci"},
    )
    done = operator("purge-expired", "--older-than-days", "0")
    assert done.returncode == 0 and "purged 1 tokens" in done.stdout, done.stdout
    names = {row["name"] for row in api.call("GET", "/me/pats", key).body}
    assert names == {"live"} and alive(api, live["token"])
    check = api.call(
        "POST", "/api/v1/leaks/check", json_body={"hashes": [_sha256(leaked["token"])]}
    )
    assert check.body["results"][0]["status"] == "revoked"  # kept for the leak record


def test_expiry_reminders_7_days_and_1_day_before_never_twice(
    api: Api, root_key: str, operator: Any, inbox: Inbox
) -> None:
    email = person_with_password(api, root_key, "acme", "carol")
    carol = _sign_in_key(api, root_key)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    soon = api.create_token(carol, name="soon", expiresAt=_iso(now + dt.timedelta(days=3)))
    api.create_token(carol, name="later", expiresAt=_iso(now + dt.timedelta(days=30)))
    api.create_token(carol, name="never")

    first = operator("notify-expiring")
    assert first.returncode == 0 and "queued 1 reminder;" in first.stdout, first.stdout
    assert operator("notify-expiring").stdout.startswith("queued 0 reminders")
    (seven,) = inbox.messages
    assert seven["To"] == email and "'soon' expires in 7 days" in seven["Subject"]

    two_days_on = _iso(now + dt.timedelta(days=2, hours=12))[:-1]
    assert "queued 1 reminder;" in operator("notify-expiring", "--now", two_days_on).stdout
    assert "queued 0 reminders" in operator("notify-expiring", "--now", two_days_on).stdout
    assert [m["Subject"] for m in inbox.messages][1].endswith("'soon' expires tomorrow")
    assert soon["id"] in inbox.messages[1].get_payload()


def test_concurrent_cron_runs_send_each_reminder_once(
    api: Api, root_key: str, database_url: str, tmp_path: Path, smtp_port: int, inbox: Inbox
) -> None:
    person_with_password(api, root_key, "acme", "carol")
    carol = _sign_in_key(api, root_key)
    soon = _iso(dt.datetime.now(dt.UTC) + dt.timedelta(days=5))
    for n in range(6):
        api.create_token(carol, name=f"t{n}", expiresAt=soon)
    env = server_environment(
        database_url, tmp_path / "instance", TOKENPATROL_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}"
    )
    runs = [
        subprocess.Popen(
            [*oi_command(), "server", "notify-expiring"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert sorted(m["Subject"] for m in inbox.messages) == sorted(
        f"Your personal access token 't{n}' expires in 7 days" for n in range(6)
    )


def test_create_admin_can_sign_in_to_the_web_ui(client: Any, operator: Any) -> None:
    done = operator(
        "create-admin",
        "--account",
        "initech",
        "--user",
        "peter",
        "--email",
        "peter@initech.example",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0 and "created ADMIN initech/peter" in done.stdout, done.stderr
    from tests.support.oauth_flow import csrf_token

    page = client.get("/login")
    signed = client.post(
        "/login",
        data={
            "login": "peter@initech.example",
            "password": PASSWORD,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert signed.status_code == 302
    again = operator(
        "create-admin",
        "--account",
        "initech",
        "--user",
        "peter",
        "--email",
        "p2@initech.example",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    short = operator(
        "create-admin",
        "--account",
        "x",
        "--user",
        "y",
        "--email",
        "y@x.example",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 2


def _sign_in_key(api: Api, root_key: str) -> str:
    """A key for carol (made by regenerating it with the root key)."""
    reply = api.call("POST", "/api/v1/admin/accounts/acme/users/carol/key", root_key)
    assert reply.status == 200, reply
    return str(reply.body["result"]["user_key"])


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256(token: str) -> str:
    from scanner.formats import token_hash

    return token_hash(token)
