"""Scanner fixtures: real git repositories built with `git`, tokens, and ways to run `oi scan`.

Every scan runs offline (`--no-verify`, no service URL in the environment). Raw tokens are
`Secret`s, and what a scan printed is redacted before it goes into an assertion message, so a
failing test never shows a whole token.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from scanner import formats
from scanner.cli import main
from tests.support.secrets import Secret

AUTHOR_NAME = "Ada Lovelace"
AUTHOR_EMAIL = "ada@example.com"
SIGNING_KID = "k1"
SIGNING_KEY = b"scanner test signing key"
OFFLINE = ("--no-verify",)
OI = shutil.which("oi", path=str(Path(sys.executable).parent)) or shutil.which("oi") or "oi"

# When a hypothesis test fails, its pytest plugin imports libcst to suggest a patch; libcst imports
# the deprecated mypy_extensions.TypedDict, and with `filterwarnings = error` that warning turns
# the failure report into an INTERNALERROR. Import it once here with the warning silenced.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    with contextlib.suppress(Exception):
        importlib.import_module("hypothesis.extra._patching")

# Environment that could point the scanner at a service or a profile: never set in these tests.
_SERVICE_ENV = ("OPENINDEX_APP_URL", "OPENINDEX_TOKEN", "TOKENPATROL_SIGNING_KEYS")


# --- tokens -----------------------------------------------------------------------------------


def new_pat() -> Secret:
    """A fresh, valid personal access token."""
    return Secret(formats.PERSONAL_ACCESS_TOKEN.generate())


def new_invite() -> Secret:
    """A fresh, valid invite token."""
    return Secret(formats.INVITE_TOKEN.generate())


def api_payload(**extra: Any) -> dict[str, Any]:
    """A complete `oai_` payload (every field the registry requires)."""
    return {
        "v": formats.API_TOKEN_VERSION,
        "tid": "apt_" + secrets.token_hex(4),
        "sub": "acme/alice",
        "scope": "read",
        "iat": 1_700_000_000,
        "exp": None,
        "iss": "https://tokens.example",
        "n": secrets.token_hex(16),
        **extra,
    }


def new_api_token(**extra: Any) -> Secret:
    """A fresh, validly signed API token."""
    return Secret(formats.API_TOKEN.sign(api_payload(**extra), SIGNING_KID, SIGNING_KEY))


def all_kinds() -> dict[str, Secret]:
    """One fresh token of every registered kind, keyed by kind."""
    return {
        formats.PERSONAL_ACCESS_TOKEN.kind: new_pat(),
        formats.INVITE_TOKEN.kind: new_invite(),
        formats.API_TOKEN.kind: new_api_token(),
    }


def leaked(text: str, tokens: Iterable[str]) -> list[Secret]:
    """The raw tokens that occur in `text` (as redacted `Secret`s, safe to show)."""
    return [Secret(token) for token in tokens if token in text]


def findings_for(findings: Sequence[Mapping[str, Any]], token: str) -> list[Mapping[str, Any]]:
    """The findings whose fingerprint is the token's."""
    return [item for item in findings if item["fingerprint"] == formats.fingerprint(token)]


