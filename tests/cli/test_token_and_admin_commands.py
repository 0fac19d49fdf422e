"""`oi tokens`, `oi api-tokens` and `oi admin` against a real `oi serve` (the installed script)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner import formats
from tests.cli.terminal import at_terminal
from tests.support import databases
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.live_server import LiveServer, free_port, running_server
from tests.support.oi_cli import Run, assert_no_raw_token, oi


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def alice_key(http: Api) -> str:
    """The user key of alice, ADMIN of account acme."""
    return http.create_account(ROOT_KEY, "acme", "alice")


@pytest.fixture
def signed_in(live_server: LiveServer, alice_key: str, config_home: Path) -> Path:
    """A profile holding alice's key; returns the config home."""
    done = oi(
        "profile",
        "set",
        "--app-url",
        live_server.url,
        "--token",
        alice_key,
        config_home=config_home,
    )
    assert done.returncode == 0, done
    return config_home


@pytest.fixture
def admin(live_server: LiveServer, config_home: Path) -> Callable[..., Run]:
    """`oi admin ARGS` with the root key from OPENINDEX_TOKEN; the key itself is never printed."""

    def run(*args: str) -> Run:
        done = oi(
            "admin",
            *args,
            config_home=config_home,
            OPENINDEX_TOKEN=ROOT_KEY,
            OPENINDEX_APP_URL=live_server.url,
        )
        printed = ROOT_KEY in done.output
        assert not printed, "the root key was printed"
        return done

    return run


def auth_check(live_server: LiveServer, config_home: Path, token: str) -> Run:
    return oi(
        "auth",
        "check",
        "--app-url",
        live_server.url,
        config_home=config_home,
        OPENINDEX_TOKEN=token,
    )


def one_line_error(run: Run, text: str) -> None:
    """Exit 1, nothing on stdout, and one line on stderr that says `text`."""
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1, run
    assert len(lines) == 1 and text in lines[0], run
    assert run.stdout == "", run


def future_date(days: int = 30) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def test_tokens_create_list_rotate_delete(signed_in: Path, alice_key: str) -> None:
    home = signed_in
    created = oi(
        "tokens",
        "create",
        "--name",
        "ci",
        "--scope",
        "read",
        "--expires",
        future_date(),
        config_home=home,
    )
    assert created.returncode == 0, created
    first = created.shown_once()
    assert "shown only once" in created.stderr

    listed = oi("tokens", "list", config_home=home)
    assert listed.returncode == 0, listed
    assert_no_raw_token(listed, alice_key)
    row = next(line for line in listed.stdout.splitlines() if f"...{first[-4:]}" in line)
    assert " ci " in row and " read " in row and "never" in row and "active" in row
    assert future_date() in row

    pats = json.loads(oi("tokens", "list", "--json", config_home=home).stdout)
    assert [pat["name"] for pat in pats] == ["ci"] and "token" not in pats[0]
    assert oi("auth", "check", config_home=home, OPENINDEX_TOKEN=first).returncode == 0

    rotated = oi("tokens", "rotate", pats[0]["id"], config_home=home)
    assert rotated.returncode == 0, rotated
    second = rotated.shown_once()
    assert second != first
    old = oi("auth", "check", config_home=home, OPENINDEX_TOKEN=first)
    assert old.returncode == 1 and "revoked" in old.stderr, old

    new_id = json.loads(oi("tokens", "list", "--json", config_home=home).stdout)[0]["id"]
    deleted = oi("tokens", "delete", new_id, config_home=home)
    assert deleted.returncode == 0 and f"deleted personal access token {new_id}" in deleted.stdout
    gone = oi("auth", "check", config_home=home, OPENINDEX_TOKEN=second)
    assert gone.returncode == 1 and "revoked" in gone.stderr, gone
    assert_no_raw_token(gone)
    assert "no tokens" in oi("tokens", "list", config_home=home).stderr


