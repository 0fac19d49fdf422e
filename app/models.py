"""Tables only. Tokens are stored as SHA-256 hashes; the raw value never reaches the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in Python on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Account(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )


class User(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("account_id", "user_id", name="uq_users_account_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="users")
    tokens: Mapped[list[Token]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class Token(db.Model):  # type: ignore[name-defined,misc]
    """Every credential the service issues to a user: PATs, `oai_` API tokens, user keys."""

    __tablename__ = "tokens"
    __table_args__ = (Index("ix_tokens_user_kind", "user_pk", "kind"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(4))
    agent_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    replaced_by: Mapped[str | None] = mapped_column(String(40))
    # The token whose request minted this one (created or rotated it); None for the web UI,
    # the root key and OAuth. Revoking a token as leaked revokes what it made, transitively.
    created_by: Mapped[str | None] = mapped_column(String(40), index=True)
    # OAuth tokens from one sign-in share a family: reuse of a spent refresh token kills it all.
    family_id: Mapped[str | None] = mapped_column(String(40), index=True)

    user: Mapped[User] = relationship(back_populates="tokens")


class OAuthCode(db.Model):  # type: ignore[name-defined,misc]
    """An authorization code (stored hashed): single use, short-lived, bound to a PKCE challenge.

    A spent code is kept (with `used_at`) until it expires, so a replay can be recognised and
    the tokens it bought revoked (OAuth 2.1, section 4.1.3).
    """

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(100))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    family_id: Mapped[str | None] = mapped_column(String(40))

    user: Mapped[User] = relationship()


class Invite(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "invites"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last4: Mapped[str] = mapped_column(String(4))
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_user_id: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set: a password link for this existing user (claiming sets their password); else an
    # invite that makes a new user.
    user_pk: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE", name="fk_invites_user_pk_users"), index=True
    )


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class InstanceSetting(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "instance_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(Text)


class LeakEvent(db.Model):  # type: ignore[name-defined,misc]
    """A token seen leaked at one location; one row per token per location (deduplicated)."""

    __tablename__ = "leak_events"
    __table_args__ = (
        UniqueConstraint("token_id", "location_key", name="uq_leak_events_token_location"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("tokens.id", ondelete="CASCADE"), index=True)
    location_key: Mapped[str] = mapped_column(String(64))
    repo: Mapped[str | None] = mapped_column(String(500))
    commit: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(String(1000))
    line: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(16))
    reported_by: Mapped[str | None] = mapped_column(String(64))
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    revoked_now: Mapped[bool] = mapped_column(default=False)
    # The client's id for the report that revoked it: a retry of that report (its answer lost)
    # is told "revoked" again, not "already_revoked".
    report_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Tokens this report also revoked because the leaked one had made them.
    also_revoked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    token: Mapped[Token] = relationship()


class WebSession(db.Model):  # type: ignore[name-defined,misc]
    """A web sign-in, kept on the server: signing out ends it for every copy of the cookie, and
    a secret waiting to be shown once waits here, not in the cookie."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reveal_page: Mapped[str | None] = mapped_column(String(100))
    reveal_sealed: Mapped[str | None] = mapped_column(Text)


class ExpiryNotice(db.Model):  # type: ignore[name-defined,misc]
    """One row per token per reminder (7 days, 1 day): inserted before the mail is queued, so
    two cron runs racing each other cannot send the same reminder twice."""

    __tablename__ = "expiry_notices"
    __table_args__ = (UniqueConstraint("token_id", "days_before", name="uq_expiry_notices"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("tokens.id", ondelete="CASCADE"))
    days_before: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEndpoint(db.Model):  # type: ignore[name-defined,misc]
    """An account's URL that every leak event of the account is POSTed to, signed."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The HMAC secret, sealed (app/services/sealing.py): the signature needs it back.
    secret_sealed: Mapped[str] = mapped_column(Text)
    secret_last4: Mapped[str] = mapped_column(String(4))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailOutbox(db.Model):  # type: ignore[name-defined,misc]
    """Mail waiting to go out: a mail server that is down delays the mail, never the revocation."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(2000))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # Set while one process sends it, so a second sender (cron twice, a worker) leaves it be.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # After a failure, the time of the next attempt (backoff); None means due now.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # Given up on (too many attempts, or a mail that cannot be built): the dead letters.
    dead_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # A webhook delivery rides the same outbox: `recipient` is then the endpoint's URL, `body`
    # the JSON payload, and `last_status` the HTTP status of the last attempt.
    channel: Mapped[str] = mapped_column(String(16), default="mail", server_default="mail")
    webhook_id: Mapped[str | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    last_status: Mapped[int | None] = mapped_column(Integer)


class DeviceCode(db.Model):  # type: ignore[name-defined,misc]
    """An RFC 8628 device authorization (`oi login --device`), stored as hashes only.

    One row carries the whole story: the poll clock (`last_polled_at`, and `interval`, which
    grows by 5 s at each `slow_down`), the decision made on the web page (`approved`, by
    `user`), and the single spend that bought tokens (`used_at`, `family_id`): a spent device
    code that comes back is a replay, and its sign-in is revoked, like an authorization code's.
    """

    __tablename__ = "oauth_device_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Not unique: an expired row may share a hash with a new code; lookups take live rows only.
    user_code_hash: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    interval: Mapped[int] = mapped_column(Integer)
    last_polled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    user_pk: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    approved: Mapped[bool | None] = mapped_column()
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    family_id: Mapped[str | None] = mapped_column(String(40))

    user: Mapped[User | None] = relationship()
