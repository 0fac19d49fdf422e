"""Leaks other platforms found: GitHub's secret scanning partner alerts and GitLab's Token
Revocation API. Both feed the one leak pipeline (`leaks.revoke`): the same revocation, event,
audit line, owner mail and lineage as a report from our own scanner, with the platform as the
source and the public URL as the location."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.services import leaks
from scanner import formats

GITHUB, GITLAB = "github", "gitlab"
GITLAB_TYPE_PREFIX = "gitleaks_rule_id_"  # GitLab joins the analyzer's identifier type and value


@dataclass(frozen=True)
class Match:
    token: str
    type: str
    url: str | None


@dataclass(frozen=True)
class Verdict:
    token_hash: str
    token_type: str
    ours: bool  # a token this service issued (live or dead): GitHub's true positive


def gitlab_types() -> list[str]:
    return [GITLAB_TYPE_PREFIX + formats.rule_id(fmt) for fmt in formats.REGISTRY]


def report(matches: Iterable[Match], source: str) -> list[Verdict]:
    """Revoke the live tokens among `matches`, one batch per place they were found."""
    matches = list(matches)
    outcome: dict[str, str] = {}
    for url in dict.fromkeys(match.url for match in matches):
        raws = list(dict.fromkeys(m.token for m in matches if m.url == url))
        for result in leaks.revoke(raws, leaks.Location(url=url), source, reporter=source):
            outcome[result.raw] = result.result
    return [
        Verdict(formats.token_hash(m.token), m.type, outcome.get(m.token, "unknown") != "unknown")
        for m in matches
    ]
