"""Settings -> Personal -> Tokens and API tokens: create (value shown once), rotate, delete."""

from __future__ import annotations

import pytest

from scanner import formats
from tests.support.api import Api
from tests.web.browser import Browser, new_token, token_ids

PAGES = [("/settings/tokens", "pats", "oi_pat_"), ("/settings/api-tokens", "api-tokens", "oai_")]
COPY_WARNING = "Make sure to copy your token now. You won&#39;t be able to see it again."


def create(browser: Browser, page: str, name: str = "laptop", **fields: str) -> str:
    """Create through the form; return the raw value the page reveals once."""
    created = browser.submit(page, {"name": name, "scope": "read_write", **fields})
    assert created.status_code == 302 and created.location == page
    shown = new_token(browser.get(page).get_data(as_text=True))
    assert shown is not None
    return shown


@pytest.mark.parametrize(("page", "api_path", "prefix"), PAGES)
def test_created_token_is_shown_once_and_works(
    as_admin: Browser, api: Api, page: str, api_path: str, prefix: str
) -> None:
    created = as_admin.submit(page, {"name": "laptop", "scope": "read", "expires_on": ""})
    assert created.status_code == 302 and created.location == page
    html = as_admin.get(page).get_data(as_text=True)
    raw = new_token(html)
    assert raw is not None and raw.startswith(prefix) and formats.identify(raw)
    assert COPY_WARNING in html and 'data-copy-target="new-token"' in html
    assert api.call("GET", "/auth/check", raw).status == 200
    again = as_admin.get(page).get_data(as_text=True)
    assert new_token(again) is None and raw not in again
    assert len(token_ids(again)) == 1
    assert f"{raw[: len(prefix)]}...{raw[-4:]}" in again and "never" in again


def test_form_labels_and_scope_choices_follow_the_role(
    as_admin: Browser, as_member: Browser
) -> None:
    html = as_admin.get("/settings/tokens").get_data(as_text=True)
    for label in ("Name", "Scope", "Expires on (optional)"):
        assert f">{label}</label>" in html
    assert '<button type="submit" class="primary">Generate token</button>' in html
    assert '<option value="admin">' in html
    member_html = as_member.get("/settings/tokens").get_data(as_text=True)
    assert '<option selected value="read_write">' in member_html  # the preselected default
    assert '<option value="admin">' not in member_html
    refused = as_member.submit("/settings/tokens", {"name": "x", "scope": "admin"})
    # the token service refuses it, with the API's answer (403), not the form
    assert refused.status_code == 403 and new_token(refused.get_data(as_text=True)) is None
    assert "only account ADMINs can create admin-scope tokens" in refused.get_data(as_text=True)


def test_admin_scope_token_for_an_admin(as_admin: Browser, api: Api) -> None:
    raw = create(as_admin, "/settings/api-tokens", scope="admin")
    assert api.call("GET", "/auth/check", raw).body["scope"] == "admin"


def test_expiry_date_means_the_end_of_that_day_utc(as_admin: Browser, api: Api) -> None:
    raw = create(as_admin, "/settings/tokens", expires_on="2999-12-31")
    assert api.call("GET", "/auth/check", raw).body["expiresAt"].startswith("2999-12-31T23:59:59")
    past = as_admin.submit(
        "/settings/tokens", {"name": "old", "scope": "read", "expires_on": "2000-01-01"}
    )
    assert past.status_code == 400 and "future" in past.get_data(as_text=True)


