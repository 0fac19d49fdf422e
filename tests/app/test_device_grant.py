"""RFC 8628 for `oi login --device` through the Flask test client: the device authorization
endpoint, the polls on /oauth/token (pending, slow_down, denied, expired, approved, reused),
and the device code page (sign-in, consent, throttled wrong codes). The clock is stopped
(time-machine) wherever an answer depends on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from time_machine import TimeMachineFixture

from app.extensions import db
from app.models import AuditEvent, DeviceCode
from scanner import formats
from tests.support.api import Api
from tests.support.device_flow import DEVICE_GRANT, USER_CODE, hidden_user_code
from tests.support.oauth_flow import (
    CLIENT_ID,
    PASSWORD,
    Pkce,
    authorize_path,
    csrf_token,
    person_with_password,
    query_of,
)
from tests.support.secrets import Secret

LOOPBACK = "http://127.0.0.1:53682/callback"


class Device:
    """The CLI's side: the device authorization answer, and polls with its device code."""

    def __init__(self, client: FlaskClient, scope: str = "read_write") -> None:
        self.client = client
        reply = client.post(
            "/oauth/device_authorization", data={"client_id": CLIENT_ID, "scope": scope}
        )
        assert reply.status_code == 200, reply.json
        self.answer: dict[str, Any] = reply.json
        self.device_code = Secret(self.answer["device_code"])
        self.user_code: str = self.answer["user_code"]

    def poll(self, client_id: str = CLIENT_ID) -> Any:
        form = {"grant_type": DEVICE_GRANT, "device_code": self.device_code, "client_id": client_id}
        return self.client.post("/oauth/token", data=form)

    def error(self) -> str:
        reply = self.poll()
        assert reply.status_code == 400, reply.status_code
        return str(reply.json["error"])


def signed_in(app: Flask, login: str) -> FlaskClient:
    """A browser of its own (cookies apart from the CLI's), signed in."""
    browser = app.test_client()
    page = browser.get("/login")
    reply = browser.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
    )
    assert reply.status_code == 302, reply.status_code
    return browser


def enter(browser: FlaskClient, typed: str) -> Any:
    page = browser.get("/device")
    assert page.status_code == 200, page.status_code
    return browser.post("/device", data={"user_code": typed, "csrf_token": csrf_token(page.text)})


def decide(browser: FlaskClient, user_code: str, *, allow: bool = True) -> Any:
    consent = enter(browser, user_code)
    assert consent.status_code == 200, consent.text
    button = {"allow": "Allow"} if allow else {"deny": "Deny"}
    form = {"user_code": hidden_user_code(consent.text), "csrf_token": csrf_token(consent.text)}
    return browser.post("/device/consent", data={**form, **button})


@pytest.fixture
def person(api: Api, root_key: str) -> str:
    return person_with_password(api, root_key, "acme", "carol")


@pytest.fixture
def browser(app: Flask, person: str) -> FlaskClient:
    return signed_in(app, person)


@pytest.fixture
def device(app: Flask) -> Device:
    return Device(app.test_client())


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> TimeMachineFixture:
    """The clock stopped now: it moves only when the test shifts it."""
    time_machine.move_to(dt.datetime.now(dt.UTC), tick=False)
    return time_machine


def test_metadata_advertises_the_device_endpoint_and_grant(client: FlaskClient) -> None:
    document = client.get("/.well-known/oauth-authorization-server").json
    AuthorizationServerMetadata(document).validate()
    assert document["device_authorization_endpoint"].endswith("/oauth/device_authorization")
    assert DEVICE_GRANT in document["grant_types_supported"]


