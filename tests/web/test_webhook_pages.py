"""Admin -> Webhooks: add a receiver (its secret shown once), watch its delivery log, remove it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.support.api import Api
from tests.support.secrets import Secret
from tests.support.webhook_receiver import Receiver
from tests.web.browser import Browser, new_token
from tests.web.conftest import Person


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(WEBHOOK_ALLOW_PRIVATE_TARGETS=True)


def flat(response: object) -> str:
    return " ".join(response.get_data(as_text=True).split())  # type: ignore[attr-defined]


def test_an_admin_adds_a_webhook_sees_its_deliveries_and_removes_it(
    app: Flask, as_admin: Browser, api: Api, owner_key: str, receiver: Receiver
) -> None:
    added = as_admin.submit("/admin/webhooks", {"url": receiver.url, "description": "chat"})
    assert added.status_code == 302
    page = as_admin.get("/admin/webhooks")
    secret = new_token(page.get_data(as_text=True))
    assert secret is not None and secret.startswith("whsec_")
    assert new_token(as_admin.get("/admin/webhooks").get_data(as_text=True)) is None  # once
    pat = Secret(api.create_token(owner_key)["token"])
    body = {"tokens": [pat], "location": {"path": "a.env"}, "source": "ci"}
    assert api.call("POST", "/api/v1/leaks/revoke", json_body=body).status == 200
    from app.services import mail

    with app.app_context():
        assert mail.send_due() == (1, 0)
    log = flat(as_admin.get("/admin/webhooks"))
    assert "delivered" in log and receiver.url in log
    webhook_id = page.get_data(as_text=True).split('data-webhook-id="')[1].split('"')[0]
    removed = as_admin.submit(f"/admin/webhooks/{webhook_id}/remove", form_page="/admin/webhooks")
    assert removed.status_code == 302
    assert "No webhooks yet." in flat(as_admin.get("/admin/webhooks"))


def test_a_private_address_is_refused_on_the_form(
    make_app: Callable[..., Flask], admin: Person
) -> None:
    strict = make_app()  # the default (same database): no private receivers
    browser = Browser(strict.test_client())
    assert browser.sign_in(admin.user_id, admin.password).status_code == 302
    refused = browser.submit("/admin/webhooks", {"url": "http://127.0.0.1:9/x"})
    assert refused.status_code == 400 and "private address" in flat(refused)


def test_members_do_not_see_the_webhooks_page(as_member: Browser) -> None:
    assert as_member.get("/admin/webhooks").status_code in (302, 403)
