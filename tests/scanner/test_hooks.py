"""The hooks people install: the pre-commit framework's `tokenpatrol` hook and the plain git
hooks in hooks/, each run by real git (or real pre-commit) in throwaway repositories.

The framework tests let pre-commit build the hook's own virtualenv from this checkout (it
pip-installs the repository and its dependencies, from PyPI). `pre-commit try-repo` always
builds in a throwaway store of its own; `pre-commit install` builds once per session in one
PRE_COMMIT_HOME (which also keeps the tests out of the user's ~/.cache/pre-commit).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner import formats
from tests.scanner.conftest import (
    OI,
    GitRepo,
    init_repo,
    leaked,
    new_api_token,
    new_invite,
    new_pat,
)
from tests.support.git_repos import SCRUBBED, Run, run
from tests.support.secrets import Secret

REPO_ROOT = Path(__file__).parents[2]
HOOKS = REPO_ROOT / "hooks"
ZERO_SHA = "0" * 40

# The first framework run builds a virtualenv and pip-installs the project with its
# dependencies: give it room.
PRE_COMMIT_TIMEOUT = 1200


def oi_env() -> dict[str, str]:
    """Point the plain hooks at the `oi` of the environment under test."""
    assert Path(OI).is_file(), f"no `oi` console script found (got {OI!r})"
    return {"OI": OI}


def install_hooks(repo: GitRepo, tmp_path: Path, *names: str) -> Path:
    """Copy hooks/NAME into a directory and make it the repository's core.hooksPath."""
    hooks_dir = tmp_path / f"hooks-for-{repo.path.name}"
    hooks_dir.mkdir(exist_ok=True)
    for name in names:
        shutil.copy2(HOOKS / name, hooks_dir / name)
    repo.git("config", "core.hooksPath", str(hooks_dir))
    return hooks_dir


def fake_oi(tmp_path: Path, rc: int) -> tuple[Path, Path]:
    """An `oi` stand-in that records its arguments (one per line, one run per block)."""
    log = tmp_path / "fake-oi.log"
    script = tmp_path / "fake-oi"
    script.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{log}"\necho "--" >> "{log}"\nexit {rc}\n'
    )
    script.chmod(0o755)
    return script, log