@pytest.mark.parametrize(("page", "api_path", "prefix"), PAGES)
def test_rotate_shows_the_new_value_once_and_kills_the_old(
    as_admin: Browser, api: Api, page: str, api_path: str, prefix: str
) -> None:
    old = create(as_admin, page)
    [token_id] = token_ids(as_admin.get(page).get_data(as_text=True))
    confirm = as_admin.get(f"{page}/{token_id}/rotate").get_data(as_text=True)
    assert "Rotate token laptop?" in confirm and ">Rotate token</button>" in confirm
    rotated = as_admin.submit(f"{page}/{token_id}/rotate")
    assert rotated.status_code == 302 and rotated.location == page
    new = new_token(as_admin.get(page).get_data(as_text=True))
    assert new is not None and new != old and new.startswith(prefix)
    assert api.call("GET", "/auth/check", old).status == 401
    assert api.call("GET", "/auth/check", new).status == 200


@pytest.mark.parametrize(("page", "api_path", "prefix"), PAGES)
def test_delete_asks_then_the_api_refuses_the_token(
    as_admin: Browser, api: Api, page: str, api_path: str, prefix: str
) -> None:
    raw = create(as_admin, page)
    [token_id] = token_ids(as_admin.get(page).get_data(as_text=True))
    confirm = as_admin.get(f"{page}/{token_id}/delete").get_data(as_text=True)
    assert "Delete token laptop?" in confirm and ">Delete token</button>" in confirm
    deleted = as_admin.submit(f"{page}/{token_id}/delete", follow=True)
    html = deleted.get_data(as_text=True)
    assert "Token laptop deleted." in html and token_ids(html) == []
    assert api.call("GET", "/auth/check", raw).status == 401
    assert as_admin.get(f"{page}/{token_id}/delete").status_code == 404


def test_someone_elses_token_is_not_found(as_admin: Browser, as_member: Browser) -> None:
    create(as_admin, "/settings/tokens")
    [token_id] = token_ids(as_admin.get("/settings/tokens").get_data(as_text=True))
    assert as_member.get(f"/settings/tokens/{token_id}/delete").status_code == 404
    assert as_admin.get(f"/settings/api-tokens/{token_id}/delete").status_code == 404


def test_switched_off_pats_are_said_and_refused(as_admin: Browser, api: Api, root_key: str) -> None:
    reply = api.call("PATCH", "/api/v1/admin/settings", root_key, json_body={"pats_enabled": False})
    assert reply.status == 200
    html = as_admin.get("/settings/tokens").get_data(as_text=True)
    assert "switched off" in html and "Generate token" not in html
    refused = as_admin.submit(
        "/settings/tokens", {"name": "x", "scope": "read"}, form_page="/settings/api-tokens"
    )
    assert refused.status_code == 403 and new_token(refused.get_data(as_text=True)) is None
    assert "Generate token" in as_admin.get("/settings/api-tokens").get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/settings/tokens", "/settings/api-tokens", "/logout", "/invite", "/admin/users"]
)
def test_posts_without_a_csrf_token_are_refused(as_admin: Browser, path: str) -> None:
    refused = as_admin.client.post(path, data={"name": "x", "scope": "read"})
    assert refused.status_code == 400 and "text/html" in refused.content_type
    assert as_admin.get("/settings/tokens").status_code == 200  # still signed in


def test_destructive_posts_need_the_csrf_token(as_admin: Browser) -> None:
    create(as_admin, "/settings/tokens")
    [token_id] = token_ids(as_admin.get("/settings/tokens").get_data(as_text=True))
    for action in ("delete", "rotate"):
        refused = as_admin.client.post(f"/settings/tokens/{token_id}/{action}")
        assert refused.status_code == 400
    assert token_ids(as_admin.get("/settings/tokens").get_data(as_text=True)) == [token_id]


def test_invalid_name_re_renders_the_form(as_admin: Browser) -> None:
    refused = as_admin.submit("/settings/tokens", {"name": "  ", "scope": "read"})
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)


def test_a_name_already_taken_re_renders_the_form_with_the_reason(as_admin: Browser) -> None:
    create(as_admin, "/settings/tokens", name="laptop")
    refused = as_admin.submit("/settings/tokens", {"name": "laptop", "scope": "read"})
    assert refused.status_code == 409
    assert "already have a personal access token named" in refused.get_data(as_text=True)