def test_device_authorization_answers_the_rfc8628_fields_and_stores_hashes_only(
    app: Flask, device: Device
) -> None:
    answer = device.answer
    assert USER_CODE.fullmatch(device.user_code), device.user_code
    assert answer["verification_uri"] == "http://localhost/device"
    assert (
        answer["verification_uri_complete"]
        == f"http://localhost/device?user_code={device.user_code}"
    )
    assert (answer["expires_in"], answer["interval"]) == (600, 5)
    with app.app_context():
        row = db.session.scalars(select(DeviceCode)).one()
        stored = [str(getattr(row, column.key)) for column in DeviceCode.__table__.columns]
    assert row.device_code_hash == formats.token_hash(device.device_code)
    assert row.user_code_hash == formats.token_hash(device.user_code.replace("-", ""))
    for raw in (device.device_code, device.user_code, device.user_code.replace("-", "")):
        assert not any(raw in value for value in stored)


def test_code_lifetime_and_interval_come_from_config(make_app: Any) -> None:
    app = make_app(OAUTH_DEVICE_CODE_TTL_SECONDS=900, OAUTH_DEVICE_INTERVAL_SECONDS=7)
    answer = Device(app.test_client()).answer
    assert (answer["expires_in"], answer["interval"]) == (900, 7)


@pytest.mark.parametrize("scope", ["read admin", "bogus"])
def test_one_known_scope_per_device_code(client: FlaskClient, scope: str) -> None:
    reply = client.post(
        "/oauth/device_authorization", data={"client_id": CLIENT_ID, "scope": scope}
    )
    assert reply.status_code == 400 and reply.json["error"] == "invalid_scope"


def test_polling_before_approval_is_pending_and_too_fast_is_slow_down(
    app: Flask, clock: TimeMachineFixture
) -> None:
    """The server keeps each code's last poll; every slow_down adds 5 s for good."""
    device = Device(app.test_client())
    answers = [device.error(), device.error()]  # the second comes 0 s after the first
    clock.shift(10)  # the interval is 10 s now
    answers.append(device.error())
    clock.shift(9.9)
    answers.append(device.error())  # too soon again: 15 s from here
    clock.shift(15)
    answers.append(device.error())
    assert answers == [
        "authorization_pending",
        "slow_down",
        "authorization_pending",
        "slow_down",
        "authorization_pending",
    ]


def test_each_device_code_keeps_its_own_poll_clock(app: Flask, clock: TimeMachineFixture) -> None:
    device, other = Device(app.test_client()), Device(app.test_client())
    assert [device.error(), other.error()] == ["authorization_pending"] * 2


def test_approved_code_gives_the_same_8_hour_pair_as_the_code_flow(
    api: Api, browser: FlaskClient, device: Device
) -> None:
    done = decide(browser, device.user_code)
    assert done.status_code == 200 and "Device approved" in done.text
    reply = device.poll()
    assert reply.status_code == 200, reply.json
    tokens = {k: Secret(v) if "token" in k else v for k, v in reply.json.items()}
    assert (tokens["expires_in"], tokens["token_type"].lower()) == (28800, "bearer")
    assert formats.identify(tokens["access_token"]) is formats.OAUTH_ACCESS_TOKEN
    assert formats.identify(tokens["refresh_token"]) is formats.OAUTH_REFRESH_TOKEN
    who = api.call("GET", "/auth/check", tokens["access_token"])
    assert who.status == 200 and who.body["scope"] == "read_write", who
    assert (who.body["userId"], who.body["kind"]) == ("carol", "oauth_access")
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = device.client.post("/oauth/token", data={**form, "client_id": CLIENT_ID})
    assert refreshed.status_code == 200
    assert refreshed.json["refresh_token"] != tokens["refresh_token"]


