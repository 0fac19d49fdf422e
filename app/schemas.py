"""Request and response shapes. The same models validate requests and generate /openapi.json."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from app import policy

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
PUBLIC_ID_PATTERN = r"^[a-z]{3}_[0-9A-Za-z]{1,40}$"

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
DisplayName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
AgentId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=ID_PATTERN)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Password = Annotated[str, StringConstraints(min_length=12, max_length=1024)]
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_means_end_of_day(value: object) -> object:
    """`2027-06-30` is usable through that day (UTC); a full date-time is taken as it is."""
    if isinstance(value, str) and DATE_ONLY.match(value):
        try:
            return policy.end_of_day(dt.date.fromisoformat(value))
        except ValueError:
            return value  # not a real day: the date-time validator says so
    return value


ExpiryTime = Annotated[
    dt.datetime,
    BeforeValidator(_date_means_end_of_day),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ],
            "description": "A date-time, or a date: usable through the end of that day, UTC.",
        }
    ),
]
TokenScope = Literal["read", "read_write", "write", "admin"]
CanonicalScope = Literal["read", "read_write", "admin"]
AccountRole = Literal["admin", "user"]
Role = Literal["root", "admin", "user"]


class Request(BaseModel):
    """Base for request bodies: unknown fields are ignored (clients may send more)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Reply(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# --- /me/pats and /me/api-tokens (OpenIndex's camelCase shapes) ---


class TokenCreate(Request):
    name: DisplayName
    scope: TokenScope
    expires_at: ExpiryTime | None = Field(default=None, alias="expiresAt")
    agent_id: AgentId | None = Field(default=None, alias="agentId")


class TokenRotate(Request):
    """Without `expiresAt` the replacement keeps the old token's expiry."""

    expires_at: ExpiryTime | None = Field(default=None, alias="expiresAt")


class TokenSummary(Reply):
    id: str
    name: str
    scope: CanonicalScope
    prefix: str
    last4: str
    status: Literal["active", "expired", "revoked"]
    agent_id: str | None = Field(alias="agentId")
    created_at: dt.datetime = Field(alias="createdAt")
    expires_at: dt.datetime | None = Field(alias="expiresAt")
    last_used_at: dt.datetime | None = Field(alias="lastUsedAt")


class TokenCreated(Reply):
    id: str
    name: str
    scope: CanonicalScope
    token: str
    agent_id: str | None = Field(alias="agentId")
    expires_at: dt.datetime | None = Field(alias="expiresAt")
    created_at: dt.datetime = Field(alias="createdAt")


class TokenDeleted(Reply):
    id: str
    deleted: Literal[True] = True


class AuthCheck(Reply):
    valid: Literal[True] = True
    kind: Literal["root", "dev", "pat", "api_token", "user_key", "oauth_access"]
    scope: CanonicalScope
    role: Role
    token_id: str | None = Field(alias="tokenId")
    account_id: str | None = Field(alias="accountId")
    user_id: str | None = Field(alias="userId")
    agent_id: str | None = Field(alias="agentId")
    expires_at: dt.datetime | None = Field(alias="expiresAt")


class InviteClaim(Request):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Password
    user_id: Identifier | None = Field(default=None, alias="userId")


class InviteClaimed(Reply):
    account_id: str = Field(alias="accountId")
    user_id: str = Field(alias="userId")
    email: str
    role: AccountRole


class Health(Reply):
    status: Literal["ok"] = "ok"


class Ready(Reply):
    status: Literal["ready", "degraded"]
    database: Literal["ok"]
    rate_limit_storage: str = Field(alias="rateLimitStorage")


# --- Admin API (OpenViking's snake_case shapes inside {"status": "ok", "result": ...}) ---

ResultT = TypeVar("ResultT")


class Ok(Reply, Generic[ResultT]):
    status: Literal["ok"] = "ok"
    result: ResultT
    time: float


class AccountCreate(Request):
    account_id: Identifier
    admin_user_id: Identifier
    admin_email: Email | None = None


class AccountCreated(Reply):
    account_id: str
    admin_user_id: str
    user_key: str


class AccountInfo(Reply):
    account_id: str
    created_at: dt.datetime
    user_count: int


class UserCreate(Request):
    user_id: Identifier
    role: AccountRole = "user"
    email: Email | None = None


class UserCreated(Reply):
    account_id: str
    user_id: str
    role: AccountRole
    user_key: str


class UserInfo(Reply):
    account_id: str
    user_id: str
    role: AccountRole
    email: str | None
    created_at: dt.datetime


class RoleUpdate(Request):
    role: AccountRole


class RoleUpdated(Reply):
    account_id: str
    user_id: str
    role: AccountRole


class KeyRegenerated(Reply):
    user_key: str


class Deleted(Reply):
    deleted: Literal[True] = True


class WebhookCreate(Request):
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class WebhookInfo(Reply):
    id: str
    account_id: str
    url: str
    description: str
    secret_last4: str
    created_at: dt.datetime


class WebhookCreated(WebhookInfo):
    """`secret` signs every delivery (`X-Tokenpatrol-Signature`); it is shown only here."""

    secret: str


class WebhookDeliveryInfo(Reply):
    id: int
    event: str
    status: Literal["delivered", "retrying", "queued", "dead"]
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    next_attempt_at: dt.datetime | None


class InviteCreate(Request):
    email: Email
    account_id: Identifier
    role: AccountRole = "user"


class PasswordLinkCreate(Request):
    """`email` gives the user an address first, when they have none (a user made by the API)."""

    email: Email | None = None


class InviteCreated(Reply):
    id: str
    invite_token: str
    url: str
    expires_at: dt.datetime


class InviteInfo(Reply):
    id: str
    email: str
    account_id: str
    role: AccountRole
    status: Literal["pending", "claimed", "revoked", "expired"]
    created_at: dt.datetime
    expires_at: dt.datetime
    claimed_user_id: str | None


MAX_LIFETIME_DAYS = 36_500


class Settings(Reply):
    pats_enabled: bool
    max_token_lifetime_days: int | None  # None: new tokens may live forever


class SettingsUpdate(Request):
    """Only what is sent changes; `max_token_lifetime_days: null` removes the maximum."""

    pats_enabled: bool | None = None
    max_token_lifetime_days: Annotated[int, Field(ge=1, le=MAX_LIFETIME_DAYS)] | None = None


class ErrorDetail(Reply):
    code: str
    message: str


class ErrorEnvelope(Reply):
    status: Literal["error"] = "error"
    error: ErrorDetail


# --- the leak protocol (no bearer: possession of the token is the proof) ---

MAX_LEAK_BATCH = 5000
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
RawToken = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
LeakSource = Literal["pre-commit", "pre-receive", "ci", "cli", "manual"]
LeakStatus = Literal["active", "revoked", "expired", "unknown"]


class LeakCheck(Request):
    hashes: list[Sha256Hex] = Field(min_length=1, max_length=MAX_LEAK_BATCH)


class LeakCheckResult(Reply):
    hash: str
    status: LeakStatus
    token_id: str | None = Field(alias="tokenId")
    kind: str | None
    scope: CanonicalScope | None


class LeakCheckReply(Reply):
    results: list[LeakCheckResult]


class LeakLocation(Request):
    repo: Annotated[str, StringConstraints(max_length=500)] | None = None
    commit: Annotated[str, StringConstraints(max_length=64)] | None = None
    path: Annotated[str, StringConstraints(max_length=1000)] | None = None
    line: Annotated[StrictInt, Field(ge=0, le=10**9)] | None = None
    url: Annotated[str, StringConstraints(max_length=1000)] | None = None


ReportId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,64}$")]


