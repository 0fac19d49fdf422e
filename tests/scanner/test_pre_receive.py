"""hooks/pre-receive on a git server: real bare repositories, real `git push`, and what the
pusher sees on their terminal (the hook's output, each line prefixed `remote:` by git)."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner import formats
from tests.scanner.conftest import OI, GitRepo, clone, leaked, new_pat, run_main
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.git_repos import HOOKS, Run, bare_repository, install_hook, run
from tests.support.live_server import LiveServer
from tests.support.secrets import Secret


@dataclass
class Server:
    """A bare server repository (`bare`) and a clone of it to push from (`work`)."""

    bare: Path
    work: GitRepo

    def install(self) -> None:
        install_hook(self.bare, "pre-receive")

    def config(self, key: str, value: str) -> None:
        subprocess.run(["git", "config", key, value], cwd=self.bare, check=True)

    def push(self, *args: str, env: Mapping[str, str] | None = None) -> Run:
        return run(["git", "push", "origin", *args], self.work.path, {"OI": OI, **(env or {})})

    def head(self, ref: str = "refs/heads/main") -> str | None:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", ref],
            cwd=self.bare,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() or None


@pytest.fixture
def server(tmp_path: Path) -> Server:
    """A server repository holding one clean commit on main, the hook installed."""
    bare = bare_repository(tmp_path / "server.git")
    work = clone(GitRepo(bare), tmp_path / "work")
    work.commit_file("README.md", "hello\n", "initial")
    work.git("push", "-q", "origin", "main")
    served = Server(bare, work)
    served.install()
    return served


def assert_refused_showing(pushed: Run, token: str, path: str, line: int, commit: str) -> None:
    assert pushed.rc != 0, pushed.why
    assert "tokenpatrol: push refused: the pushed commits add 1 token" in pushed.remote_lines
    [finding] = [text for text in pushed.remote_lines if text.startswith(f"{path}:{line}: ")]
    assert formats.redact(token) in finding, pushed.why
    assert f"commit {commit[:12]}" in finding, pushed.why
    assert not leaked(pushed.out, [token]), "the raw token reached the pusher's terminal"


def test_hook_script_is_executable_posix_sh() -> None:
    script = HOOKS / "pre-receive"
    assert script.read_text().startswith("#!/bin/sh\n")
    assert script.stat().st_mode & stat.S_IXUSR
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    tracked = subprocess.run(
        ["git", "ls-files", "--stage", "--", "hooks/pre-receive"],
        cwd=HOOKS.parent,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if tracked:  # once committed, git must record the executable bit too
        assert tracked.startswith("100755 "), tracked


def test_a_branch_whose_name_is_not_utf8_is_judged(server: Server) -> None:
    """git passes ref names as bytes; a server whose Python reads text strictly (a UTF-8
    locale other than C.UTF-8) must not refuse the push for it."""
    server.work.commit_file("clean.py", "VALUE = 1\n", "clean")
    name = b"refs/heads/caf\xe9".decode("utf-8", "surrogateescape")

    pushed = server.push(f"HEAD:{name}", env={"PYTHONIOENCODING": "utf-8:strict"})

    assert pushed.rc == 0, pushed.why
    assert pushed.remote_lines == []


def test_a_push_adding_a_token_is_refused_naming_file_line_and_commit(server: Server) -> None:
    before = server.head()
    token = new_pat()
    leak = server.work.commit_file("src/settings.py", f"# settings\nTOKEN = '{token}'\n", "leak")
    server.work.commit_file("src/app.py", "print('hi')\n", "app")

    pushed = server.push("main")

    assert_refused_showing(pushed, token, "src/settings.py", 2, leak)
    assert server.head() == before, "the push went through"
    assert any(line.startswith("tokenpatrol: hint: rewrite") for line in pushed.remote_lines)


def test_a_token_added_and_removed_again_inside_the_push_is_refused(server: Server) -> None:
    before = server.head()
    token = new_pat()
    leak = server.work.commit_file(".env", f"TOKEN={token}\n", "oops")
    server.work.commit_file(".env", "TOKEN=\n", "remove it again")

    pushed = server.push("main")

    assert_refused_showing(pushed, token, ".env", 1, leak)
    assert server.head() == before


def test_a_clean_push_goes_through(server: Server) -> None:
    for number in range(3):
        server.work.commit_file(f"src/module{number}.py", f"VALUE = {number}\n", "clean")

    pushed = server.push("main")

    assert pushed.rc == 0, pushed.why
    assert server.head() == server.work.rev()
    assert pushed.remote_lines == []


def test_new_branches_and_tags_are_judged(server: Server) -> None:
    server.work.git("switch", "-q", "-c", "feature")
    token = new_pat()
    leak = server.work.commit_file("feature.py", f"TOKEN = '{token}'\n", "feature")
    server.work.git("tag", "-a", "-m", "release", "v1.0")

    branch = server.push("feature")
    tag = server.push("v1.0")

    assert_refused_showing(branch, token, "feature.py", 1, leak)
    assert_refused_showing(tag, token, "feature.py", 1, leak)
    assert server.head("refs/heads/feature") is None
    assert server.head("refs/tags/v1.0") is None

    server.work.git("switch", "-q", "main")
    server.work.git("switch", "-q", "-c", "clean")
    server.work.commit_file("clean.py", "VALUE = 1\n", "clean")
    server.work.git("tag", "v1.1")
    passed = server.push("clean", "v1.1")
    assert passed.rc == 0, passed.why
    assert server.head("refs/tags/v1.1") == server.work.rev()


def test_a_branch_deletion_goes_through(tmp_path: Path) -> None:
    """Even of a branch whose commits hold a token (pushed before the hook was installed)."""
    bare = bare_repository(tmp_path / "server.git")
    work = clone(GitRepo(bare), tmp_path / "work")
    work.commit_file("README.md", "hello\n", "initial")
    work.git("switch", "-q", "-c", "leaky")
    work.commit_file("leak.txt", f"{new_pat()}\n", "leak")
    work.git("push", "-q", "origin", "main", "leaky")
    server = Server(bare, work)
    server.install()

    pushed = server.push("--delete", "leaky")

    assert pushed.rc == 0, pushed.why
    assert server.head("refs/heads/leaky") is None
    assert pushed.remote_lines == []


def test_what_the_server_already_had_is_not_reported_again(tmp_path: Path) -> None:
    """A token pushed before the hook was installed blocks neither later pushes on top of it,
    nor a new branch or tag on the commit that holds it."""
    bare = bare_repository(tmp_path / "server.git")
    work = clone(GitRepo(bare), tmp_path / "work")
    work.commit_file("legacy.py", f"TOKEN = '{new_pat()}'\n", "legacy")
    work.git("push", "-q", "origin", "main")
    server = Server(bare, work)
    server.install()

    work.commit_file("README.md", "hello\n", "readme")
    update = server.push("main")
    work.git("branch", "from-legacy", "HEAD~1")
    work.git("tag", "-a", "-m", "old", "v0.9", "HEAD~1")
    branch_and_tag = server.push("from-legacy", "v0.9")

    assert update.rc == 0, update.why
    assert branch_and_tag.rc == 0, branch_and_tag.why
    assert server.head() == work.rev()
    assert server.head("refs/tags/v0.9") is not None


def test_oi_allow_and_the_servers_baseline_are_honoured(server: Server, tmp_path: Path) -> None:
    accepted = new_pat()
    baseline = tmp_path / "baseline.json"
    baseline.write_text(f'{{"version": 1, "fingerprints": ["{formats.fingerprint(accepted)}"]}}\n')
    server.config("tokenpatrol.baseline", str(baseline))
    server.work.commit_file("example.py", f"EXAMPLE = '{new_pat()}'  # oi: allow\n", "example")
    server.work.commit_file("fixture.py", f"FIXTURE = '{accepted}'\n", "fixture")

    pushed = server.push("main")

    assert pushed.rc == 0, pushed.why
    assert server.head() == server.work.rev()


def _break_the_baseline(server: Server, tmp_path: Path) -> dict[str, str]:
    broken = tmp_path / "not-a-baseline.json"
    broken.write_text("[]\n")
    server.config("tokenpatrol.baseline", str(broken))
    return {}


def _lose_oi(server: Server, tmp_path: Path) -> dict[str, str]:
    return {"OI": str(tmp_path / "no-such-oi")}


FAILURES = {"scanner-fails": _break_the_baseline, "oi-missing": _lose_oi}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_push_that_cannot_be_scanned_is_refused_in_one_line(
    server: Server, tmp_path: Path, failure: str
) -> None:
    env = FAILURES[failure](server, tmp_path)
    before = server.head()
    token = new_pat()
    server.work.commit_file("settings.py", f"TOKEN = '{token}'\n", "leak")

    pushed = server.push("main", env=env)

    assert pushed.rc != 0, pushed.why
    assert server.head() == before
    [line] = pushed.remote_lines
    assert line.startswith("tokenpatrol: push refused: it could not be scanned: "), pushed.why
    assert not leaked(pushed.out, [token])


@pytest.mark.parametrize("failure", list(FAILURES))
def test_fail_open_lets_a_push_that_cannot_be_scanned_through(
    server: Server, tmp_path: Path, failure: str
) -> None:
    env = FAILURES[failure](server, tmp_path)
    server.config("tokenpatrol.failOpen", "true")
    server.work.commit_file("settings.py", "VALUE = 1\n", "clean")

    pushed = server.push("main", env=env)

    assert pushed.rc == 0, pushed.why
    assert server.head() == server.work.rev()
    [line] = pushed.remote_lines
    assert line.startswith("tokenpatrol: warning: push let through unscanned"), pushed.why


def test_pre_receive_by_hand_on_other_input_is_one_error_line(server: Server) -> None:
    result = run_main(["scan", "--pre-receive"], cwd=server.bare, stdin=b"not git's lines\n")

    assert result.rc == 2, result.why
    [line] = result.err.splitlines()
    assert line.startswith("tokenpatrol: push refused: it could not be scanned: --pre-receive")


def test_live_tokens_are_revoked_with_source_pre_receive(
    server: Server, live_server: LiveServer, http: Api
) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    live = Secret(http.create_token(key, name="deploy")["token"])
    leak = server.work.commit_file("deploy.sh", f"export TOKEN={live}\n", "deploy")

    pushed = server.push("main", env={"OPENINDEX_APP_URL": live_server.url})

    assert_refused_showing(pushed, live, "deploy.sh", 1, leak)
    assert any("[revoked_now]" in line for line in pushed.remote_lines), pushed.why
    assert http.call("GET", "/auth/check", live).status == 401
    events = http.call("GET", "/me/leaks", key).body
    where = {(e["tokenName"], e["source"], e["path"], e["line"], e["commit"]) for e in events}
    assert where == {("deploy", "pre-receive", "deploy.sh", 1, leak)}
    assert not leaked(live_server.log_text(), [live])


def test_a_push_holding_an_already_revoked_token_is_still_refused(
    server: Server, live_server: LiveServer, http: Api
) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    made = http.create_token(key, name="old")
    dead = Secret(made["token"])
    assert http.call("DELETE", f"/me/pats/{made['id']}", key).status in (200, 204)
    leak = server.work.commit_file("old.env", f"TOKEN={dead}\n", "old key")

    pushed = server.push("main", env={"OPENINDEX_APP_URL": live_server.url})

    assert_refused_showing(pushed, dead, "old.env", 1, leak)  # dead or not, it is a leak
    assert not any("[revoked_now]" in line for line in pushed.remote_lines), pushed.why
