"""Admin -> Webhooks: an account ADMIN registers receivers of the account's leak events, sees
each one's delivery log, and removes them. The rules are app/services/webhooks.py's."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.auth import public
from app.errors import ApiError
from app.models import User
from app.services import webhooks
from app.web import reveal
from app.web.blueprint import bp
from app.web.forms import ConfirmForm, WebhookForm, first_error, submitted
from app.web.session import actor, admins_only, require_user, signed_in

WEBHOOKS_PAGE = "admin_webhooks"


@bp.route("/admin/webhooks", methods=["GET", "POST"])
@public
@signed_in
@admins_only
def admin_webhooks() -> Response:
    admin = require_user()
    form = WebhookForm()
    if not submitted(form):
        return _render(admin, form, first_error(form), 400 if form.is_submitted() else 200)
    try:
        made = webhooks.register(
            admin.account_id, form.url.data.strip(), form.description.data or "", actor=actor(admin)
        )
    except ApiError as error:
        return _render(admin, form, error.message, error.status)
    flash("Webhook added. Its signing secret is shown below, once.")
    reveal.stash(WEBHOOKS_PAGE, made.secret)
    return redirect(url_for("web.admin_webhooks"))


@bp.route("/admin/webhooks/<webhook_id>/remove", methods=["POST"])
@public
@signed_in
@admins_only
def admin_remove_webhook(webhook_id: str) -> Response:
    admin = require_user()
    submitted(ConfirmForm())
    endpoint = webhooks.get(admin.account_id, webhook_id)
    webhooks.remove(endpoint, actor=actor(admin))
    flash(f"Webhook {endpoint.url} removed.")
    return redirect(url_for("web.admin_webhooks"))


def _render(admin: User, form: WebhookForm, error: str | None, status: int) -> Response:
    endpoints = webhooks.list_for(admin.account_id)
    body = render_template(
        "admin/webhooks.html",
        form=form,
        error=error,
        endpoints=[(e, webhooks.deliveries(e, limit=10)) for e in endpoints],
        status_of=webhooks.delivery_status,
        new_secret=reveal.pop(WEBHOOKS_PAGE),
    )
    return make_response(body, status)