def fake_runs(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    blocks = log.read_text().split("--\n")
    return [block.splitlines() for block in blocks if block]


def assert_shows_only_redacted(result: Run, token: str) -> None:
    assert not leaked(result.out, [token]), "the raw token reached the hook's output"
    assert formats.redact(token) in result.out, result.why


# --- the scripts themselves -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pre-commit", "pre-push"])
def test_hook_scripts_are_executable_posix_sh(name: str) -> None:
    script = HOOKS / name
    assert script.read_text().startswith("#!/bin/sh\n")
    assert script.stat().st_mode & stat.S_IXUSR, f"hooks/{name} is not executable"
    syntax = run(["sh", "-n", str(script)], cwd=REPO_ROOT)
    assert syntax.rc == 0, syntax.why
    header = script.read_text()
    assert "core.hooksPath" in header and f"cp hooks/{name} .git/hooks/{name}" in header
    tracked = subprocess.run(
        ["git", "ls-files", "--stage", "--", f"hooks/{name}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if tracked:  # once committed, git must record the executable bit too
        assert tracked.startswith("100755 "), tracked


# --- the pre-commit framework -----------------------------------------------------------------


@pytest.fixture(scope="session")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as one commit (repository path, sha) that pre-commit can clone.

    `pre-commit try-repo` on a dirty checkout clones HEAD plus changes to tracked files only,
    so files not yet added to git would be missing from the hook's install. A snapshot of
    every file git does not ignore (tracked or not, as they are on disk) tests the hook
    exactly as checked out, under one fixed sha for every run.
    """
    clean_env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        env=clean_env,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "surrogateescape")
    snapshot = tmp_path_factory.mktemp("hook-source")
    for name in filter(None, listing.split("\0")):
        source = REPO_ROOT / name
        if not (source.is_file() or source.is_symlink()):
            continue  # deleted in the work tree
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.name", "tokenpatrol tests"],
        ["config", "user.email", "tests@example.com"],
        ["config", "commit.gpgsign", "false"],
        ["add", "-A"],
        ["commit", "-q", "--no-verify", "-m", "snapshot of the checkout under test"],
    ):
        subprocess.run(["git", *args], cwd=snapshot, env=clean_env, capture_output=True, check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=snapshot,
        env=clean_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return snapshot, sha


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the session (`try-repo` ignores it and uses a temporary one)."""
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.fail("pre-commit is not installed: it belongs in the test extra")
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(args: Sequence[str], cwd: Path, home: Path) -> Run:
    return run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env={"PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"},
        timeout=PRE_COMMIT_TIMEOUT,
    )


def try_repo(source: tuple[Path, str], cwd: Path, home: Path) -> Run:
    repo, sha = source
    return pre_commit(
        ["try-repo", str(repo), "tokenpatrol", "--ref", sha, "--verbose", "--color", "never"],
        cwd,
        home,
    )


@pytest.mark.timeout(PRE_COMMIT_TIMEOUT + 60)
def test_pre_commit_framework_blocks_a_staged_token(
    git_repo: GitRepo, hook_source: tuple[Path, str], pre_commit_home: Path
) -> None:
    git_repo.commit_file("README.md", "hello\n", "initial")
    token = new_pat()
    git_repo.write("src/settings.py", f"import os\nAPI_TOKEN = '{token}'\n")
    git_repo.add("src/settings.py")

    result = try_repo(hook_source, git_repo.path, pre_commit_home)

    assert result.rc == 1, result.why
    assert "tokenpatrol" in result.out and "Failed" in result.out, result.why
    assert "settings.py" in result.out, result.why
    assert_shows_only_redacted(result, token)
    assert git_repo.git("diff", "--cached", "--name-only") == "src/settings.py"


@pytest.mark.timeout(PRE_COMMIT_TIMEOUT + 60)
def test_pre_commit_framework_passes_a_clean_change(
    git_repo: GitRepo, hook_source: tuple[Path, str], pre_commit_home: Path
) -> None:
    git_repo.commit_file("README.md", "hello\n", "initial")
    git_repo.write("src/settings.py", "import os\nAPI_TOKEN = os.environ['API_TOKEN']\n")
    git_repo.add("src/settings.py")

    result = try_repo(hook_source, git_repo.path, pre_commit_home)

    assert result.rc == 0, result.why
    assert "Passed" in result.out, result.why


@pytest.mark.timeout(PRE_COMMIT_TIMEOUT + 60)
def test_pre_commit_install_blocks_git_commit(
    git_repo: GitRepo, hook_source: tuple[Path, str], pre_commit_home: Path
) -> None:
    """The way users run it: .pre-commit-config.yaml, `pre-commit install`, `git commit`."""
    repo, sha = hook_source
    git_repo.commit_file(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {repo}\n    rev: {sha}\n    hooks:\n      - id: tokenpatrol\n",
        "use tokenpatrol",
    )
    installed = pre_commit(["install"], git_repo.path, pre_commit_home)
    assert installed.rc == 0, installed.why
    env = {"PRE_COMMIT_HOME": str(pre_commit_home), "PRE_COMMIT_COLOR": "never"}
    head = git_repo.rev()
    token = new_pat()
    git_repo.write("deploy.sh", f"#!/bin/sh\ncurl -H 'Authorization: Bearer {token}' ...\n")
    git_repo.add("deploy.sh")

    blocked = run(
        ["git", "commit", "-m", "add deploy script"],
        git_repo.path,
        env,
        timeout=PRE_COMMIT_TIMEOUT,
    )

    assert blocked.rc != 0, blocked.why
    assert git_repo.rev() == head
    assert_shows_only_redacted(blocked, token)

    git_repo.write("deploy.sh", '#!/bin/sh\ncurl -H "Authorization: Bearer $TOKEN" ...\n')
    git_repo.add("deploy.sh")
    passed = run(["git", "commit", "-m", "add deploy script"], git_repo.path, env)
    assert passed.rc == 0, passed.why
    assert git_repo.rev("HEAD~1") == head


def use_tokenpatrol(repo: GitRepo, source: tuple[Path, str], *args: str) -> None:
    """Commit a .pre-commit-config.yaml that names this checkout's `tokenpatrol` hook."""
    path, sha = source
    config = f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n      - id: tokenpatrol\n"
    if args:
        config += f"        args: [{', '.join(args)}]\n"
    repo.commit_file(".pre-commit-config.yaml", config, "use tokenpatrol")


@pytest.fixture
def leaky_history(git_repo: GitRepo) -> tuple[GitRepo, Secret, Secret]:
    """Two tracked files that hold a token each (committed past any hook), one clean file."""
    legacy, notes = new_pat(), new_api_token()
    git_repo.commit_file("legacy.py", f"import os\nTOKEN = '{legacy}'\n", "legacy")
    git_repo.commit_file("docs/notes.md", f"# Notes\n\nsecret{notes}\n", "notes")
    git_repo.commit_file("clean.txt", "nothing here\n", "clean")
    return git_repo, legacy, notes


def oi_baseline(repo: GitRepo, *files: str) -> None:
    """`.oi-baseline` accepting every token in `files`, written by `oi scan` itself."""
    written = run(
        [OI, "scan", "--no-verify", "--baseline", ".oi-baseline", "--update-baseline", *files],
        repo.path,
    )
    assert written.rc == 0, written.why


@pytest.mark.timeout(PRE_COMMIT_TIMEOUT + 60)
def test_pre_commit_run_all_files_reports_every_token_in_tracked_files(
    leaky_history: tuple[GitRepo, Secret, Secret],
    hook_source: tuple[Path, str],
    pre_commit_home: Path,
) -> None:
    repo, legacy, notes = leaky_history
    use_tokenpatrol(repo, hook_source)

    result = pre_commit(["run", "--all-files"], repo.path, pre_commit_home)

    assert result.rc == 1, result.why
    assert "Failed" in result.out and "legacy.py" in result.out, result.why
    assert "docs/notes.md" in result.out, result.why
    assert_shows_only_redacted(result, legacy)
    assert_shows_only_redacted(result, notes)


@pytest.mark.timeout(PRE_COMMIT_TIMEOUT + 60)
def test_pre_commit_run_all_files_honours_the_baseline(
    leaky_history: tuple[GitRepo, Secret, Secret],
    hook_source: tuple[Path, str],
    pre_commit_home: Path,
) -> None:
    repo, legacy, notes = leaky_history
    oi_baseline(repo, "legacy.py")
    use_tokenpatrol(repo, hook_source, "--baseline", ".oi-baseline")

    one_left = pre_commit(["run", "--all-files"], repo.path, pre_commit_home)

    assert one_left.rc == 1, one_left.why
    assert formats.redact(legacy) not in one_left.out, one_left.why
    assert_shows_only_redacted(one_left, notes)

    oi_baseline(repo, "legacy.py", "docs/notes.md")
    repo.commit("accept both", add=True)
    none_left = pre_commit(["run", "--all-files"], repo.path, pre_commit_home)
    assert none_left.rc == 0 and "Passed" in none_left.out, none_left.why


@pytest.mark.timeout(PRE_COMMIT_TIMEOUT + 60)
def test_pre_commit_run_files_checks_the_files_named(
    leaky_history: tuple[GitRepo, Secret, Secret],
    hook_source: tuple[Path, str],
    pre_commit_home: Path,
) -> None:
    repo, legacy, notes = leaky_history
    use_tokenpatrol(repo, hook_source)

    named = pre_commit(["run", "--files", "legacy.py", "clean.txt"], repo.path, pre_commit_home)
    clean = pre_commit(["run", "--files", "clean.txt"], repo.path, pre_commit_home)

    assert named.rc == 1 and "legacy.py" in named.out, named.why
    assert "notes.md" not in named.out and formats.redact(notes) not in named.out, named.why
    assert_shows_only_redacted(named, legacy)
    assert clean.rc == 0 and "Passed" in clean.out, clean.why


@pytest.mark.timeout(PRE_COMMIT_TIMEOUT + 60)
def test_pre_commit_at_commit_time_judges_what_the_commit_adds(
    leaky_history: tuple[GitRepo, Secret, Secret],
    hook_source: tuple[Path, str],
    pre_commit_home: Path,
) -> None:
    """A commit that edits a file whose token HEAD already holds goes through (the hook judges
    what the commit adds; `--all-files` still reports the old token); one adding a token is
    stopped, naming only the new one."""
    repo, legacy, _notes = leaky_history
    use_tokenpatrol(repo, hook_source)
    installed = pre_commit(["install"], repo.path, pre_commit_home)
    assert installed.rc == 0, installed.why
    env = {"PRE_COMMIT_HOME": str(pre_commit_home), "PRE_COMMIT_COLOR": "never"}
    repo.write("legacy.py", f"import os\nTOKEN = '{legacy}'\nDEBUG = False\n")
    repo.add("legacy.py")

    edited = run(["git", "commit", "-m", "debug off"], repo.path, env, timeout=PRE_COMMIT_TIMEOUT)
    assert edited.rc == 0, edited.why

    audit = pre_commit(["run", "--all-files"], repo.path, pre_commit_home)
    assert audit.rc == 1, audit.why
    assert_shows_only_redacted(audit, legacy)

    head = repo.rev()
    fresh = new_invite()
    repo.write("legacy.py", f"import os\nTOKEN = '{legacy}'\nDEBUG = False\nINVITE={fresh}\n")
    repo.add("legacy.py")
    blocked = run(["git", "commit", "-m", "invite"], repo.path, env, timeout=PRE_COMMIT_TIMEOUT)
    assert blocked.rc != 0 and repo.rev() == head, blocked.why
    assert_shows_only_redacted(blocked, fresh)
    assert formats.redact(legacy) not in blocked.out, blocked.why


# --- hooks/pre-commit (plain git) -------------------------------------------------------------


@pytest.fixture
def committing(git_repo: GitRepo, tmp_path: Path) -> GitRepo:
    """A repository with one clean commit and hooks/pre-commit as its pre-commit hook."""
    git_repo.commit_file("README.md", "hello\n", "initial")
    install_hooks(git_repo, tmp_path, "pre-commit")
    return git_repo


def git_commit(repo: GitRepo, *args: str, env: Mapping[str, str] | None = None) -> Run:
    return run(["git", "commit", "-m", "change", *args], repo.path, env or oi_env())


def test_plain_pre_commit_blocks_a_staged_token(committing: GitRepo) -> None:
    head = committing.rev()
    token = new_pat()
    committing.write("config/app.ini", f"[service]\ntoken = {token}\n")
    committing.add("config/app.ini")

    result = git_commit(committing)

    assert result.rc != 0, result.why
    assert committing.rev() == head, "the commit went through"
    assert committing.git("diff", "--cached", "--name-only") == "config/app.ini"
    assert "config/app.ini" in result.out, result.why
    assert_shows_only_redacted(result, token)


def test_plain_pre_commit_lets_a_clean_commit_through(committing: GitRepo) -> None:
    head = committing.rev()
    committing.write("config/app.ini", "[service]\ntoken = ${SERVICE_TOKEN}\n")
    committing.add("config/app.ini")

    result = git_commit(committing)

    assert result.rc == 0, result.why
    assert committing.rev("HEAD~1") == head


def test_plain_pre_commit_judges_what_commit_a_would_hold(committing: GitRepo) -> None:
    """`git commit -a` stages tracked changes into a temporary index just for the hook."""
    committing.commit_file("settings.py", "TOKEN = None\n", "settings")
    head = committing.rev()
    token = new_pat()
    committing.write("settings.py", f"TOKEN = '{token}'\n")  # modified, not staged

    result = git_commit(committing, "-a")

    assert result.rc != 0, result.why
    assert committing.rev() == head
    assert_shows_only_redacted(result, token)


def test_plain_pre_commit_judges_a_commit_of_named_paths(committing: GitRepo) -> None:
    """`git commit PATH` commits the work tree's PATH through a temporary index."""
    committing.commit_file("settings.py", "TOKEN = None\n", "settings")
    head = committing.rev()
    token = new_pat()
    committing.write("settings.py", f"TOKEN = '{token}'\n")

    result = git_commit(committing, "--", "settings.py")

    assert result.rc != 0, result.why
    assert committing.rev() == head
    assert_shows_only_redacted(result, token)


@pytest.mark.parametrize("rc", [0, 1, 2])
def test_plain_pre_commit_runs_oi_scan_staged_and_passes_its_status_on(
    committing: GitRepo, tmp_path: Path, rc: int
) -> None:
    script, log = fake_oi(tmp_path, rc)
    head = committing.rev()
    committing.write("notes.txt", "notes\n")
    committing.add("notes.txt")

    result = git_commit(committing, env={"OI": str(script)})

    assert fake_runs(log) == [["scan", "--staged"]]
    assert (result.rc == 0) == (rc == 0), result.why
    assert (committing.rev() != head) == (rc == 0)


def test_plain_pre_commit_without_oi_blocks_the_commit(committing: GitRepo, tmp_path: Path) -> None:
    head = committing.rev()
    committing.write("notes.txt", "notes\n")
    committing.add("notes.txt")

    result = git_commit(committing, env={"OI": str(tmp_path / "no-such-oi")})

    assert result.rc != 0, result.why
    assert committing.rev() == head
    assert "not found" in result.out, result.why


# --- hooks/pre-push ---------------------------------------------------------------------------


@dataclass
class Pushing:
    """A working repository whose `origin` is a bare repository, hooks/pre-push installed."""

    repo: GitRepo
    remote: GitRepo

    def push(self, *args: str, env: Mapping[str, str] | None = None) -> Run:
        return run(["git", "push", "origin", *args], self.repo.path, env or oi_env())

    def remote_head(self, branch: str = "main") -> str | None:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
            cwd=self.remote.path,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() or None


@pytest.fixture
def pushing(tmp_path: Path) -> Pushing:
    remote_path = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote_path)], check=True)
    repo = init_repo(tmp_path / "work")
    repo.git("remote", "add", "origin", str(remote_path))
    install_hooks(repo, tmp_path, "pre-push")
    return Pushing(repo, GitRepo(remote_path))