def test_api_tokens_with_json(signed_in: Path) -> None:
    home = signed_in
    created = oi(
        "api-tokens", "create", "--name", "bot", "--scope", "write", "--json", config_home=home
    )
    assert created.returncode == 0, created
    answer = json.loads(created.stdout)
    assert answer["token"].startswith("oai_") and answer["scope"] == "read_write"
    assert len(created.tokens()) == 1 and "shown only once" in created.stderr

    listed = oi("api-tokens", "list", config_home=home)
    assert_no_raw_token(listed)
    assert "oai_..." + answer["token"][-4:] in listed.stdout and "bot" in listed.stdout
    assert json.loads(oi("tokens", "list", "--json", config_home=home).stdout) == []

    deleted = oi("api-tokens", "delete", answer["id"], "--json", config_home=home)
    assert json.loads(deleted.stdout) == {"id": answer["id"], "deleted": True}


def test_admin_accounts_and_users_with_the_root_key(
    live_server: LiveServer, config_home: Path, admin: Callable[..., Run]
) -> None:
    created = admin("accounts", "create", "acme", "--admin", "alice")
    assert created.returncode == 0, created
    alice = created.shown_once()
    check = auth_check(live_server, config_home, alice)
    assert check.returncode == 0 and "acme/alice" in check.stdout and "role admin" in check.stdout

    assert re.search(r"acme\s+1\s", admin("accounts", "list").stdout)
    envelope = json.loads(admin("accounts", "list", "--json").stdout)
    assert envelope["status"] == "ok" and envelope["result"][0]["account_id"] == "acme"
    assert "account_id: acme" in admin("accounts", "show", "acme").stdout

    added = admin("users", "add", "acme", "bob", "--role", "user")
    bob = added.shown_once()
    assert "added user bob" in added.stderr
    assert re.search(r"bob\s+user", admin("users", "list", "acme").stdout)
    assert "now admin" in admin("users", "set-role", "acme", "bob", "admin").stdout
    assert "role: admin" in admin("users", "show", "acme", "bob").stdout

    regenerated = admin("users", "regenerate-key", "acme", "bob")
    assert regenerated.shown_once() != bob
    assert auth_check(live_server, config_home, bob).returncode == 1

    assert "removed bob" in admin("users", "remove", "acme", "bob", "--yes").stdout
    assert admin("accounts", "delete", "acme", "-y").returncode == 0
    one_line_error(admin("accounts", "show", "acme"), "acme")  # the server's NOT_FOUND message


def test_admin_invites_settings_and_leaks(
    live_server: LiveServer,
    http: Api,
    alice_key: str,
    config_home: Path,
    admin: Callable[..., Run],
) -> None:
    invited = admin("invites", "create", "--email", "carol@example.com", "--account", "acme")
    assert invited.returncode == 0, invited
    assert invited.shown_once(alone=False).startswith("oi_inv_")
    assert "/invite#oi_inv_" in formats.redact_text(invited.stdout)
    invites = json.loads(admin("invites", "list", "--json").stdout)["result"]
    assert [(i["email"], i["status"]) for i in invites] == [("carol@example.com", "pending")]
    assert admin("invites", "revoke", invites[0]["id"]).returncode == 0
    assert "revoked" in admin("invites", "list").stdout

    pat = http.create_token(alice_key, scope="read")["token"]
    no_maximum = "max_token_lifetime_days: -\n"
    assert admin("settings", "show").stdout == no_maximum + "pats_enabled: true\n"
    assert admin("settings", "set", "--no-pats").stdout == no_maximum + "pats_enabled: false\n"
    refused = auth_check(live_server, config_home, pat)
    assert_no_raw_token(refused)
    one_line_error(refused, "permission denied: personal access tokens are switched off")
    listing = oi("tokens", "list", config_home=config_home, OPENINDEX_TOKEN=pat,
                 OPENINDEX_APP_URL=live_server.url)  # fmt: skip
    one_line_error(listing, "permission denied: personal access tokens are switched off")
    assert admin("settings", "set", "--pats").stdout == no_maximum + "pats_enabled: true\n"

    assert "no leaks" in admin("leaks", "list").stderr
    leak = {"tokens": [pat], "location": {"repo": "acme/app", "path": "ci.yml", "line": 3}}
    assert http.call("POST", "/api/v1/leaks/revoke", json_body=leak).status == 200
    leaks = admin("leaks", "list")
    assert_no_raw_token(leaks)
    assert "acme/app:ci.yml:3" in leaks.stdout and "acme/alice" in leaks.stdout, leaks