def fingerprints(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Sorted fingerprints of `findings` (a multiset, so duplicates show)."""
    return sorted(item["fingerprint"] for item in findings)


def expected(*tokens: str) -> list[str]:
    """Sorted fingerprints of `tokens`: what `fingerprints(findings)` should equal."""
    return sorted(formats.fingerprint(token) for token in tokens)


def same_path(reported: str, relative: str) -> bool:
    """True when `reported` names `relative` (relative, `./`-prefixed or absolute)."""
    want = Path(relative).parts
    return Path(reported).parts[-len(want) :] == want


# --- running the scanner ----------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ScanResult:
    """What one `oi` run returned and printed."""

    rc: int
    out: str
    err: str

    def __repr__(self) -> str:
        return f"ScanResult(rc={self.rc}, out=<{len(self.out)} chars>, err=<{len(self.err)} chars>)"

    @property
    def why(self) -> str:
        """Stdout and stderr, redacted and trimmed: safe for an assertion message."""
        text = (
            f"rc={self.rc}\n--- stdout ---\n{self.out[-3000:]}\n--- stderr ---\n{self.err[-3000:]}"
        )
        return formats.redact_text(text)

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.out)
        except ValueError:
            pytest.fail(f"stdout is not one JSON object\n{self.why}")
        assert isinstance(data, dict), self.why
        return data

    @property
    def findings(self) -> list[dict[str, Any]]:
        findings = self.json()["findings"]
        assert isinstance(findings, list), self.why
        return findings


@contextlib.contextmanager
def _working_directory(path: Path | None) -> Iterator[None]:
    before = Path.cwd()
    if path is not None:
        os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_main(args: Sequence[str], *, cwd: Path | None = None, stdin: bytes = b"") -> ScanResult:
    """`scanner.cli.main(args)` in-process with its own stdin/stdout/stderr and working directory.

    No pytest fixture involved, so hypothesis tests can call it once per example.
    """
    fake_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="surrogateescape")
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    fake_out = io.TextIOWrapper(out_bytes, encoding="utf-8", errors="backslashreplace")
    fake_err = io.TextIOWrapper(err_bytes, encoding="utf-8", errors="backslashreplace")
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, fake_err
    try:
        with _working_directory(cwd):
            try:
                rc = main(list(args))
            except SystemExit as done:
                code = done.code
                rc = code if isinstance(code, int) else (0 if code is None else 2)
        fake_out.flush()
        fake_err.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return ScanResult(
        rc,
        out_bytes.getvalue().decode("utf-8", "replace"),
        err_bytes.getvalue().decode("utf-8", "replace"),
    )


def run_oi(
    args: Sequence[str],
    *,
    cwd: Path,
    stdin: bytes = b"",
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
) -> ScanResult:
    """The `oi` console script as a subprocess (`env` is added to the inherited environment)."""
    done = subprocess.run(
        [OI, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return ScanResult(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def scan(*args: str, cwd: Path | None = None, stdin: bytes = b"") -> ScanResult:
    """`oi scan ARGS --no-verify` in-process."""
    return run_main(["scan", *args, *OFFLINE], cwd=cwd, stdin=stdin)


def scan_json(
    *args: str, cwd: Path | None = None, stdin: bytes = b""
) -> tuple[int, dict[str, Any]]:
    """`oi scan ARGS --format json --no-verify` in-process: (exit code, the parsed report)."""
    result = scan(*args, "--format", "json", cwd=cwd, stdin=stdin)
    assert result.rc in (0, 1), result.why
    return result.rc, result.json()


def scan_stdin(data: bytes, *args: str) -> ScanResult:
    """`oi scan - --format json --no-verify` on `data`."""
    return scan("-", "--format", "json", *args, stdin=data)


# --- git repositories -------------------------------------------------------------------------


@dataclass
class GitRepo:
    """A real repository in a temporary directory, driven by the `git` binary."""

    path: Path
    env: dict[str, str] = field(default_factory=dict)

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            check=False,
            env={**os.environ, **self.env, **(env or {})},
            timeout=120,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"git {' '.join(args)} failed ({done.returncode}):\n"
                + formats.redact_text(done.stderr.decode("utf-8", "replace"))
            )
        return done.stdout.decode("utf-8", "replace").strip()

    def write(self, name: str, content: str | bytes) -> Path:
        """Write `content` byte for byte (no newline translation) to `name` in the work tree."""
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return target

    def add(self, *names: str) -> None:
        if names:
            self.git("add", "--", *names)
        else:
            self.git("add", "-A")

    def commit(
        self,
        message: str = "change",
        *,
        author: str | None = None,
        date: str | None = None,
        add: bool = True,
    ) -> str:
        """Stage everything (unless `add=False`), commit, and return the new commit's SHA."""
        if add:
            self.add()
        env: dict[str, str] = {}
        if author is not None:
            env |= {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": f"{author}@example.com"}
        if date is not None:
            env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message, env=env)
        return self.rev()

    def commit_file(self, name: str, content: str | bytes, message: str = "change") -> str:
        self.write(name, content)
        return self.commit(message)

    def rev(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", "--verify", rev)


def init_repo(path: Path) -> GitRepo:
    """`git init` a fresh repository at `path` with a fixed identity and no signing."""
    path.mkdir(parents=True, exist_ok=True)
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    configure(repo)
    return repo


def configure(repo: GitRepo) -> None:
    for key, value in (
        ("user.name", AUTHOR_NAME),
        ("user.email", AUTHOR_EMAIL),
        ("commit.gpgsign", "false"),
        ("tag.gpgsign", "false"),
        ("core.autocrlf", "false"),
        ("gc.auto", "0"),
    ):
        repo.git("config", key, value)


def clone(source: GitRepo, target: Path, *args: str, url: bool = False) -> GitRepo:
    """`git clone ARGS source target` (as a `file://` URL if `url`), configured like `init_repo`."""
    where = source.path.as_uri() if url else str(source.path)
    subprocess.run(
        ["git", "clone", "-q", *args, where, str(target)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    repo = GitRepo(target)
    configure(repo)
    return repo


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _offline_and_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: Any) -> None:
    """No service URL, no user profile, no global or system git configuration."""
    for name in _SERVICE_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """A fresh, empty repository on branch `main` in `tmp_path / "repo"`."""
    return init_repo(tmp_path / "repo")


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[str], GitRepo]:
    """Factory for more repositories in the test's temporary directory."""
    return lambda name: init_repo(tmp_path / name)