def test_pre_push_lets_clean_commits_through(pushing: Pushing) -> None:
    pushing.repo.commit_file("README.md", "hello\n", "initial")
    first = pushing.push("main")
    assert first.rc == 0, first.why
    assert pushing.remote_head() == pushing.repo.rev()

    pushing.repo.commit_file("src/app.py", "print('hi')\n", "app")
    second = pushing.push("main")
    assert second.rc == 0, second.why
    assert pushing.remote_head() == pushing.repo.rev()


def test_pre_push_refuses_a_commit_holding_a_token(pushing: Pushing) -> None:
    pushing.repo.commit_file("README.md", "hello\n", "initial")
    assert pushing.push("main").rc == 0
    before = pushing.remote_head()
    token = new_pat()
    pushing.repo.commit_file("src/settings.py", f"TOKEN = '{token}'\n", "settings")

    result = pushing.push("main")

    assert result.rc != 0, result.why
    assert pushing.remote_head() == before, "the push went through"
    assert "settings.py" in result.out, result.why
    assert_shows_only_redacted(result, token)


def test_pre_push_finds_a_token_removed_again_before_the_push(pushing: Pushing) -> None:
    pushing.repo.commit_file("README.md", "hello\n", "initial")
    assert pushing.push("main").rc == 0
    before = pushing.remote_head()
    token = new_pat()
    pushing.repo.commit_file("src/settings.py", f"TOKEN = '{token}'\n", "oops")
    pushing.repo.commit_file("src/settings.py", "TOKEN = None\n", "remove the token again")

    result = pushing.push("main")

    assert result.rc != 0, result.why
    assert pushing.remote_head() == before
    assert_shows_only_redacted(result, token)