class LeakRevoke(Request):
    tokens: list[RawToken] = Field(min_length=1, max_length=MAX_LEAK_BATCH)
    location: LeakLocation = Field(default_factory=LeakLocation)
    source: LeakSource = "manual"
    # Chosen by the client, the same on every retry of one report: a retry whose first try
    # revoked a token (and whose answer was lost) is answered "revoked" again.
    report_id: ReportId | None = Field(default=None, alias="reportId")


# --- Partner feeds: GitHub secret scanning alerts, GitLab's Token Revocation API ---

PartnerUrl = Annotated[str, StringConstraints(max_length=2000)]


class GithubMatch(Request):
    token: RawToken
    type: Annotated[str, StringConstraints(max_length=200)]
    url: PartnerUrl | None = None
    source: Annotated[str, StringConstraints(max_length=100)] | None = None


class GithubAlert(RootModel[list[GithubMatch]]):
    """GitHub's partner alert: a JSON array of matches."""

    root: list[GithubMatch] = Field(min_length=1, max_length=MAX_LEAK_BATCH)


class GithubFeedback(Reply):
    """GitHub's feedback format, per token: hashed (SHA-256 hex), never sent back raw."""

    token_hash: str
    token_type: str
    label: Literal["true_positive", "false_positive"]


class GitlabTokenTypes(Reply):
    types: list[str]


class GitlabLeak(Request):
    type: Annotated[str, StringConstraints(max_length=200)]
    token: RawToken
    location: PartnerUrl | None = None


class GitlabRevocation(RootModel[list[GitlabLeak]]):
    root: list[GitlabLeak] = Field(min_length=1, max_length=MAX_LEAK_BATCH)


class LeakRevokeResult(Reply):
    fingerprint: str
    redacted: str
    result: Literal["revoked", "already_revoked", "unknown"]
    token_id: str | None = Field(alias="tokenId")
    kind: str | None
    # Live tokens the leaked one had made (created, or its own rotation), revoked with it.
    also_revoked: int = Field(default=0, alias="alsoRevoked")


class LeakRevokeReply(Reply):
    results: list[LeakRevokeResult]
    replacement: str


class LeakEventInfo(Reply):
    token_id: str = Field(alias="tokenId")
    token_name: str = Field(alias="tokenName")
    kind: str
    redacted: str
    account_id: str = Field(alias="accountId")
    user_id: str = Field(alias="userId")
    repo: str | None
    commit: str | None
    path: str | None
    line: int | None
    url: str | None
    source: str
    reported_at: dt.datetime = Field(alias="reportedAt")
    revoked_at: dt.datetime | None = Field(alias="revokedAt")
    revoked_now: bool = Field(alias="revokedNow")
    also_revoked: int = Field(alias="alsoRevoked")
