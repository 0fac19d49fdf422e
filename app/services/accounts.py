"""Accounts, users, roles and user keys (OpenViking's model: an account's first user is ADMIN)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import policy
from app.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from app.extensions import db
from app.models import Account, User
from app.services import audit, tokens

DEV_ACCOUNT_ID = DEV_USER_ID = "default"
USER_KEY_NAME = "user key"


class Member(Protocol):
    """Whoever acts on an account: a request's principal, or a signed-in web user."""

    @property
    def role(self) -> str: ...

    @property
    def account_id(self) -> str | None: ...


def require_same_account(actor: Member, account_id: str) -> None:
    """An account ADMIN manages their own account only; ROOT manages every account."""
    if actor.role != policy.ROLE_ROOT and actor.account_id != account_id:
        raise PermissionDenied(f"ADMIN can only manage their own account, not {account_id!r}")


def create_account(
    account_id: str, admin_user_id: str, *, actor: str, email: str | None = None
) -> tokens.IssuedToken:
    """A new account with its first user, an ADMIN; returns that user's key."""
    if db.session.get(Account, account_id) is not None:
        raise AlreadyExists(f"account {account_id!r} already exists")
    db.session.add(Account(account_id=account_id))
    audit.record(actor, "account.create", account_id)
    return register_user(account_id, admin_user_id, policy.ROLE_ADMIN, actor=actor, email=email)


def list_accounts() -> list[tuple[Account, int]]:
    counts = (
        select(User.account_id, func.count(User.id).label("n")).group_by(User.account_id).subquery()
    )
    query = (
        select(Account, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.account_id == Account.account_id)
        .order_by(Account.account_id)
    )
    return [(account, int(n)) for account, n in db.session.execute(query)]


def get_account(account_id: str) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        raise NotFound(f"account {account_id!r} not found")
    return account


def delete_account(account_id: str, *, actor: str) -> None:
    """Delete the account, its users and every token they hold, in one transaction."""
    account = get_account(account_id)
    db.session.delete(account)
    audit.record(actor, "account.delete", account_id)
    db.session.commit()


def register_user(
    account_id: str, user_id: str, role: str, *, actor: str, email: str | None = None
) -> tokens.IssuedToken:
    """A new user in an existing account; returns the user's key."""
    user = add_user(account_id, user_id, role, actor=actor, email=email)
    return _new_user_key(user, actor=actor)


def add_user(
    account_id: str, user_id: str, role: str, *, actor: str, email: str | None = None
) -> User:
    """Add a user to the session (flushed, not committed): the caller finishes the transaction."""
    get_account(account_id)
    if _find_user(account_id, user_id) is not None:
        raise AlreadyExists(f"user {user_id!r} already exists in account {account_id!r}")
    user = User(account_id=account_id, user_id=user_id, role=role, email=_normal_email(email))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise AlreadyExists("a user with that user id or email already exists") from error
    audit.record(actor, "user.create", f"{account_id}/{user_id}", role=role)
    return user


def list_users(account_id: str) -> list[User]:
    get_account(account_id)
    query = select(User).where(User.account_id == account_id).order_by(User.user_id)
    return list(db.session.scalars(query))


def get_user(account_id: str, user_id: str) -> User:
    user = _find_user(account_id, user_id)
    if user is None:
        raise NotFound(f"user {user_id!r} not found in account {account_id!r}")
    return user


def remove_user(account_id: str, user_id: str, *, actor: str) -> None:
    """Delete the user; their tokens go with them and fail from the next request on."""
    user = get_user(account_id, user_id)
    db.session.delete(user)
    audit.record(actor, "user.delete", f"{account_id}/{user_id}")
    db.session.commit()


def set_role(account_id: str, user_id: str, role: str, *, actor: str) -> User:
    if role not in policy.ACCOUNT_ROLES:
        raise InvalidArgument(f"role must be one of {', '.join(policy.ACCOUNT_ROLES)}")
    user = get_user(account_id, user_id)
    user.role = role
    audit.record(actor, "user.role", f"{account_id}/{user_id}", role=role)
    db.session.commit()
    return user


def regenerate_key(account_id: str, user_id: str, *, actor: str) -> tokens.IssuedToken:
    """A new user key; every earlier key of the user stops working in the same commit."""
    user = get_user(account_id, user_id)
    old_keys = tokens.list_for(user, policy.KIND_USER_KEY)
    tokens.revoke(old_keys, "regenerated", actor=actor, action="regenerate")
    return _new_user_key(user, actor=actor)


def dev_user() -> User:
    """The user that development mode (no root key) acts as, made on first use."""
    user = _find_user(DEV_ACCOUNT_ID, DEV_USER_ID)
    if user is not None:
        return user
    if db.session.get(Account, DEV_ACCOUNT_ID) is None:
        db.session.add(Account(account_id=DEV_ACCOUNT_ID))
    user = User(account_id=DEV_ACCOUNT_ID, user_id=DEV_USER_ID, role=policy.ROLE_ADMIN)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # another worker made it first
        db.session.rollback()
        return get_user(DEV_ACCOUNT_ID, DEV_USER_ID)
    return user


def find_by_login(login: str) -> User | None:
    """A user by email, by `account/user`, or by user id alone when that id is unique on the
    instance. User ids are unique per account only, so someone in another account can take
    the same id; `account/user` (and the email) always name exactly one person."""
    if "@" in login:
        return db.session.scalars(select(User).where(User.email == login.lower())).first()
    account_id, slash, user_id = login.partition("/")
    if slash:
        return _find_user(account_id, user_id) if account_id and user_id else None
    matches = list(db.session.scalars(select(User).where(User.user_id == login).limit(2)))
    return matches[0] if len(matches) == 1 else None


def _find_user(account_id: str, user_id: str) -> User | None:
    query = select(User).where(User.account_id == account_id, User.user_id == user_id)
    return db.session.scalars(query).first()


def _new_user_key(user: User, *, actor: str) -> tokens.IssuedToken:
    # A user key carries full scope: the user's role (which may change) is what limits it.
    return tokens.issue(user, policy.KIND_USER_KEY, name=USER_KEY_NAME, scope="admin", actor=actor)


def _normal_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None
