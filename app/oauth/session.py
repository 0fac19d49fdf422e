"""Who is signed in to the web UI, as a `User` row (the session belongs to the web UI)."""

from __future__ import annotations

from flask_login import current_user

from app.models import User


def signed_in_user() -> User | None:
    if not current_user or not current_user.is_authenticated:
        return None
    user = getattr(current_user, "user", current_user)
    return user if isinstance(user, User) else None