def test_pre_push_refuses_a_first_push_whose_root_commit_holds_a_token(pushing: Pushing) -> None:
    token = new_pat()
    pushing.repo.commit_file(".env", f"TOKEN={token}\n", "initial")
    pushing.repo.commit_file("README.md", "hello\n", "readme")

    result = pushing.push("main")

    assert result.rc != 0, result.why
    assert pushing.remote_head() is None
    assert_shows_only_redacted(result, token)


def test_pre_push_scans_a_new_branch(pushing: Pushing) -> None:
    pushing.repo.commit_file("README.md", "hello\n", "initial")
    assert pushing.push("main").rc == 0
    pushing.repo.git("checkout", "-q", "-b", "feature")
    token = new_pat()
    pushing.repo.commit_file("feature.py", f"TOKEN = '{token}'\n", "feature")

    refused = pushing.push("feature")
    assert refused.rc != 0, refused.why
    assert pushing.remote_head("feature") is None
    assert_shows_only_redacted(refused, token)

    pushing.repo.git("checkout", "-q", "main")
    pushing.repo.git("checkout", "-q", "-b", "clean-feature")
    pushing.repo.commit_file("feature.py", "TOKEN = None\n", "clean feature")
    passed = pushing.push("clean-feature")
    assert passed.rc == 0, passed.why
    assert pushing.remote_head("clean-feature") == pushing.repo.rev()


