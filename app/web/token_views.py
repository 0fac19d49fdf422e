"""Settings -> Personal -> Tokens and API tokens: one implementation for both kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app import policy
from app.auth import public
from app.errors import ApiError
from app.models import User
from app.services import tokens
from app.web import reveal, token_actions
from app.web.blueprint import bp
from app.web.forms import ConfirmForm, TokenForm, first_error, submitted
from app.web.session import require_user, signed_in


@dataclass(frozen=True)
class TokenPage:
    """One kind of token and the pages that manage it."""

    kind: str
    path: str
    endpoint: str
    heading: str
    noun: str

    def url(self, action: str = "", **values: Any) -> str:
        return url_for(f"web.{self.endpoint}{action}", **values)


PAGES = (
    TokenPage(
        policy.KIND_PAT,
        "/settings/tokens",
        "tokens",
        "Personal access tokens",
        "personal access token",
    ),
    TokenPage(
        policy.KIND_API_TOKEN, "/settings/api-tokens", "api_tokens", "API tokens", "API token"
    ),
)


def _list_view(page: TokenPage) -> Response:
    user = require_user()
    form = TokenForm()
    form.offer_scopes(user.role)
    if not submitted(form):
        return _render_list(
            page, user, form, first_error(form), 400 if form.is_submitted() else 200
        )
    try:
        issued = token_actions.create(
            user,
            page.kind,
            name=form.name.data,
            scope=form.scope.data,
            expires_on=form.expires_on.data,
        )
    except ApiError as error:
        return _render_list(page, user, form, error.message, error.status)
    reveal.stash(page.endpoint, issued.raw)
    return redirect(page.url())


def _rotate_view(page: TokenPage, token_id: str) -> Response:
    user = require_user()
    token = tokens.get_owned(user, page.kind, token_id)
    form = ConfirmForm()
    if not submitted(form):
        return _render_confirm(
            form,
            f"Rotate token {token.name}?",
            "Rotate token",
            page,
            "The current value stops working at once; the new one is shown once.",
        )
    issued = token_actions.rotate(user, token)
    flash(f"Token {token.name} rotated.")
    reveal.stash(page.endpoint, issued.raw)
    return redirect(page.url())


def _delete_view(page: TokenPage, token_id: str) -> Response:
    user = require_user()
    token = tokens.get_owned(user, page.kind, token_id)
    form = ConfirmForm()
    if not submitted(form):
        return _render_confirm(
            form,
            f"Delete token {token.name}?",
            "Delete token",
            page,
            "Anything that uses it stops working at once.",
        )
    token_actions.delete(user, token)
    flash(f"Token {token.name} deleted.")
    return redirect(page.url())


def _render_list(
    page: TokenPage, user: User, form: TokenForm, error: str | None = None, status: int = 200
) -> Response:
    body = render_template(
        "tokens.html",
        page=page,
        form=form,
        error=error,
        rows=tokens.list_for(user, page.kind),
        status_of=tokens.status_of,
        new_token=reveal.pop(page.endpoint),
        switched_off=token_actions.switched_off(page.kind),
    )
    return make_response(body, status)


def _render_confirm(
    form: ConfirmForm, question: str, button: str, page: TokenPage, warning: str
) -> Response:
    body = render_template(
        "confirm.html",
        form=form,
        question=question,
        button=button,
        warning=warning,
        back=page.url(),
    )
    return make_response(body)


def _register(page: TokenPage) -> None:
    """Bind the three views to one kind's URLs and endpoint names."""

    def list_view() -> Response:
        return _list_view(page)

    def rotate_view(token_id: str) -> Response:
        return _rotate_view(page, token_id)

    def delete_view(token_id: str) -> Response:
        return _delete_view(page, token_id)

    routes = (
        ("", "", list_view),
        ("/<token_id>/rotate", "_rotate", rotate_view),
        ("/<token_id>/delete", "_delete", delete_view),
    )
    for suffix, action, view in routes:
        bp.add_url_rule(
            page.path + suffix,
            endpoint=page.endpoint + action,
            view_func=public(signed_in(view)),
            methods=["GET", "POST"],
        )


for _page in PAGES:
    _register(_page)
