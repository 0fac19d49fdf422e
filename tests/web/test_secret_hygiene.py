"""A raw token appears on exactly one page: not in redirects, cookies, other pages, or logs."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import text

from tests.support.secrets import Secret
from tests.web.browser import Browser, new_token, token_ids


def test_raw_token_is_on_one_page_only(
    as_admin: Browser, app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    as_admin.responses.clear()
    as_admin.submit("/settings/tokens", {"name": "secret-test", "scope": "read"})
    reveal_page = as_admin.get("/settings/tokens")
    raw = new_token(reveal_page.get_data(as_text=True))
    assert raw is not None
    as_admin.get("/settings/tokens")
    as_admin.get("/leaks")
    [token_id] = token_ids(reveal_page.get_data(as_text=True))
    as_admin.submit(f"/settings/tokens/{token_id}/rotate")
    rotated = Secret(new_token(as_admin.get("/settings/tokens").get_data(as_text=True)) or "")
    showing = [r for r in as_admin.responses if raw in r.get_data(as_text=True)]
    assert showing == [reveal_page]
    for response in as_admin.responses:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        assert raw not in headers and rotated not in headers
        assert raw not in (response.location or "")
    assert raw not in caplog.text and rotated not in caplog.text
    with app.app_context():
        from app.extensions import db

        stored = db.session.execute(text("SELECT * FROM tokens")).all()
        audit = db.session.execute(text("SELECT * FROM audit_events")).all()
    assert not any(raw in str(row) or rotated in str(row) for row in stored + audit)
