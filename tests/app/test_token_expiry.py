"""Expiry dates mean one thing on every face, rotation never extends a token, and an operator
can cap the lifetime of new tokens (as a GitHub organisation can)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from time_machine import TimeMachineFixture

from tests.support.api import Api
from tests.support.oi_cli import oi
from tests.support.wsgi_thread import serving_in_thread

KINDS = ["pats", "api-tokens"]
TODAY = dt.date(2030, 6, 15)
NOON = dt.datetime(2030, 6, 15, 12, 0, tzinfo=dt.UTC)


def end_of(day: dt.date) -> str:
    return f"{day.isoformat()}T23:59:59.999999Z"


@pytest.fixture
def alice(api: Api, root_key: str) -> str:
    return api.create_account(root_key, "acme", "alice")


@pytest.fixture
def at_noon(time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(NOON, tick=False)


@pytest.mark.parametrize("kind", KINDS)
def test_a_date_is_usable_through_the_end_of_that_day(
    api: Api, alice: str, kind: str, at_noon: None
) -> None:
    created = api.create_token(alice, kind, expiresAt="2030-07-01")
    assert created["expiresAt"] == end_of(dt.date(2030, 7, 1))
    assert api.create_token(alice, kind, expiresAt=TODAY.isoformat())["expiresAt"] == end_of(TODAY)


@pytest.mark.parametrize("day", ["2030-06-14", "2030-02-30"])
def test_yesterday_and_a_day_that_does_not_exist_are_400(
    api: Api, alice: str, day: str, at_noon: None
) -> None:
    reply = api.call(
        "POST", "/me/pats", alice, json_body={"name": "x", "scope": "read", "expiresAt": day}
    )
    assert reply.status == 400 and reply.error_code == "INVALID_ARGUMENT"


@pytest.mark.parametrize(("group", "kind"), [("tokens", "pats"), ("api-tokens", "api-tokens")])
def test_the_cli_takes_today_and_means_what_the_web_means(
    app: Flask, api: Api, alice: str, group: str, kind: str, at_noon: None, tmp_path: Path
) -> None:
    with serving_in_thread(app) as url:
        env = {"OPENINDEX_APP_URL": url, "OPENINDEX_TOKEN": alice}
        args = ("--name", "today", "--scope", "read", "--expires", TODAY.isoformat())
        done = oi(group, "create", *args, config_home=tmp_path, **env)
    assert done.returncode == 0, done
    (listed,) = api.call("GET", f"/me/{kind}", alice).body
    assert listed["expiresAt"] == end_of(TODAY)


@pytest.mark.parametrize("kind", KINDS)
def test_rotation_keeps_the_expiry_date(
    api: Api, alice: str, kind: str, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(NOON, tick=False)
    old = api.create_token(alice, kind, expiresAt="2030-07-01")
    time_machine.move_to(NOON + dt.timedelta(days=10), tick=False)
    first = api.call("POST", f"/me/{kind}/{old['id']}/rotate", alice).body
    second = api.call("POST", f"/me/{kind}/{first['id']}/rotate", alice).body
    assert first["expiresAt"] == second["expiresAt"] == end_of(dt.date(2030, 7, 1))
    later = api.call(
        "POST", f"/me/{kind}/{second['id']}/rotate", alice, json_body={"expiresAt": "2030-08-01"}
    )
    assert later.status == 201 and later.body["expiresAt"] == end_of(dt.date(2030, 8, 1))


def test_an_expired_token_is_rotated_only_with_a_new_date(
    api: Api, alice: str, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(NOON, tick=False)
    old = api.create_token(alice, expiresAt=TODAY.isoformat())
    time_machine.move_to(NOON + dt.timedelta(days=1), tick=False)
    refused = api.call("POST", f"/me/pats/{old['id']}/rotate", alice)
    assert (
        refused.status == 400
        and "give its replacement an expiry" in refused.body["error"]["message"]
    )
    renewed = api.call(
        "POST", f"/me/pats/{old['id']}/rotate", alice, json_body={"expiresAt": "2030-07-01"}
    )
    assert renewed.status == 201


def set_max_lifetime(api: Api, root_key: str, days: int | None) -> None:
    reply = api.call(
        "PATCH", "/api/v1/admin/settings", root_key, json_body={"max_token_lifetime_days": days}
    )
    assert reply.status == 200 and reply.body["result"]["max_token_lifetime_days"] == days


@pytest.mark.parametrize("kind", KINDS)
def test_a_maximum_lifetime_bounds_new_tokens(
    api: Api, root_key: str, alice: str, kind: str, at_noon: None
) -> None:
    set_max_lifetime(api, root_key, 30)
    latest = end_of(TODAY + dt.timedelta(days=30))
    assert api.create_token(alice, kind)["expiresAt"] == latest  # no date: the latest allowed
    assert api.create_token(alice, kind, expiresAt="2030-07-15")["expiresAt"] == latest
    too_late = api.call(
        "POST",
        f"/me/{kind}",
        alice,
        json_body={"name": "x", "scope": "read", "expiresAt": "2030-07-16"},
    )
    assert (
        too_late.status == 400
        and "maximum token lifetime of 30 days" in too_late.body["error"]["message"]
    )
    set_max_lifetime(api, root_key, None)
    assert api.create_token(alice, kind)["expiresAt"] is None


def test_rotating_a_token_older_than_the_maximum_caps_it(
    api: Api, root_key: str, alice: str, at_noon: None
) -> None:
    forever = api.create_token(alice)
    set_max_lifetime(api, root_key, 7)
    rotated = api.call("POST", f"/me/pats/{forever['id']}/rotate", alice).body
    assert rotated["expiresAt"] == end_of(TODAY + dt.timedelta(days=7))


def test_only_root_sets_the_maximum_and_the_cli_says_it(
    app: Flask, api: Api, root_key: str, alice: str, tmp_path: Path
) -> None:
    denied = api.call(
        "PATCH", "/api/v1/admin/settings", alice, json_body={"max_token_lifetime_days": 5}
    )
    assert denied.status == 403
    with serving_in_thread(app) as url:
        env = {"OPENINDEX_APP_URL": url, "OPENINDEX_TOKEN": root_key}
        done = oi(
            "admin", "settings", "set", "--max-token-lifetime", "90", config_home=tmp_path, **env
        )
        shown = oi("admin", "settings", "show", config_home=tmp_path, **env)
    assert done.returncode == 0 and shown.returncode == 0, (done, shown)
    assert "90" in shown.stdout and "max_token_lifetime_days" in shown.stdout
