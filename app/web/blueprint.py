"""The `web` blueprint: its static files, template helpers and the no-store rule for its pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Blueprint, Response, send_from_directory
from flask_wtf.csrf import generate_csrf

from app import policy
from app.auth import public
from app.web import headers
from app.web.session import is_admin, signed_in_user

KIND_LABELS = {
    policy.KIND_PAT: "Personal access token",
    policy.KIND_API_TOKEN: "API token",
    policy.KIND_USER_KEY: "User key",
}
STATIC_FOLDER = Path(__file__).parent / "static"
STATIC_MAX_AGE_SECONDS = 3600

bp = Blueprint("web", __name__, template_folder="templates")
bp.after_request(headers.no_store)


@bp.route("/static/<path:filename>")
@public
def static(filename: str) -> Response:
    return send_from_directory(STATIC_FOLDER, filename, max_age=STATIC_MAX_AGE_SECONDS)


@bp.app_context_processor
def layout_context() -> dict[str, object]:
    """What `layout.html` needs on every page that extends it (the OAuth pages too)."""
    user = signed_in_user()
    return {"web_user": user, "web_is_admin": is_admin(user)}


# A global (not context), so macros imported without context can put a CSRF token in a form.
bp.add_app_template_global(generate_csrf, "csrf_token")


@bp.app_template_filter("when")
def when(moment: dt.datetime | None, empty: str = "never") -> str:
    if moment is None:
        return empty
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@bp.app_template_filter("day")
def day(moment: dt.datetime | None, empty: str = "never") -> str:
    if moment is None:
        return empty
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d")


@bp.app_template_filter("kind_label")
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " "))