def test_the_audit_trail_is_the_code_flows_plus_the_decision(
    app: Flask, browser: FlaskClient, device: Device
) -> None:
    before = len(audit_trail(app))
    pkce = Pkce.new()
    path = authorize_path(LOOPBACK, pkce)
    consent = browser.get(path)
    allowed = browser.post(path, data={"csrf_token": csrf_token(consent.text), "allow": "Allow"})
    code = query_of(allowed.headers["Location"])["code"]
    exchange = {"grant_type": "authorization_code", "code": code, "code_verifier": pkce.verifier}
    form = {**exchange, "redirect_uri": LOOPBACK, "client_id": CLIENT_ID}
    assert browser.post("/oauth/token", data=form).status_code == 200
    code_flow = audit_trail(app)[before:]
    decide(browser, device.user_code)
    assert device.poll().status_code == 200
    device_flow = audit_trail(app)[before + len(code_flow) :]
    assert [event[:2] for event in code_flow] == [("acme/carol", "oauth.token")]
    assert [event[:2] for event in device_flow] == [
        ("acme/carol (web)", "oauth.device_approved"),
        ("acme/carol", "oauth.token"),
    ]
    assert device_flow[1][2] == code_flow[0][2] == ["family", "scope"]


def audit_trail(app: Flask) -> list[tuple[str, str, list[str]]]:
    """(actor, action, detail keys) of every audit event, oldest first."""
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [(event.actor, event.action, sorted(event.detail)) for event in events]


def test_denied_code_answers_access_denied(browser: FlaskClient, device: Device) -> None:
    done = decide(browser, device.user_code, allow=False)
    assert done.status_code == 200 and "Device denied" in done.text
    assert [device.error(), device.error()] == ["access_denied", "access_denied"]
    again = enter(browser, device.user_code)  # decided: it cannot be allowed afterwards
    assert again.status_code == 400 and "not valid" in again.text


def test_expired_code_answers_expired_token_and_cannot_be_entered(
    app: Flask, browser: FlaskClient, clock: TimeMachineFixture
) -> None:
    device = Device(app.test_client())
    clock.shift(599.9)
    assert device.error() == "authorization_pending"
    clock.shift(0.1)
    assert device.error() == "expired_token"
    assert enter(browser, device.user_code).status_code == 400


def test_approved_then_expired_answers_expired_token(
    app: Flask, browser: FlaskClient, clock: TimeMachineFixture
) -> None:
    device = Device(app.test_client())
    assert decide(browser, device.user_code).status_code == 200
    clock.shift(600)
    assert device.error() == "expired_token"


def test_a_device_code_works_once_and_its_replay_revokes_what_it_bought(
    api: Api, browser: FlaskClient, device: Device
) -> None:
    decide(browser, device.user_code)
    first = device.poll()
    assert first.status_code == 200
    assert device.error() == "invalid_grant"
    assert api.call("GET", "/auth/check", first.json["access_token"]).status == 401


def test_wrong_client_is_refused(client: FlaskClient, device: Device) -> None:
    started = client.post("/oauth/device_authorization", data={"client_id": "other"})
    assert started.status_code in (400, 401) and started.json["error"] == "invalid_client"
    polled = device.poll(client_id="other")
    assert polled.status_code in (400, 401) and polled.json["error"] == "invalid_client"
    assert device.error() == "authorization_pending"  # the real client's code is untouched


def test_unknown_device_code_is_invalid_grant(client: FlaskClient) -> None:
    form = {"grant_type": DEVICE_GRANT, "device_code": "not-a-code", "client_id": CLIENT_ID}
    reply = client.post("/oauth/token", data=form)
    assert reply.status_code == 400 and reply.json["error"] == "invalid_grant"
    missing = client.post("/oauth/token", data={"grant_type": DEVICE_GRANT, "client_id": CLIENT_ID})
    assert missing.status_code == 400 and missing.json["error"] == "invalid_request"


def test_the_code_page_needs_sign_in_and_comes_back_with_the_code(
    app: Flask, person: str, device: Device
) -> None:
    browser = app.test_client()
    path = f"/device?user_code={device.user_code}"
    before = browser.get(path)
    assert before.status_code == 302 and before.headers["Location"].startswith("/login?")
    assert query_of(before.headers["Location"]) == {"next": path}
    page = browser.get("/login")
    back = browser.post(
        before.headers["Location"],
        data={"login": person, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert back.status_code == 302 and back.headers["Location"] == path
    form = browser.get(path)
    assert form.status_code == 200 and f'value="{device.user_code}"' in form.text
    assert form.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "  {bare}  ", "{lower_bare}"])
