"""The CI templates in hooks/ci: both YAML files run scan-push.sh on the pushed range and keep
the SARIF report; scan-push.sh itself, run with `sh` against real repositories and a real
service, fails the job on a live leak (revoking it) and passes clean or dead-token pushes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner import formats
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.git_repos import commit, git
from tests.support.live_server import LiveServer
from tests.support.secrets import Secret

CI_DIR = Path(__file__).resolve().parents[2] / "hooks" / "ci"
SCRIPT = CI_DIR / "scan-push.sh"
SARIF = "tokenpatrol.sarif"
ZEROS = "0" * 40
CLEAN_TEXT = "print('hello')\n"


# -- the templates --------------------------------------------------------------------------


def installs_the_pinned_source(script: str) -> bool:
    """`pip install "$TOKENPATROL_SOURCE"`, never a bare name from a package index."""
    installs = [line for line in script.splitlines() if "pip install" in line]
    return bool(installs) and all('"$TOKENPATROL_SOURCE"' in line for line in installs)


def load(name: str) -> Any:
    with (CI_DIR / name).open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def test_github_workflow_scans_the_push_and_uploads_sarif() -> None:
    workflow = load("github-actions.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    assert workflow["permissions"]["security-events"] == "write"
    (job,) = workflow["jobs"].values()
    steps = job["steps"]

    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert any(str(s.get("uses", "")).startswith("actions/setup-python@") for s in steps)
    (install,) = [s for s in steps if "pip install" in s.get("run", "")]
    assert installs_the_pinned_source(install["run"])
    assert "TOKENPATROL_SOURCE" in install["env"]["TOKENPATROL_SOURCE"]

    (scan,) = [s for s in steps if "scan-push.sh" in s.get("run", "")]
    env = scan["env"]
    assert env["BEFORE"].replace(" ", "") == "${{github.event.before}}"
    assert env["AFTER"].replace(" ", "") == "${{github.sha}}"
    assert "github.ref" in env["REF"]
    assert "OPENINDEX_APP_URL" in env["OPENINDEX_APP_URL"]
    assert env.get("TOKENPATROL_SARIF", SARIF) == SARIF
    words = scan["run"].split()
    assert words[0] == "sh" and words[1].endswith("/scan-push.sh"), words
    assert words[2:] == ['"$BEFORE"', '"$AFTER"', '"$REF"'], words

    (upload,) = [s for s in steps if "upload-sarif" in str(s.get("uses", ""))]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == SARIF
    assert "always()" in upload["if"]
    assert steps.index(upload) > steps.index(scan)


def test_gitlab_job_scans_the_push_and_keeps_sarif() -> None:
    pipeline = load("gitlab-ci.yml")
    job = pipeline["tokenpatrol"]
    assert str(job["variables"]["GIT_DEPTH"]) == "0"
    assert job["variables"].get("TOKENPATROL_SARIF", SARIF) == SARIF
    (install,) = [line for line in job["before_script"] if "pip install" in line]
    assert installs_the_pinned_source(install)
    (line,) = [line for line in job["script"] if "scan-push.sh" in line]
    words = line.split()
    assert words[0] == "sh" and words[1].endswith("/scan-push.sh"), words
    assert words[2] == '"$CI_COMMIT_BEFORE_SHA"' and words[3] == '"$CI_COMMIT_SHA"', words
    assert "CI_COMMIT_REF_NAME" in words[4], words
    assert job["artifacts"]["when"] == "always"
    assert SARIF in job["artifacts"]["paths"]


def test_scan_push_is_posix_sh() -> None:
    done = subprocess.run(["sh", "-n", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert SCRIPT.read_text().startswith("#!/bin/sh\n")


# -- scan-push.sh against real repositories -------------------------------------------------


def new_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "remote", "add", "origin", "https://git.example/acme/app.git")
    return path


def oi_directory(tmp_path: Path) -> str:
    """The directory of the installed `oi`, or of a stand-in that runs the module."""
    script = shutil.which("oi")
    if script:
        return str(Path(script).parent)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "oi").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m scanner.cli "$@"\n')
    (bin_dir / "oi").chmod(0o755)
    return str(bin_dir)


def scan_push(
    repo: Path, *args: str, app_url: str | None, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """`sh scan-push.sh ARGS` in `repo`, as a CI job runs it: CI=true, `oi` on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OPENINDEX_", "TOKENPATROL_", "GITHUB_", "GITLAB_", "CI_", "OI"))
    }
    env["PATH"] = os.pathsep.join([oi_directory(tmp_path), env.get("PATH", "/usr/bin:/bin")])
    env["CI"] = "true"
    if app_url is not None:
        env["OPENINDEX_APP_URL"] = app_url
    return subprocess.run(
        ["sh", str(SCRIPT), *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def sarif_results(repo: Path) -> list[dict[str, Any]]:
    document = json.loads((repo / SARIF).read_text(encoding="utf-8"))
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    assert run["tool"]["driver"]["name"] == "tokenpatrol"
    results: list[dict[str, Any]] = run["results"]
    return results


def fingerprints(results: list[dict[str, Any]]) -> set[str]:
    return {result["partialFingerprints"]["tokenFingerprint/v1"] for result in results}


def assert_no_raw_token(texts: list[str], tokens: list[str]) -> None:
    joined = "\n".join(texts)
    for token in tokens:
        assert (token in joined) is False, Secret(token)


def is_live(http: Api, token: str) -> bool:
    status = http.call("GET", "/auth/check", token).status
    assert status in (200, 401), status
    return status == 200


def test_push_with_a_live_token_fails_and_revokes_it(
    live_server: LiveServer, http: Api, tmp_path: Path
) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    earlier = Secret(http.create_token(key, name="earlier")["token"])
    pushed = Secret(http.create_token(key, name="deploy")["token"])

    repo = new_repo(tmp_path / "repo")
    commit(repo, "old.env", f"TOKEN={earlier}\n")  # before the push: not this job's to scan
    before = commit(repo, "app.py", CLEAN_TEXT)
    leak_commit = commit(repo, "settings.py", f"TOKEN = '{pushed}'\n")
    after = commit(repo, "settings.py", None)  # deleted again: still in the pushed range

    done = scan_push(
        repo, before, after, "refs/heads/main", app_url=live_server.url, tmp_path=tmp_path
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert is_live(http, pushed) is False
    assert is_live(http, earlier) is True
    assert "LIVE LEAK" in done.stdout and formats.redact(pushed) in done.stdout
    assert "revoked now" in done.stdout and leak_commit[:12] in done.stdout

    results = sarif_results(repo)
    assert fingerprints(results) == {formats.fingerprint(pushed)}
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "settings.py"
    )
    assert results[0]["properties"]["commit"] == leak_commit

    events = http.call("GET", "/me/leaks", key).body
    assert {(e["tokenName"], e["commit"], e["source"]) for e in events} == {
        ("deploy", leak_commit, "ci")
    }
    assert_no_raw_token(
        [done.stdout, done.stderr, (repo / SARIF).read_text(), live_server.log_text()],
        [earlier, pushed],
    )


def test_clean_push_passes(live_server: LiveServer, http: Api, tmp_path: Path) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    earlier = Secret(http.create_token(key, name="earlier")["token"])
    repo = new_repo(tmp_path / "repo")
    before = commit(repo, "old.env", f"TOKEN={earlier}\n")
    commit(repo, "app.py", CLEAN_TEXT)
    after = commit(repo, "README.md", "# app\n")

    done = scan_push(
        repo, before, after, "refs/heads/main", app_url=live_server.url, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sarif_results(repo) == []
    assert is_live(http, earlier) is True
    assert_no_raw_token([done.stdout, done.stderr], [earlier])


def test_push_whose_only_token_is_already_revoked_passes(
    live_server: LiveServer, http: Api, tmp_path: Path
) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    dead = http.create_token(key, name="old")
    assert http.call("DELETE", f"/me/pats/{dead['id']}", key).status in (200, 204)
    token = Secret(dead["token"])

    repo = new_repo(tmp_path / "repo")
    before = commit(repo, "app.py", CLEAN_TEXT)
    after = commit(repo, "notes.txt", f"the old one: {token}\n")

    done = scan_push(
        repo, before, after, "refs/heads/main", app_url=live_server.url, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert fingerprints(sarif_results(repo)) == {formats.fingerprint(token)}
    assert formats.redact(token) in done.stdout and ": revoked" in done.stdout
    assert "LIVE LEAK" not in done.stdout
    assert_no_raw_token([done.stdout, done.stderr, (repo / SARIF).read_text()], [token])


def test_new_branch_is_scanned_minus_the_other_branches(
    live_server: LiveServer, http: Api, tmp_path: Path
) -> None:
    """BEFORE all zeros: only what no other remote branch holds; with no REF, everything."""
    key = http.create_account(ROOT_KEY, "acme", "alice")
    on_main = Secret(http.create_token(key, name="on-main")["token"])
    dead = http.create_token(key, name="old")
    http.call("DELETE", f"/me/pats/{dead['id']}", key)

    repo = new_repo(tmp_path / "repo")
    main = commit(repo, "old.env", f"TOKEN={on_main}\n")
    git(repo, "checkout", "-q", "-b", "feature")
    feature = commit(repo, "notes.txt", f"{dead['token']}\n")
    # What a full CI clone holds: every branch of the remote, the new one included.
    git(repo, "update-ref", "refs/remotes/origin/main", main)
    git(repo, "update-ref", "refs/remotes/origin/feature", feature)

    done = scan_push(
        repo, ZEROS, feature, "refs/heads/feature", app_url=live_server.url, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert fingerprints(sarif_results(repo)) == {formats.fingerprint(dead["token"])}
    assert is_live(http, on_main) is True  # main's history is not this push's

    # The pushed ref unknown: the whole history of the commit, main's live token included.
    done = scan_push(repo, ZEROS, feature, app_url=live_server.url, tmp_path=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert fingerprints(sarif_results(repo)) == {
        formats.fingerprint(dead["token"]),
        formats.fingerprint(on_main),
    }
    assert is_live(http, on_main) is False

    # Nothing new: the commit is already on another branch.
    git(repo, "update-ref", "refs/remotes/origin/release", feature)
    done = scan_push(repo, ZEROS, feature, "feature", app_url=live_server.url, tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing new" in done.stderr
    assert sarif_results(repo) == []


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def shallow_clone(tmp_path: Path) -> tuple[Path, str, str, Secret]:
    """An upstream whose middle commit adds a token that the last one deletes, cloned with
    depth 1: the token's blob is not in the clone. Returns (clone, BEFORE, AFTER, token)."""
    upstream = new_repo(tmp_path / "upstream")
    before = commit(upstream, "app.py", CLEAN_TEXT)
    token = Secret(formats.PERSONAL_ACCESS_TOKEN.generate())
    commit(upstream, "settings.py", f"TOKEN = '{token}'\n")
    after = commit(upstream, "settings.py", None)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", upstream.as_uri(), str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    return clone, before, after, token


def test_shallow_clone_is_deepened_before_the_scan(tmp_path: Path) -> None:
    """Also the service-down path: the finding is `unverified`, which fails the job."""
    clone, before, after, token = shallow_clone(tmp_path)
    done = scan_push(
        clone, before, after, "refs/heads/main", app_url=closed_port_url(), tmp_path=tmp_path
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert git(clone, "rev-parse", "--is-shallow-repository") == "false"
    assert "LIVE LEAK" in done.stdout and "unverified" in done.stdout
    assert fingerprints(sarif_results(clone)) == {formats.fingerprint(token)}
    assert_no_raw_token([done.stdout, done.stderr, (clone / SARIF).read_text()], [token])


def test_shallow_clone_that_cannot_be_deepened_is_an_error(tmp_path: Path) -> None:
    clone, before, after, _token = shallow_clone(tmp_path)
    git(clone, "remote", "set-url", "origin", (tmp_path / "gone").as_uri())
    done = scan_push(
        clone, before, after, "refs/heads/main", app_url=closed_port_url(), tmp_path=tmp_path
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "fetch-depth: 0" in done.stderr
    assert not (clone / SARIF).exists()


@pytest.mark.parametrize("missing", ["oi", "commit"])
def test_errors_exit_2(missing: str, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    after = commit(repo, "app.py", CLEAN_TEXT)
    if missing == "oi":
        env_oi = tmp_path / "no-such-oi"
        done = subprocess.run(
            ["sh", str(SCRIPT), ZEROS, after],
            cwd=repo,
            env={**os.environ, "OI": str(env_oi)},
            capture_output=True,
            text=True,
            check=False,
        )
    else:
        done = scan_push(repo, ZEROS, "f" * 40, app_url=None, tmp_path=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("tokenpatrol: ")


def test_names_and_authors_from_the_push_cannot_drive_the_terminal(
    live_server: LiveServer, http: Api, tmp_path: Path
) -> None:
    """Red-team finding 11: the script printed paths and authors from the push raw."""
    key = http.create_account(ROOT_KEY, "acme", "alice")
    dead = http.create_token(key, name="old")
    assert http.call("DELETE", f"/me/pats/{dead['id']}", key).status in (200, 204)
    repo = new_repo(tmp_path / "repo")
    before = commit(repo, "app.py", CLEAN_TEXT)
    after = commit(repo, "evil\x1b]0;pwned\x07.txt", f"{Secret(dead['token'])}\n")
    done = scan_push(
        repo, before, after, "refs/heads/main", app_url=live_server.url, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "evil\\x1b]0;pwned\\x07.txt" in done.stdout, done.stdout
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout
