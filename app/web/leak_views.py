"""Leaked tokens: what leaked, where, and when it was revoked (and, for admins, the account's)."""

from __future__ import annotations

import datetime as dt

from flask import render_template

from app.auth import public
from app.models import LeakEvent, utcnow
from app.services import leaks
from app.web import chart
from app.web.blueprint import bp
from app.web.session import is_admin, require_user, signed_in


@bp.route("/leaks")
@public
@signed_in
def leaks_page() -> str:
    user = require_user()
    account_events = leaks.events_for_account(user.account_id) if is_admin(user) else None
    return render_template(
        "leaks.html",
        events=leaks.events_for_user(user),
        account_events=account_events,
        chart=_chart(account_events) if account_events is not None else None,
    )


def _chart(events: list[LeakEvent]) -> chart.Chart:
    today: dt.date = utcnow().date()
    return chart.leak_chart((event.reported_at for event in events), today)
