"""The audit log: who did what to which token, account or setting (never a token value)."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditEvent


def record(actor: str, action: str, target: str, **detail: Any) -> None:
    """Add an event to the current transaction; the caller's commit makes it durable."""
    db.session.add(AuditEvent(actor=actor, action=action, target=target, detail=detail))
