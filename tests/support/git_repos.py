"""Real git repositories for end-to-end tests, driven by the `git` binary."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner import formats

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


# Variables that would change what git or pre-commit do if the test run inherited them (for
# instance when pytest itself runs from a git hook).
SCRUBBED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "SKIP")


@dataclass(frozen=True)
class Run:
    """One command's exit status and its stdout and stderr, interleaved."""

    rc: int
    out: str

    @property
    def why(self) -> str:
        """The output, redacted and trimmed: safe for an assertion message."""
        return formats.redact_text(f"rc={self.rc}\n{self.out[-4000:]}")

    @property
    def remote_lines(self) -> list[str]:
        """After a `git push`: the server's hook lines, as the pusher reads them after
        `remote: `."""
        return [
            line.removeprefix("remote:").strip()
            for line in self.out.splitlines()
            if line.startswith("remote:")
        ]


def run(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> Run:
    """`args` with the caller's environment less SCRUBBED, plus `env`; no stdin."""
    merged = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    done = subprocess.run(
        list(args),
        cwd=cwd,
        env={**merged, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
        timeout=timeout,
    )
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"))
