"""bench/plant.py: the "where leaks hide" cases land where they say, and `oi scan` reports each
one on exactly the paths the case expects (what `bench/scan.py` checks every run)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scanner import detect

ROOT = Path(__file__).resolve().parents[2]
OI = shutil.which("oi", path=str(Path(sys.executable).parent)) or "oi"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def _load_plant() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_plant", ROOT / "bench" / "plant.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


plant = _load_plant()


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **IDENTITY},
        check=True,
    )
    return done.stdout


def _scan(repo: Path, *args: str) -> set[str]:
    done = subprocess.run(
        [OI, "scan", "--no-verify", "--format", "json", *args],
        cwd=repo,
        capture_output=True,
        env={name: value for name, value in os.environ.items() if "TOKENPATROL" not in name},
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr.decode("utf-8", "replace")[-300:]
    return {finding["fingerprint"] for finding in json.loads(done.stdout)["findings"]}


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for number in range(3):
        (repo / "module.py").write_text(f"VALUE = {number}\n")
        _git(repo, "add", "module.py")
        _git(repo, "commit", "-q", "-m", f"commit {number}")
    return repo


def _expected(cases: list[Any], scope: str) -> set[str]:
    return {case.fingerprint for case in cases if scope in case.expect}


def test_oi_scan_reports_every_case_on_the_paths_it_expects_and_never_a_must_not_case(
    repo: Path,
) -> None:
    cases = plant.plant(repo, 7, big_bytes=1 << 20)

    names = {case.name for case in cases}
    assert {"head", "deleted", "branch", "stash", "binary", "tag", "reflog", "dangling"} <= names
    assert {"utf16", "glued", "big", "recent"} <= names
    assert sum(case.lookalike for case in cases) == 3
    must_not = {case.fingerprint for case in cases if not case.expect}
    assert len(must_not) == 5  # the reflog-only commit, the dangling blob, three look-alikes
    assert _scan(repo, "--history") == _expected(cases, "history")
    assert _scan(repo, "--history", "--since", f"HEAD~{plant.RANGE_COMMITS}") == _expected(
        cases, "range"
    )
    assert _scan(repo, ".") == _expected(cases, "tree")
    assert _git(repo, "status", "--porcelain") == ""


def test_the_must_not_cases_are_where_only_a_reflog_or_the_object_store_reaches(
    repo: Path,
) -> None:
    plant.plant(repo, 8, big_bytes=1 << 20)

    reachable = set(_git(repo, "rev-list", "--objects", "--all").split())
    everything = set(
        _git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()
    )
    reflog = set(_git(repo, "rev-list", "--objects", "--reflog").split())
    assert everything - reachable - reflog, "no dangling object"
    assert reflog - reachable, "nothing reachable from the reflog only"
    assert _git(repo, "log", "-g", "--format=%gs", "refs/stash").count("WIP on main") == 1
    assert _git(repo, "branch", "--contains", "bench-rc1") == ""  # the tag's commit: no branch


def test_the_cases_file_keeps_fingerprints_and_never_a_token(repo: Path) -> None:
    cases = plant.plant(repo, 9, big_bytes=1 << 20)

    saved = (repo / ".git" / plant.CASES_FILE).read_bytes()
    assert plant.load_cases(repo) == cases
    assert not list(detect.find_tokens(saved))
    assert not re.search(rb"(oi_[a-z]{3}_|oai_)[0-9A-Za-z_-]{12}", saved)


def test_a_staged_case_is_what_the_staged_scan_reports_and_is_undone_afterwards(
    repo: Path,
) -> None:
    stored = set(_objects(repo))
    with plant.staged_case(repo, 10) as case:
        assert _scan(repo, "--staged") == {case.fingerprint}
        assert set(_objects(repo)) - stored, "git add wrote the staged blob"
    assert _git(repo, "status", "--porcelain") == ""
    assert _scan(repo, "--staged") == set()
    assert set(_objects(repo)) == stored  # no dangling blob left with the token


def _objects(repo: Path) -> list[str]:
    return _git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()