def test_pre_push_scans_only_what_the_remote_does_not_have(pushing: Pushing) -> None:
    """A token already on the remote (pushed past the hook) does not block later pushes."""
    token = new_pat()
    pushing.repo.commit_file("legacy.py", f"TOKEN = '{token}'\n", "legacy")
    assert pushing.push("--no-verify", "main").rc == 0

    pushing.repo.commit_file("README.md", "hello\n", "readme")
    update = pushing.push("main")
    assert update.rc == 0, update.why

    pushing.repo.git("checkout", "-q", "-b", "feature")
    pushing.repo.commit_file("feature.py", "print('feature')\n", "feature")
    new_branch = pushing.push("feature")
    assert new_branch.rc == 0, new_branch.why
    assert pushing.remote_head("feature") == pushing.repo.rev()


def test_pre_push_lets_a_deletion_through(pushing: Pushing) -> None:
    pushing.repo.commit_file("README.md", "hello\n", "initial")
    assert pushing.push("main").rc == 0
    pushing.repo.git("checkout", "-q", "-b", "leaky")
    pushing.repo.commit_file("leak.txt", f"{new_pat()}\n", "leak")
    assert pushing.push("--no-verify", "leaky").rc == 0

    result = pushing.push("--delete", "leaky")

    assert result.rc == 0, result.why
    assert pushing.remote_head("leaky") is None


