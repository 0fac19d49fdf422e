"""Admin pages: account ADMINs manage their own account's users and invites; USERs get 403."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.support.api import Api
from tests.web.browser import Browser, invite_link, new_token
from tests.web.conftest import PASSWORD

ADMIN_PAGES = ["/admin", "/admin/users", "/admin/invites", "/admin/settings"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_users_get_403_and_admins_the_page(
    as_member: Browser, as_admin: Browser, path: str
) -> None:
    refused = as_member.get(path)
    assert refused.status_code == 403 and "text/html" in refused.content_type
    assert "Only account admins" in refused.get_data(as_text=True)
    assert as_admin.get(path).status_code == 200


def test_admin_link_only_for_admins(as_member: Browser, as_admin: Browser) -> None:
    assert ">Admin</a>" not in as_member.get("/leaks").get_data(as_text=True)
    assert ">Admin</a>" in as_admin.get("/leaks").get_data(as_text=True)


def test_add_user_shows_their_key_once(as_admin: Browser, api: Api) -> None:
    added = as_admin.submit("/admin/users", {"user_id": "hank", "role": "user"})
    assert added.status_code == 302
    html = as_admin.get("/admin/users").get_data(as_text=True)
    key = new_token(html)
    assert key is not None and key.startswith("oi_pat_")
    assert api.call("GET", "/auth/check", key).body["userId"] == "hank"
    assert new_token(as_admin.get("/admin/users").get_data(as_text=True)) is None
    again = as_admin.submit("/admin/users", {"user_id": "hank", "role": "user"})
    assert again.status_code == 409 and "already exists" in again.get_data(as_text=True)


def test_regenerate_key_and_remove_user(as_admin: Browser, api: Api) -> None:
    as_admin.submit("/admin/users", {"user_id": "ivy", "role": "user"})
    old = new_token(as_admin.get("/admin/users").get_data(as_text=True))
    assert old is not None
    confirm = as_admin.get("/admin/users/ivy/key").get_data(as_text=True)
    assert ">Regenerate key</button>" in confirm
    as_admin.submit("/admin/users/ivy/key")
    new = new_token(as_admin.get("/admin/users").get_data(as_text=True))
    assert new is not None and api.call("GET", "/auth/check", old).status == 401
    assert "Remove user ivy?" in as_admin.get("/admin/users/ivy/remove").get_data(as_text=True)
    removed = as_admin.submit("/admin/users/ivy/remove", follow=True)
    assert "User ivy removed." in removed.get_data(as_text=True)
    assert api.call("GET", "/auth/check", new).status == 401


def test_admins_cannot_remove_themselves(as_admin: Browser) -> None:
    assert as_admin.get("/admin/users/dana/remove").status_code == 400


def test_other_accounts_are_out_of_reach(as_admin: Browser, api: Api, root_key: str) -> None:
    api.create_account(root_key, "other", "olga")
    assert as_admin.get("/admin/users/olga/remove").status_code == 404
    assert as_admin.get("/admin/users/olga/key").status_code == 404


def test_invite_link_shown_once_claimed_and_revoked(as_admin: Browser, app: Flask) -> None:
    created = as_admin.submit("/admin/invites", {"email": "jo@example.com", "role": "user"})
    assert created.status_code == 302
    html = as_admin.get("/admin/invites").get_data(as_text=True)
    link = invite_link(html)
    assert link is not None and link.startswith("http://localhost/invite#oi_inv_")
    assert "pending" in html
    assert invite_link(as_admin.get("/admin/invites").get_data(as_text=True)) is None
    invitee = Browser(app.test_client())
    fields = {"token": link.split("#", 1)[1], "password": PASSWORD, "confirm": PASSWORD}
    assert invitee.submit("/invite", fields).status_code == 302
    assert "claimed" in as_admin.get("/admin/invites").get_data(as_text=True)
    as_admin.submit("/admin/invites", {"email": "kim@example.com", "role": "admin"})
    listing = as_admin.get("/admin/invites").get_data(as_text=True)
    revoke_path = listing.split('action="/admin/invites/', 1)[1].split('"', 1)[0]
    revoked = as_admin.submit(f"/admin/invites/{revoke_path}", form_page="/admin/invites")
    assert revoked.status_code == 302
    assert "revoked" in as_admin.get("/admin/invites").get_data(as_text=True)


def test_settings_are_read_only_for_account_admins(as_admin: Browser) -> None:
    html = as_admin.get("/admin/settings").get_data(as_text=True)
    assert '<label for="pats_enabled">Allow personal access tokens</label>' in html
    assert "disabled checked" in html
    assert as_admin.client.post("/admin/settings").status_code == 405


def test_settings_show_the_maximum_token_lifetime(
    as_admin: Browser, api: Api, root_key: str
) -> None:
    assert "no maximum" in as_admin.get("/admin/settings").get_data(as_text=True)
    body = {"max_token_lifetime_days": 90}
    assert api.call("PATCH", "/api/v1/admin/settings", root_key, json_body=body).status == 200
    assert "new token: 90 days" in " ".join(
        as_admin.get("/admin/settings").get_data(as_text=True).split()
    )
