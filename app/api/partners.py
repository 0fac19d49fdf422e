"""Partner feeds: GitHub's secret scanning alerts and GitLab's Token Revocation API.

Thin: each endpoint proves who is calling (GitHub's signature, GitLab's shared secret) before
it reads the body, then hands the matches to `services.partner_feeds`.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, request

from app.api.leaks import per_address
from app.api.routing import operation
from app.errors import NotFound, Unauthenticated
from app.schemas import GithubAlert, GithubFeedback, GitlabRevocation, GitlabTokenTypes
from app.services import github_keys, partner_feeds

bp = Blueprint("partners", __name__)


def _signed_by_github() -> None:
    github_keys.verify(
        request.get_data(cache=True),
        request.headers.get("Github-Public-Key-Identifier"),
        request.headers.get("Github-Public-Key-Signature"),
    )


@operation(
    bp,
    "POST",
    "/api/v1/leaks/github",
    summary="GitHub secret scanning partner alert (signed by GitHub); answers GitHub's feedback",
    tag="leaks",
    response=list[GithubFeedback],
    body=GithubAlert,
    guard=_signed_by_github,
)
@per_address
def github_alert(body: GithubAlert) -> list[GithubFeedback]:
    matches = (partner_feeds.Match(m.token, m.type, m.url) for m in body.root)
    return [
        GithubFeedback(
            token_hash=verdict.token_hash,
            token_type=verdict.token_type,
            label="true_positive" if verdict.ours else "false_positive",
        )
        for verdict in partner_feeds.report(matches, partner_feeds.GITHUB)
    ]


def _called_by_gitlab() -> None:
    """GitLab sends the shared secret as `Authorization: Bearer S` or as `Authorization: S`."""
    expected = current_app.config["GITLAB_REVOCATION_TOKEN"]
    if not expected:
        raise NotFound("GitLab token revocation is off: set TOKENPATROL_GITLAB_REVOCATION_TOKEN")
    given = request.headers.get("Authorization", "").strip()
    if given[:7].lower() == "bearer ":
        given = given[7:].strip()
    if not hmac.compare_digest(given.encode(), str(expected).encode()):
        raise Unauthenticated("this is not GitLab's revocation token")


@operation(
    bp,
    "GET",
    "/api/v1/leaks/gitlab/revocable_token_types",
    summary="GitLab Token Revocation API: the token types this service revokes",
    tag="leaks",
    response=GitlabTokenTypes,
    guard=_called_by_gitlab,
)
def gitlab_token_types() -> GitlabTokenTypes:
    return GitlabTokenTypes(types=partner_feeds.gitlab_types())


@operation(
    bp,
    "POST",
    "/api/v1/leaks/gitlab/revoke_tokens",
    summary="GitLab Token Revocation API: revoke leaked tokens (idempotent)",
    tag="leaks",
    response=None,
    status=204,
    body=GitlabRevocation,
    guard=_called_by_gitlab,
)
@per_address
def gitlab_revoke(body: GitlabRevocation) -> None:
    matches = (partner_feeds.Match(m.token, m.type, m.location) for m in body.root)
    partner_feeds.report(matches, partner_feeds.GITLAB)
