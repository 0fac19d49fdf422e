"""Instance settings changed at run time (in the database, so every worker sees them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import InstanceSetting
from app.services import audit

DEFAULTS: dict[str, Any] = {"pats_enabled": True, "max_token_lifetime_days": None}


def get(key: str) -> Any:
    row = db.session.get(InstanceSetting, key)
    return DEFAULTS[key] if row is None else row.value


def all_settings() -> dict[str, Any]:
    return {key: get(key) for key in DEFAULTS}


def update(changes: dict[str, Any], *, actor: str) -> dict[str, Any]:
    for key, value in changes.items():
        row = db.session.get(InstanceSetting, key)
        if row is None:
            db.session.add(InstanceSetting(key=key, value=value, updated_by=actor))
        else:
            row.value, row.updated_by = value, actor
        audit.record(actor, "settings.update", key, value=value)
    db.session.commit()
    return all_settings()


def pats_enabled() -> bool:
    return bool(get("pats_enabled"))


def max_token_lifetime_days() -> int | None:
    """The instance's longest lifetime for a new token (as a GitHub organisation sets one)."""
    days = get("max_token_lifetime_days")
    return None if days is None else int(days)


#: The stored `pats_enabled` value as a column, for queries that want it in the same round trip.
PATS_ENABLED_COLUMN = (
    select(InstanceSetting.value).where(InstanceSetting.key == "pats_enabled").scalar_subquery()
)


def pats_enabled_value(stored: Any) -> bool:
    """What PATS_ENABLED_COLUMN read means: NULL (never set) is the default."""
    return bool(DEFAULTS["pats_enabled"] if stored is None else stored)
