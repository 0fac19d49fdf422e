"""The leak protocol: check token hashes, revoke leaked tokens, remember where they leaked.

Possession of a token is the proof: whoever presents a leaked token may kill it. A check sends
only SHA-256 hashes, so the secret never travels for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Invite, LeakEvent, Token, User, utcnow
from app.services import audit, invites, mail, tokens, webhooks
from scanner import formats

LOOKUP_CHUNK = 500
INVITE_KIND = "invite"
MAIL_FIELDS = ("path", "line", "commit")
LINK_LIKE = re.compile(r"(?i)[a-z][a-z0-9+.-]*:|www\.|\.[a-z]{2,}/")  # what a mail client links
REPLACEMENT_HINT = (
    "Create a replacement with POST /me/pats (or /me/api-tokens), or `oi tokens create`, "
    "and update whatever used the leaked token."
)


@dataclass(frozen=True)
class Location:
    repo: str | None = None
    commit: str | None = None
    path: str | None = None
    line: int | None = None
    url: str | None = None

    @property
    def key(self) -> str:
        """Identifies the location, so a report repeated by every CI run is stored once."""
        raw = json.dumps([self.repo, self.commit, self.path, self.line, self.url])
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class CheckResult:
    token_hash: str
    status: str
    token_id: str | None = None
    kind: str | None = None
    scope: str | None = None


@dataclass(frozen=True)
class RevokeResult:
    raw: str
    result: str
    token: Token | None
    invite: Invite | None = None
    repeated: bool = False  # "revoked" again, for a retry of the report that revoked it
    also_revoked: int = 0  # live tokens the leaked one had made, revoked with it

    @property
    def token_id(self) -> str | None:
        return self.token.id if self.token else self.invite.id if self.invite else None

    @property
    def kind(self) -> str | None:
        return self.token.kind if self.token else INVITE_KIND if self.invite else None


def check(hashes: list[str]) -> list[CheckResult]:
    """Status of each hash: active, revoked, expired or unknown (tokens and invite tokens).

    A dead token that made tokens still alive (it created them, or rotated itself into one)
    is `active`: its power still works, and a scanner must report it so that it gets revoked.
    """
    found = _tokens_by_hash(hashes)
    invites_found = _invites_by_hash(h for h in hashes if h not in found)
    dead = [token.id for token in found.values() if tokens.status_of(token) != "active"]
    living_through_heirs = tokens.live_descendants(dead)
    results = []
    for token_hash in hashes:
        if token_hash in found:
            token = found[token_hash]
            status = "active" if token.id in living_through_heirs else tokens.status_of(token)
            results.append(CheckResult(token_hash, status, token.id, token.kind, token.scope))
        elif token_hash in invites_found:
            invite = invites_found[token_hash]
            results.append(CheckResult(token_hash, _invite_status(invite), invite.id, INVITE_KIND))
        else:
            results.append(CheckResult(token_hash, "unknown"))
    return results


def revoke(
    raws: list[str],
    location: Location,
    source: str,
    *,
    reporter: str | None,
    report_id: str | None = None,
) -> list[RevokeResult]:
    """Revoke every live token among `raws` and record where each was seen, in one commit.

    Two reports of the same leak racing each other may both try to insert its event; the
    loser starts over once, and then finds the event (and the revocation) already there.
    """
    for attempt in (1, 2):
        try:
            return _revoke_batch(raws, location, source, Reporter(reporter, report_id))
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Reporter:
    address: str | None
    report_id: str | None


def _revoke_batch(
    raws: list[str], location: Location, source: str, reporter: Reporter
) -> list[RevokeResult]:
    # Each raw token is validated and hashed once; invalid ones can only be "unknown".
    hash_of = {raw: formats.token_hash(raw) for raw in raws if formats.identify(raw)}
    by_hash = _tokens_by_hash(hash_of.values())
    invites_by_hash = _invites_by_hash(h for h in hash_of.values() if h not in by_hash)
    token_ids = [token.id for token in by_hash.values()]
    seen_here = _tokens_with_event_at(location, token_ids)
    revoked_by_this_report = _revoked_by_report(reporter.report_id, token_ids)
    heirs = tokens.live_descendants(token_ids)  # the whole batch's lineage, one walk
    results: list[RevokeResult] = []
    for raw in raws:
        raw_hash = hash_of.get(raw, "")
        if raw_hash in invites_by_hash:
            results.append(_revoke_invite(raw, invites_by_hash[raw_hash], source, reporter.address))
            continue
        token = by_hash.get(raw_hash)
        if token is not None and token.id in revoked_by_this_report:
            results.append(RevokeResult(raw, "revoked", token, repeated=True))
            continue
        made = heirs.get(token.id, []) if token is not None else []
        results.append(_revoke_one(raw, token, made, location, source, reporter, seen_here))
    for result in results:
        if result.result == "revoked" and result.token is not None and not result.repeated:
            _notify_owner(result.token, location, result.also_revoked)
    db.session.commit()  # the revocations (and the mails to send) are durable from here
    return results  # the mail goes out from a worker: no request waits on a mail server


def events_for_user(user: User) -> list[LeakEvent]:
    query = (
        select(LeakEvent)
        .join(Token)
        .options(joinedload(LeakEvent.token))
        .where(Token.user_pk == user.id)
        .order_by(LeakEvent.reported_at.desc())
    )
    return list(db.session.scalars(query))


def events_for_account(account_id: str | None) -> list[LeakEvent]:
    query = (
        select(LeakEvent)
        .join(Token)
        .join(User)
        .options(joinedload(LeakEvent.token).joinedload(Token.user))
        .order_by(LeakEvent.reported_at.desc())
    )
    if account_id is not None:
        query = query.where(User.account_id == account_id)
    return list(db.session.scalars(query))


def _revoke_one(
    raw: str,
    token: Token | None,
    heirs: list[Token],
    location: Location,
    source: str,
    reporter: Reporter,
    seen_here: set[str],
) -> RevokeResult:
    if token is None:
        return RevokeResult(raw, "unknown", None)
    actor = f"leak report ({source}) from {reporter.address or 'unknown'}"
    live = tokens.status_of(token) == "active"
    live = live and bool(tokens.revoke([token], "leaked", actor=actor, **_where(location)))
    if live and token.family_id:  # a leaked `oi login` token takes its whole sign-in with it
        tokens.revoke_family(token.family_id, "leaked", actor=f"leak report ({source})")
    # Whatever the leaked token made (tokens it created, its own rotation) dies with it, even
    # when the token itself was revoked already: its successors are the leak, still working.
    made = len(tokens.revoke(heirs, "leaked_ancestor", actor=actor, via=token.id))
    revoked_now = live or made > 0
    if token.id not in seen_here and (revoked_now or _may_add_event(token)):
        seen_here.add(token.id)
        _record_event(token, location, source, reporter, revoked_now=revoked_now, made=made)
    result = "revoked" if revoked_now else "already_revoked"
    return RevokeResult(raw, result, token, also_revoked=made)


def _may_add_event(token: Token) -> bool:
    """Reports of a token that is already dead only add to its owner's page (anyone who ever
    saw the token can send them): a few a day per token, and one per location (the caller)."""
    since = utcnow() - dt.timedelta(days=1)
    recent = db.session.scalar(
        select(func.count(LeakEvent.id)).where(
            LeakEvent.token_id == token.id, LeakEvent.reported_at >= since
        )
    )
    return int(recent or 0) < int(current_app.config["LEAK_EVENTS_PER_DEAD_TOKEN_PER_DAY"])


def _revoke_invite(raw: str, invite: Invite, source: str, reporter: str | None) -> RevokeResult:
    """A leaked invite link is revoked too (it has no owner yet, so there is no leak event)."""
    if _invite_status(invite) != "active":
        return RevokeResult(raw, "already_revoked", None, invite)
    invite.revoked_at = utcnow()
    audit.record(
        f"leak report ({source}) from {reporter or 'unknown'}",
        "invite.revoke",
        invite.id,
        reason="leaked",
    )
    return RevokeResult(raw, "revoked", None, invite)


def _invite_status(invite: Invite) -> str:
    status = invites.status_of(invite)
    return {"pending": "active", "claimed": "revoked"}.get(status, status)


def _invites_by_hash(hashes: Iterable[str]) -> dict[str, Invite]:
    wanted = list(dict.fromkeys(hashes))
    found: dict[str, Invite] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        query = select(Invite).where(Invite.token_hash.in_(wanted[start : start + LOOKUP_CHUNK]))
        found.update((invite.token_hash, invite) for invite in db.session.scalars(query))
    return found


def _record_event(
    token: Token,
    location: Location,
    source: str,
    reporter: Reporter,
    *,
    revoked_now: bool,
    made: int = 0,
) -> None:
    event = LeakEvent(
        token_id=token.id,
        location_key=location.key,
        repo=location.repo,
        commit=location.commit,
        path=location.path,
        line=location.line,
        url=location.url,
        source=source,
        reported_by=reporter.address,
        reported_at=utcnow(),
        revoked_now=revoked_now,
        report_id=reporter.report_id if revoked_now else None,
        also_revoked=made,
    )
    db.session.add(event)
    webhooks.queue_leak(event, token)  # the account's receivers hear of it, off the request


def _revoked_by_report(report_id: str | None, token_ids: list[str]) -> set[str]:
    """Which of these tokens the report `report_id` revoked (on an earlier try of it)."""
    if report_id is None:
        return set()
    found: set[str] = set()
    for start in range(0, len(token_ids), LOOKUP_CHUNK):
        query = select(LeakEvent.token_id).where(
            LeakEvent.report_id == report_id,
            LeakEvent.revoked_now.is_(True),
            LeakEvent.token_id.in_(token_ids[start : start + LOOKUP_CHUNK]),
        )
        found.update(db.session.scalars(query))
    return found


def _tokens_with_event_at(location: Location, token_ids: list[str]) -> set[str]:
    """Which of these tokens already have an event at this location (one query per chunk)."""
    seen: set[str] = set()
    for start in range(0, len(token_ids), LOOKUP_CHUNK):
        query = select(LeakEvent.token_id).where(
            LeakEvent.location_key == location.key,
            LeakEvent.token_id.in_(token_ids[start : start + LOOKUP_CHUNK]),
        )
        seen.update(db.session.scalars(query))
    return seen


def _notify_owner(token: Token, location: Location, also_revoked: int = 0) -> None:
    """Queue the owner's mail: which token (name and last 4), where it leaked, what to do."""
    if not token.user.email:
        return
    where = _mail_where(location)
    made = (
        f" {also_revoked} token(s) made with it (created or rotated by it) were revoked too."
        if also_revoked
        else ""
    )
    body = (
        f'Your {token.kind.replace("_", " ")} "{token.name}" ({token.display_prefix}...'
        f"{token.last4}) was found leaked ({where}) and was revoked at "
        f"{token.revoked_at:%Y-%m-%d %H:%M:%S} UTC. It no longer works.{made}\n\n"
        f"{REPLACEMENT_HINT}\n"
    )
    mail.queue(
        token.user.email, f'tokenpatrol: your token "{token.name}" leaked and was revoked', body
    )


def _mail_where(location: Location) -> str:
    """Where it leaked, for the owner's mail: path, line and commit only. The repository and
    URL are the reporter's words and could point anywhere (phishing); the leaks page shows them
    as text."""
    parts = [
        f"{key} {value}"
        for key, value in _where(location).items()
        if key in MAIL_FIELDS and not LINK_LIKE.search(str(value))
    ]
    return ", ".join(parts) or "see your leaks page"


def _where(location: Location) -> dict[str, Any]:
    return {k: v for k, v in vars(location).items() if v is not None}


def _tokens_by_hash(hashes: Iterable[str]) -> dict[str, Token]:
    wanted = list(dict.fromkeys(hashes))
    found: dict[str, Token] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        query = select(Token).options(joinedload(Token.user)).where(Token.token_hash.in_(chunk))
        found.update((token.token_hash, token) for token in db.session.scalars(query))
    return found