def test_codes_are_read_in_any_case_with_or_without_the_dash(
    browser: FlaskClient, device: Device, typed: str
) -> None:
    code = device.user_code
    text = typed.format(
        code=code,
        lower=code.lower(),
        bare=code.replace("-", ""),
        lower_bare=code.replace("-", "").lower(),
    )
    consent = enter(browser, text)
    assert consent.status_code == 200, consent.text
    assert 'data-testid="consent-scope">read_write<' in consent.text
    assert f'data-testid="consent-user-code">{code}<' in consent.text
    assert "oi-cli" in consent.text and "acme/carol" in consent.text


@pytest.mark.parametrize("typed", ["AAAA-EEEE", "BCDF-GHJ", "BCDF-GHJK-LMNP", "<script>"])
def test_a_bad_user_code_is_a_form_error(browser: FlaskClient, device: Device, typed: str) -> None:
    reply = enter(browser, typed)
    assert reply.status_code == 400
    assert "That code is not valid" in reply.text and "<script>" not in reply.text
    assert device.error() == "authorization_pending"


def test_a_user_cannot_grant_admin_scope(app: Flask, browser: FlaskClient) -> None:
    device = Device(app.test_client(), scope="admin")
    assert enter(browser, device.user_code).status_code == 403
    assert device.error() == "authorization_pending"


def test_an_admin_can_grant_admin_scope(app: Flask, api: Api, root_key: str) -> None:
    admin = signed_in(app, person_with_password(api, root_key, "acme", "dana", role="admin"))
    device = Device(app.test_client(), scope="admin")
    assert decide(admin, device.user_code).status_code == 200
    reply = device.poll()
    assert reply.status_code == 200 and reply.json["scope"] == "admin"


def test_consent_without_csrf_token_decides_nothing(browser: FlaskClient, device: Device) -> None:
    reply = browser.post("/device/consent", data={"user_code": device.user_code, "allow": "Allow"})
    assert reply.status_code == 400
    assert device.error() == "authorization_pending"


def test_wrong_codes_are_throttled_per_user(
    app: Flask,
    api: Api,
    root_key: str,
    browser: FlaskClient,
    device: Device,
    clock: TimeMachineFixture,
) -> None:
    wrong = [enter(browser, "BBBB-BBBB").status_code for _ in range(5)]
    limited = enter(browser, device.user_code)  # even the right code waits now
    assert wrong == [400] * 5 and limited.status_code == 429
    assert "Too many wrong codes. Try again in 60 seconds." in limited.text
    assert limited.headers["Retry-After"] == "60"
    someone_else = signed_in(app, person_with_password(api, root_key, "acme", "erin"))
    assert enter(someone_else, device.user_code).status_code == 200
    clock.shift(60.1)
    assert enter(browser, device.user_code).status_code == 200


def test_a_right_code_costs_nothing_and_the_consent_form_counts_too(
    browser: FlaskClient, device: Device, clock: TimeMachineFixture
) -> None:
    assert [enter(browser, device.user_code).status_code for _ in range(6)] == [200] * 6
    page = browser.get("/device")
    tampered = [
        browser.post(
            "/device/consent",
            data={"user_code": "BBBB-BBBB", "allow": "Allow", "csrf_token": csrf_token(page.text)},
        ).status_code
        for _ in range(5)
    ]
    assert tampered == [400] * 5
    assert enter(browser, device.user_code).status_code == 429


def test_wrong_codes_are_throttled_per_address(
    make_app: Any, root_key: str, clock: TimeMachineFixture
) -> None:
    app = make_app(OAUTH_DEVICE_ENTRY_ADDRESS_RATE_LIMIT="3/minute")
    people = [
        signed_in(app, person_with_password(Api(app.test_client()), root_key, "acme", name))
        for name in ("fay", "gus")
    ]
    statuses = [enter(people[i % 2], "BBBB-BBBB").status_code for i in range(4)]
    assert statuses == [400, 400, 400, 429]
