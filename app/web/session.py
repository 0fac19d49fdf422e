"""Who is signed in to the web pages: Flask-Login over the `User` row, without touching the model.

The session names the user's row id and a digest of their password hash, so a password change,
or a user deleted and made again, ends every session that was opened before.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import redirect, request, url_for
from flask_login import LoginManager, current_user

from app import policy
from app.errors import PermissionDenied
from app.extensions import db
from app.models import User

F = TypeVar("F", bound=Callable[..., Any])

MAX_ROW_ID = 2**31 - 1  # the users.id column is a 32-bit integer on PostgreSQL
ADMINS_ONLY = "Only account admins can open this page."

login_manager = LoginManager()


@dataclass(frozen=True)
class WebUser:
    """Flask-Login's view of a `User` row."""

    user: User

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return session_id(self.user)


def session_id(user: User) -> str:
    return f"{user.id}.{_password_digest(user.password_hash or '')}"


def load_user(value: str) -> WebUser | None:
    """The signed-in user, or None when the row is gone or its password changed since."""
    row_id, _, digest = value.partition(".")
    if not row_id.isdigit() or int(row_id) > MAX_ROW_ID:
        return None
    user = db.session.get(User, int(row_id))
    if user is None or not user.password_hash:
        return None
    if not hmac.compare_digest(digest, _password_digest(user.password_hash)):
        return None
    return WebUser(user)


login_manager.user_loader(load_user)


def signed_in_user() -> User | None:
    if not current_user.is_authenticated:
        return None
    return cast(WebUser, current_user).user


def require_user() -> User:
    """The signed-in user; the views calling this are wrapped in `signed_in`."""
    user = signed_in_user()
    if user is None:  # pragma: no cover - `signed_in` redirected before the view ran
        raise PermissionDenied("sign in first")
    return user


def is_admin(user: User | None) -> bool:
    return user is not None and user.role == policy.ROLE_ADMIN


def actor(user: User) -> str:
    """How the audit log names a web action."""
    return f"{user.account_id}/{user.user_id} (web)"


def signed_in(view: F) -> F:
    """Send anonymous visitors to the sign-in page, and back here afterwards."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if signed_in_user() is None:
            here = request.full_path.rstrip("?")
            return redirect(url_for("web.login", next=here))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def admins_only(view: F) -> F:
    """Account ADMINs only (the web UI has no ROOT: that is the API root key)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_admin(signed_in_user()):
            raise PermissionDenied(ADMINS_ONLY)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def _password_digest(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]