def test_environment_beats_the_profile_and_the_flag_beats_both(
    live_server: LiveServer, alice_key: str, config_home: Path
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    oi(
        "profile",
        "set",
        "--app-url",
        dead,
        "--token",
        formats.PERSONAL_ACCESS_TOKEN.generate(),
        config_home=config_home,
    )
    env = {"OPENINDEX_TOKEN": alice_key, "OPENINDEX_APP_URL": live_server.url}
    assert oi("tokens", "list", config_home=config_home, **env).returncode == 0
    env["OPENINDEX_APP_URL"] = dead
    flag = oi("tokens", "list", "--app-url", live_server.url, config_home=config_home, **env)
    assert flag.returncode == 0, flag
    unreachable = oi("tokens", "list", config_home=config_home, **env)
    one_line_error(unreachable, f"{dead} is unreachable")


def test_refusals_are_one_clear_line_and_exit_1(
    live_server: LiveServer, http: Api, alice_key: str, config_home: Path
) -> None:
    env = {"OPENINDEX_APP_URL": live_server.url}
    reader = http.create_token(alice_key, scope="read")["token"]
    unknown = oi(
        "tokens",
        "list",
        config_home=config_home,
        OPENINDEX_TOKEN=formats.PERSONAL_ACCESS_TOKEN.generate(),  # well-formed, unknown
        **env,
    )
    one_line_error(unknown, "not signed in or token invalid: invalid token (oi login")
    forbidden = oi(
        "tokens",
        "create",
        "--name",
        "x",
        "--scope",
        "read",
        config_home=config_home,
        OPENINDEX_TOKEN=reader,
        **env,
    )
    one_line_error(forbidden, "permission denied: ")
    not_admin = oi(
        "admin", "accounts", "list", config_home=config_home, OPENINDEX_TOKEN=alice_key, **env
    )
    one_line_error(not_admin, "permission denied: ")
    not_found = oi(
        "tokens",
        "delete",
        "pat_doesnotexist",
        config_home=config_home,
        OPENINDEX_TOKEN=alice_key,
        **env,
    )
    one_line_error(not_found, "pat_doesnotexist")
    nothing = oi("tokens", "list", config_home=config_home, **env)
    one_line_error(nothing, "missing token")
    for run in (unknown, forbidden, not_admin, not_found, nothing):
        assert_no_raw_token(run, alice_key, reader)


def test_rate_limited_requests_say_when_to_retry(
    database_url: str, tmp_path: Path, config_home: Path
) -> None:
    with running_server(database_url, tmp_path, TOKENPATROL_RATE_LIMITS="read=2/hour") as server:
        http = Api(base_url=server.url)
        reader = http.create_token(http.create_account(ROOT_KEY, "acme", "alice"), scope="read")
        env = {"OPENINDEX_APP_URL": server.url, "OPENINDEX_TOKEN": reader["token"]}
        runs = [oi("tokens", "list", config_home=config_home, **env) for _ in range(3)]
    assert [run.returncode for run in runs] == [0, 0, 1], runs
    one_line_error(runs[2], "rate limited: retry in ")
    assert re.search(r"retry in \d+ seconds$", runs[2].stderr.strip()), runs[2]


def test_a_failing_service_is_one_line_and_exit_1(tmp_path: Path, config_home: Path) -> None:
    # A current schema that lost its tokens table: every authenticated request answers 503.
    url = f"sqlite:///{tmp_path / 'broken.sqlite3'}"
    databases.migrate(url, tmp_path / "migrating")
    with sqlite3.connect(tmp_path / "broken.sqlite3") as connection:
        connection.execute("DROP TABLE tokens")
    with running_server(url, tmp_path) as server:
        well_formed = formats.PERSONAL_ACCESS_TOKEN.generate()  # looked up, so the query fails
        env = {"OPENINDEX_APP_URL": server.url, "OPENINDEX_TOKEN": well_formed}
        failed = oi("tokens", "list", config_home=config_home, **env)
    one_line_error(failed, "the service failed (HTTP 503)")
    assert_no_raw_token(failed)


@pytest.mark.parametrize(
    "args",
    [
        ("tokens", "create", "--name", "x", "--scope", "everything"),
        ("tokens", "create", "--name", "x", "--scope", "read", "--expires", "2030-13-01"),
        ("tokens", "create", "--name", "x", "--scope", "read", "--expires", "2001-01-01"),
        ("tokens", "create", "--scope", "read"),
        ("tokens", "delete"),
        ("tokens", "frobnicate"),
        ("api-tokens", "list", "--bogus"),
        ("admin", "users", "add", "acme"),
        ("admin", "users", "set-role", "acme", "bob", "owner"),
        ("admin", "settings", "set"),
        ("admin",),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], config_home: Path) -> None:
    done = oi(*args, config_home=config_home)
    assert done.returncode == 2, done
    assert done.stdout == "", done


def test_admin_users_password_link_prints_the_link_once(
    live_server: LiveServer, alice_key: str, config_home: Path, admin: Callable[..., Run]
) -> None:
    assert admin("users", "add", "acme", "bob").returncode == 0
    refused = admin("users", "password-link", "acme", "bob")
    one_line_error(refused, "this user has no email")
    made = admin("users", "password-link", "acme", "bob", "--email", "bob@example.com")
    assert made.returncode == 0, made
    assert made.shown_once(alone=False).startswith("oi_inv_")
    assert "/reset-password#oi_inv_" in formats.redact_text(made.stdout)
    assert "it works once" in made.stderr


def test_deleting_without_a_terminal_needs_yes_and_deletes_nothing(
    alice_key: str, admin: Callable[..., Run]
) -> None:
    """Issue 13: `oi admin accounts delete` and `users remove` did it without asking."""
    assert admin("users", "add", "acme", "bob").returncode == 0
    for args, what in (
        (("accounts", "delete", "acme"), "delete account acme, its users and all their tokens"),
        (("users", "remove", "acme", "bob"), "remove bob from account acme, with all their"),
    ):
        done = admin(*args)
        assert done.returncode == 2 and done.stdout == "", done
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("oi admin: error: refusing to "), done
        assert what in lines[0] and "without confirmation: pass --yes" in lines[0], done
    assert "role: user" in admin("users", "show", "acme", "bob").stdout
    assert "account_id: acme" in admin("accounts", "show", "acme").stdout


def test_at_a_terminal_deleting_asks_and_only_yes_deletes(
    live_server: LiveServer, alice_key: str, config_home: Path, admin: Callable[..., Run]
) -> None:
    env = {"OPENINDEX_TOKEN": ROOT_KEY, "OPENINDEX_APP_URL": live_server.url}
    asked = "Delete account acme, its users and all their tokens? [y/N]: "
    declined = at_terminal("admin", "accounts", "delete", "acme", typed="n\n",
                           config_home=config_home, env=env)  # fmt: skip
    assert declined.returncode == 1 and asked in declined.stdout, declined
    assert "oi admin: error: nothing deleted" in declined.stdout, declined
    assert "account_id: acme" in admin("accounts", "show", "acme").stdout
    accepted = at_terminal("admin", "accounts", "delete", "acme", typed="y\n",
                           config_home=config_home, env=env)  # fmt: skip
    assert accepted.returncode == 0 and "deleted account acme" in accepted.stdout, accepted
    assert admin("accounts", "show", "acme").returncode == 1
    for run in (declined, accepted):
        assert ROOT_KEY not in run.output, "the root key was printed"
        assert_no_raw_token(run, alice_key)
