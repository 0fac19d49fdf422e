"""What adopting the pre-commit hook costs: the first `pre-commit run` of the `tokenpatrol` hook
(a fresh PRE_COMMIT_HOME, so pre-commit builds the hook's environment) next to Yelp's
detect-secrets hook, built the same way in the same run.

Usage: python bench/hook_install.py DETECT_SECRETS_REPO [--rounds N] [--rev REV]

DETECT_SECRETS_REPO is a local clone of github.com/Yelp/detect-secrets (any git repository
pre-commit can fetch from: a path works). Both hooks are installed from local repositories (this
checkout at HEAD, or --rev), so no time goes to cloning over a network. pip's cache is a
temporary folder of this run, warmed by one round that is not counted, so both hooks download
nothing in the counted rounds and the figures measure the install itself. Rounds alternate
tokenpatrol / detect-secrets; the table gives the median time and the environment's size
(PRE_COMMIT_HOME after the run), and the ratio tokenpatrol / detect-secrets of both.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_output import note, print_table

REPO = Path(__file__).resolve().parents[1]
STAGED_TEXT = "print('hello')\n"


class Hook(NamedTuple):
    label: str
    repo: Path
    rev: str
    hook_id: str


class Sample(NamedTuple):
    seconds: float
    megabytes: float


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("detect_secrets", type=Path, help="a local clone of Yelp/detect-secrets")
    parser.add_argument("--rounds", type=int, default=3, help="counted rounds of each (3)")
    parser.add_argument("--rev", default="HEAD", help="the tokenpatrol revision to install")
    return parser.parse_args(argv)


def head_of(repo: Path, rev: str = "HEAD") -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", rev], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def is_hook_repository(repo: Path) -> bool:
    """A git repository (bare or not) whose HEAD holds a .pre-commit-hooks.yaml."""
    probe = ["git", "-C", str(repo), "cat-file", "-e", "HEAD:.pre-commit-hooks.yaml"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def pre_commit_command() -> list[str]:
    script = shutil.which("pre-commit")
    return [script] if script else [sys.executable, "-m", "pre_commit"]


def make_project(workdir: Path, hook: Hook) -> Path:
    """A git repository with one staged file and a committed config that uses only `hook`
    (committed: detect-secrets would flag the revision's hex in a staged config)."""
    project = workdir / f"project-{hook.label}"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    config = (
        f"repos:\n  - repo: {hook.repo}\n    rev: {hook.rev}\n"
        f"    hooks:\n      - id: {hook.hook_id}\n"
    )
    (project / ".pre-commit-config.yaml").write_text(config)
    git = ["git", "-C", str(project), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "add", ".pre-commit-config.yaml"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "config"], check=True)
    (project / "hello.py").write_text(STAGED_TEXT)
    subprocess.run([*git, "add", "hello.py"], check=True)
    return project


def first_run(project: Path, pip_cache: Path, workdir: Path) -> Sample:
    """One first `pre-commit run`: a fresh PRE_COMMIT_HOME, so the environment is built."""
    home = Path(tempfile.mkdtemp(prefix="pre-commit-home-", dir=workdir))
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_CACHE_DIR": str(pip_cache)}
    env.pop("VIRTUAL_ENV", None)
    started = time.perf_counter()
    done = subprocess.run(
        [*pre_commit_command(), "run"], cwd=project, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pre-commit run failed in {project.name}:\n{done.stdout[-2000:]}")
    megabytes = folder_bytes(home) / 1e6
    shutil.rmtree(home, ignore_errors=True)
    return Sample(seconds, megabytes)


def folder_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def rows(samples: dict[str, list[Sample]], ours: str, theirs: str) -> list[list[str]]:
    table = []
    for label, taken in samples.items():
        seconds = statistics.median(s.seconds for s in taken)
        megabytes = statistics.median(s.megabytes for s in taken)
        table.append([label, f"{seconds:.2f} s", f"{megabytes:.1f} MB", str(len(taken))])
    time_ratio = median_ratio(samples[ours], samples[theirs], 0)
    size_ratio = median_ratio(samples[ours], samples[theirs], 1)
    table.append([f"{ours} / {theirs}", f"{time_ratio:.2f}x", f"{size_ratio:.2f}x", ""])
    return table


def median_ratio(ours: list[Sample], theirs: list[Sample], field: int) -> float:
    """The median of the round-by-round ratios (each pair ran back to back)."""
    return statistics.median(a[field] / b[field] for a, b in zip(ours, theirs, strict=True))


def main(argv: list[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    theirs = options.detect_secrets.resolve()
    if not is_hook_repository(theirs):
        print(f"error: {theirs} is not a git clone of detect-secrets", file=sys.stderr)
        return 2
    hooks = [
        Hook("tokenpatrol", REPO, head_of(REPO, options.rev), "tokenpatrol"),
        Hook("detect-secrets", theirs, head_of(theirs), "detect-secrets"),
    ]
    with tempfile.TemporaryDirectory(prefix="tokenpatrol-hook-install-") as scratch:
        workdir = Path(scratch)
        pip_cache = workdir / "pip-cache"
        projects = {hook.label: make_project(workdir, hook) for hook in hooks}
        note("warming pip's cache (one round each, not counted)")
        for project in projects.values():
            first_run(project, pip_cache, workdir)
        samples: dict[str, list[Sample]] = {hook.label: [] for hook in hooks}
        for round_number in range(options.rounds):
            for label, project in projects.items():
                samples[label].append(first_run(project, pip_cache, workdir))
            note(f"round {round_number + 1}/{options.rounds} done")
    print_table(
        "First `pre-commit run` (fresh PRE_COMMIT_HOME, warm pip cache), medians",
        ["hook", "time", "environment size", "rounds"],
        rows(samples, "tokenpatrol", "detect-secrets"),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