def test_pre_push_over_commits_never_fetched(pushing: Pushing, tmp_path: Path) -> None:
    """A force push whose remote tip this clone never saw: scan what the clone adds."""
    pushing.repo.commit_file("README.md", "hello\n", "initial")
    assert pushing.push("main").rc == 0
    other = init_repo(tmp_path / "other")
    other.git("pull", "-q", str(pushing.remote.path), "main")
    other.commit_file("other.txt", "someone else's work\n", "other")
    other.git("push", "-q", str(pushing.remote.path), "main")
    token = new_pat()
    pushing.repo.commit_file("mine.py", f"TOKEN = '{token}'\n", "mine")

    refused = pushing.push("--force", "main")
    assert refused.rc != 0, refused.why
    assert pushing.remote_head() == other.rev()
    assert_shows_only_redacted(refused, token)

    pushing.repo.commit_file("mine.py", "TOKEN = None\n", "fix")
    pushing.repo.git("reset", "-q", "--soft", "HEAD~2")
    pushing.repo.commit("mine, clean", add=False)
    passed = pushing.push("--force", "main")
    assert passed.rc == 0, passed.why
    assert pushing.remote_head() == pushing.repo.rev()


def test_pre_push_asks_oi_for_exactly_the_pushed_commits(pushing: Pushing, tmp_path: Path) -> None:
    script, log = fake_oi(tmp_path, 0)
    env = {"OI": str(script)}
    first = pushing.repo.commit_file("README.md", "hello\n", "initial")
    assert pushing.push("main", env=env).rc == 0
    second = pushing.repo.commit_file("a.txt", "a\n", "a")
    assert pushing.push("main", env=env).rc == 0
    pushing.repo.git("checkout", "-q", "-b", "feature")
    third = pushing.repo.commit_file("b.txt", "b\n", "b")
    assert pushing.push("feature", env=env).rc == 0
    assert pushing.push("--delete", "feature", env=env).rc == 0

    assert fake_runs(log) == [
        ["scan", "--history", first],  # first push: the whole history
        ["scan", "--history", f"{first}..{second}"],  # update: old tip..new tip
        ["scan", "--history", third, f"^{second}"],  # new branch: minus what origin has
    ]


@pytest.mark.parametrize("rc", [1, 2])
def test_pre_push_refuses_when_a_scan_fails(pushing: Pushing, tmp_path: Path, rc: int) -> None:
    script, _log = fake_oi(tmp_path, rc)
    pushing.repo.commit_file("README.md", "hello\n", "initial")

    result = pushing.push("main", env={"OI": str(script)})

    assert result.rc != 0, result.why
    assert pushing.remote_head() is None


def test_pre_push_without_oi_refuses_the_push(pushing: Pushing, tmp_path: Path) -> None:
    pushing.repo.commit_file("README.md", "hello\n", "initial")

    result = pushing.push("main", env={"OI": str(tmp_path / "no-such-oi")})

    assert result.rc != 0, result.why
    assert "not found" in result.out, result.why
    assert pushing.remote_head() is None
