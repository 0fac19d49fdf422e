"""Who is signed in to the web pages: Flask-Login over a `WebSession` row kept on the server.

The cookie names the session row and a digest of the user's password hash. Signing out ends
the row, so a copy of the cookie taken before stops working too; a password change, or a user
deleted and made again, ends every session that was opened before.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import redirect, request, url_for
from flask_login import LoginManager, current_user

from app import policy
from app.errors import PermissionDenied
from app.extensions import db
from app.models import User, WebSession, utcnow

F = TypeVar("F", bound=Callable[..., Any])

ADMINS_ONLY = "Only account admins can open this page."

login_manager = LoginManager()


@dataclass(frozen=True)
class WebUser:
    """Flask-Login's view of a signed-in `User` and the server-side session they hold."""

    user: User
    session: WebSession

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
        return f"{self.session.id}.{_password_digest(self.user.password_hash or '')}"


def begin_session(user: User) -> WebUser:
    """A new server-side session for `user` (committed): what `login_user` is given."""
    row = WebSession(id=secrets.token_urlsafe(32), user_pk=user.id, created_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return WebUser(user, row)


def end_current_session() -> None:
    """End the signed-in session on the server: every copy of its cookie stops working."""
    row = current_session()
    if row is None:
        return
    row.ended_at = utcnow()
    row.reveal_page = row.reveal_sealed = None
    db.session.commit()


def current_session() -> WebSession | None:
    if not current_user.is_authenticated:
        return None
    return cast(WebUser, current_user).session


def load_user(value: str) -> WebUser | None:
    """The signed-in user, or None when the session ended, the user is gone or their password
    changed since."""
    session_key, _, digest = value.partition(".")
    if not session_key or len(session_key) > 64:
        return None
    row = db.session.get(WebSession, session_key)
    if row is None or row.ended_at is not None:
        return None
    user = db.session.get(User, row.user_pk)
    if user is None or not user.password_hash:
        return None
    if not hmac.compare_digest(digest, _password_digest(user.password_hash)):
        return None
    return WebUser(user, row)


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
