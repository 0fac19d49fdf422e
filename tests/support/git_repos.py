"""Real git repositories for end-to-end tests, driven by the `git` binary."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


def commit(repo: Path, name: str, text: str | None) -> str:
    """Write (or, with None, delete) one file and commit; the new commit's sha."""
    if text is None:
        git(repo, "rm", "-q", name)
    else:
        (repo / name).write_text(text)
        git(repo, "add", name)
    git(repo, "commit", "-qm", f"change {name}")
    return git(repo, "rev-parse", "HEAD")


HOOKS = Path(__file__).parents[2] / "hooks"


def bare_repository(path: Path) -> Path:
    """`git init --bare` a server repository at `path` (branch main)."""
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True, capture_output=True
    )
    return path


def install_hook(repository: Path, name: str) -> Path:
    """Copy hooks/NAME into a bare repository's own hooks/ directory, as a server admin does."""
    target = repository / "hooks" / name
    target.write_bytes((HOOKS / name).read_bytes())
    target.chmod(0o755)
    return target
