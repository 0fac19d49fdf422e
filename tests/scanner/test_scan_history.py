"""`oi scan --history`: every blob reachable from every ref, once, with who introduced it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner import formats
from tests.scanner.conftest import (
    AUTHOR_NAME,
    GitRepo,
    clone,
    expected,
    findings_for,
    fingerprints,
    leaked,
    new_api_token,
    new_invite,
    new_pat,
    run_oi,
    scan,
    scan_json,
)
from tests.support.secrets import Secret

FULL_SHA = re.compile(r"[0-9a-f]{40}")


def history(repo: GitRepo, *args: str) -> tuple[int, list[dict[str, object]]]:
    rc, report = scan_json("--history", *args, cwd=repo.path)
    return rc, report["findings"]


def test_token_added_then_deleted_is_in_history_not_in_the_tree(git_repo: GitRepo) -> None:
    """The finding names the commit that added it, its author and date."""
    git_repo.commit_file("README.md", "hello\n", "init")
    token = new_pat()
    added = git_repo.commit_file("deploy/secret.env", f"# deploy\nTOKEN={token}\n", "add secret")
    git_repo.git("rm", "-q", "deploy/secret.env")
    git_repo.commit("remove secret")

    rc, findings = history(git_repo)

    assert rc == 1
    [finding] = findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["kind"] == "personal_access_token"
    assert finding["redacted"] == formats.redact(token)
    assert finding["path"] == "deploy/secret.env"
    assert finding["line"] == 2
    assert finding["commit"] == added
    assert finding["author"] == AUTHOR_NAME
    assert isinstance(finding["date"], str)
    datetime.fromisoformat(finding["date"])
    assert finding["status"] == "unverified"

    rc, report = scan_json(cwd=git_repo.path)
    assert rc == 0
    assert report["findings"] == []


def test_author_and_date_are_those_of_the_introducing_commit(git_repo: GitRepo) -> None:
    token = new_invite()
    git_repo.write("a.txt", f"{token}\n")
    introduced = git_repo.commit("leak", author="Grace Hopper", date="2024-03-01T12:30:00+02:00")
    git_repo.write("b.txt", "unrelated\n")
    git_repo.commit("later", author="Bob Later", date="2025-01-01T00:00:00+00:00")

    rc, findings = history(git_repo)

    assert rc == 1
    [finding] = findings
    assert finding["commit"] == introduced
    assert finding["author"] == "Grace Hopper"
    assert isinstance(finding["date"], str)
    assert datetime.fromisoformat(finding["date"]) == datetime(2024, 3, 1, 10, 30, tzinfo=UTC)


def test_token_on_a_branch_never_merged(git_repo: GitRepo) -> None:
    git_repo.commit_file("README.md", "hello\n")
    git_repo.git("switch", "-q", "-c", "experiment")
    token = new_api_token()
    on_branch = git_repo.commit_file("exp.py", f"KEY = '{token}'\n")
    git_repo.git("switch", "-q", "main")

    rc, findings = history(git_repo)

    assert rc == 1
    [finding] = findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["kind"] == "api_token"
    assert finding["commit"] == on_branch
    assert scan_json(cwd=git_repo.path)[0] == 0


@pytest.mark.parametrize("annotated", [False, True], ids=["lightweight", "annotated"])
def test_token_reachable_only_from_a_tag_on_a_detached_commit(
    git_repo: GitRepo, annotated: bool
) -> None:
    git_repo.commit_file("README.md", "hello\n")
    git_repo.git("switch", "-q", "--detach")
    token = new_pat()
    detached = git_repo.commit_file("release.cfg", f"token={token}\n", "release build")
    tag_args = ["-a", "-m", "release"] if annotated else []
    git_repo.git("tag", *tag_args, "v1.0-detached")
    git_repo.git("switch", "-q", "main")
    assert git_repo.git("branch", "--contains", detached) == ""

    rc, findings = history(git_repo)

    assert rc == 1
    [finding] = findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["commit"] == detached


def test_token_in_a_stash(git_repo: GitRepo) -> None:
    git_repo.commit_file("app.cfg", "key=\n")
    token = new_pat()
    git_repo.write("app.cfg", f"key={token}\n")
    git_repo.git("stash", "push", "-q")
    assert (git_repo.path / "app.cfg").read_text() == "key=\n"

    rc, findings = history(git_repo)

    assert rc == 1
    [finding] = findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["commit"] == git_repo.rev("stash@{0}")
    assert finding["path"] == "app.cfg"
    assert scan_json(cwd=git_repo.path)[0] == 0


def test_tokens_in_older_stash_entries_and_untracked_stashes(git_repo: GitRepo) -> None:
    """refs/stash names the newest entry only; the older ones and `-u` files count too."""
    git_repo.commit_file("app.cfg", "key=\n")
    older, untracked, newest = new_pat(), new_invite(), new_api_token()
    git_repo.write("app.cfg", f"key={older}\n")
    git_repo.git("stash", "push", "-q")
    git_repo.write("scratch.txt", f"{untracked}\n")
    git_repo.git("stash", "push", "-q", "--include-untracked")
    git_repo.write("app.cfg", f"key={newest}\n")
    git_repo.git("stash", "push", "-q")

    rc, findings = history(git_repo)

    assert rc == 1
    assert fingerprints(findings) == expected(older, untracked, newest)


def test_token_introduced_by_a_merge_resolution(git_repo: GitRepo) -> None:
    """A blob that only a merge commit adds (a conflict resolution) is traced to the merge."""
    git_repo.commit_file("cfg.txt", "key=base\n")
    git_repo.git("switch", "-q", "-c", "left")
    git_repo.commit_file("cfg.txt", "key=left\n")
    git_repo.git("switch", "-q", "main")
    git_repo.commit_file("cfg.txt", "key=right\n")
    merge = subprocess.run(
        ["git", "merge", "-q", "--no-edit", "left"],
        cwd=git_repo.path,
        capture_output=True,
        check=False,
    )
    assert merge.returncode != 0, "expected a conflict"
    token = new_pat()
    git_repo.write("cfg.txt", f"key={token}\n")
    merged = git_repo.commit("merge left")

    rc, findings = history(git_repo)

    assert rc == 1
    [finding] = findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["commit"] == merged
    assert finding["path"] == "cfg.txt"
    assert finding["author"] == AUTHOR_NAME


@pytest.mark.parametrize("how", ["--no-ff", "--ff-only", "--squash"])
def test_a_merged_branch_names_the_branch_commit(git_repo: GitRepo, how: str) -> None:
    """Merging carries the blob over; the finding still names the commit that wrote it."""
    git_repo.commit_file("README.md", "hello\n")
    git_repo.git("switch", "-q", "-c", "feature")
    token = new_api_token()
    written = git_repo.commit_file("feature.py", f"KEY = '{token}'\n", "feature")
    git_repo.git("switch", "-q", "main")
    git_repo.git("merge", "-q", how, "feature", *(["-m", "merge"] if how == "--no-ff" else []))
    if how == "--squash":
        git_repo.commit("squashed feature")
    git_repo.git("branch", "-D", "feature")

    rc, findings = history(git_repo)

    assert rc == 1
    [finding] = findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    if how == "--squash":  # the feature commit is gone: the squash commit introduced it
        assert finding["commit"] == git_repo.rev()
    else:
        assert finding["commit"] == written


def test_renamed_file_is_one_blob_found_once(git_repo: GitRepo) -> None:
    token = new_pat()
    first = git_repo.commit_file("old/name.txt", f"x\n{token}\n", "add")
    (git_repo.path / "new").mkdir()
    git_repo.git("mv", "old/name.txt", "new/name.txt")
    git_repo.commit("rename")
    git_repo.write("other.txt", "touch\n")
    git_repo.commit("unrelated")

    rc, findings = history(git_repo)

    assert rc == 1
    [finding] = findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["commit"] == first
    assert finding["path"] == "old/name.txt"
    assert finding["line"] == 2


def test_a_blob_kept_across_many_commits_and_branches_is_found_once(git_repo: GitRepo) -> None:
    token = new_invite()
    first = git_repo.commit_file("keep.txt", f"{token}\n")
    for index in range(5):
        git_repo.commit_file(f"n{index}.txt", f"{index}\n")
    git_repo.git("branch", "side", first)
    git_repo.git("tag", "old", first)
    git_repo.git("switch", "-q", "side")
    git_repo.commit_file("side.txt", "side\n")

    rc, findings = history(git_repo)

    assert rc == 1
    [finding] = findings
    assert finding["commit"] == first


def test_explicit_all_equals_the_default(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.commit_file("a.txt", f"{token}\n")
    git_repo.git("switch", "-q", "-c", "other")
    second = new_api_token()
    git_repo.commit_file("b.txt", f"{second}\n")
    git_repo.git("switch", "-q", "main")

    default_rc, default = history(git_repo)
    all_rc, everything = history(git_repo, "--all")

    assert default_rc == all_rc == 1
    assert fingerprints(default) == fingerprints(everything) == expected(token, second)


def test_remote_tracking_branches_are_scanned(make_repo: Callable[[str], GitRepo]) -> None:
    origin = make_repo("origin")
    origin.commit_file("README.md", "hello\n")
    mirror = clone(origin, origin.path.parent / "mirror")
    origin.git("switch", "-q", "-c", "feature")
    token = new_pat()
    on_feature = origin.commit_file("feature.txt", f"{token}\n")
    mirror.git("fetch", "-q", "origin")
    assert mirror.git("branch", "--list", "feature") == ""

    rc, findings = history(mirror)

    assert rc == 1
    [finding] = findings
    assert finding["commit"] == on_feature


def test_awkward_blobs_in_history(git_repo: GitRepo) -> None:
    """Binary, CRLF, no final newline, and a 1 MB single line, all committed and deleted."""
    binary, crlf, tail, huge = new_pat(), new_invite(), new_api_token(), new_pat()
    git_repo.write("b.bin", b"\x00\xff" * 100 + b"\x00" + binary.encode() + b"\x00" + b"\x01" * 9)
    git_repo.write("c.txt", f"one\r\ntwo\r\n{crlf}\r\n".encode())
    git_repo.write("t.txt", f"a\nb\n{tail}")
    half = "q" * 512 * 1024
    git_repo.write("big.min.js", f"{half} {huge} {half}")
    git_repo.commit("awkward")
    git_repo.git("rm", "-q", "b.bin", "c.txt", "t.txt", "big.min.js")
    git_repo.commit("cleanup")

    rc, findings = history(git_repo)

    assert rc == 1
    assert fingerprints(findings) == expected(binary, crlf, tail, huge)
    lines = {item["fingerprint"]: item["line"] for item in findings}
    assert lines[formats.fingerprint(crlf)] == 3
    assert lines[formats.fingerprint(tail)] == 3
    assert lines[formats.fingerprint(huge)] == 1


def test_allow_comment_works_in_history(git_repo: GitRepo) -> None:
    allowed, real = new_pat(), new_pat()
    git_repo.commit_file("t.py", f"A = '{allowed}'  # oi: allow\nB = '{real}'\n")

    rc, findings = history(git_repo)

    assert rc == 1
    assert fingerprints(findings) == expected(real)


# --- ranges -----------------------------------------------------------------------------------


def _three_commits(repo: GitRepo) -> tuple[list[str], list[str]]:
    tokens = [new_pat(), new_invite(), new_api_token()]
    commits = [repo.commit_file(f"f{i}.txt", f"{token}\n") for i, token in enumerate(tokens)]
    return commits, tokens


def test_a_range_scans_only_blobs_introduced_in_it(git_repo: GitRepo) -> None:
    (c1, c2, c3), (_t1, t2, t3) = _three_commits(git_repo)

    rc, findings = history(git_repo, f"{c1}..{c3}")
    assert rc == 1
    assert fingerprints(findings) == expected(t2, t3)
    assert {item["commit"] for item in findings} == {c2, c3}

    rc, findings = history(git_repo, f"{c2}..{c3}")
    assert rc == 1
    assert fingerprints(findings) == expected(t3)

    rc, findings = history(git_repo, f"{c1}..{c2}")
    assert rc == 1
    assert fingerprints(findings) == expected(t2)


def test_since_rev_equals_rev_dot_dot_head(git_repo: GitRepo) -> None:
    (c1, _c2, _c3), (_t1, t2, t3) = _three_commits(git_repo)

    rc, findings = history(git_repo, "--since", c1)

    assert rc == 1
    assert fingerprints(findings) == expected(t2, t3)


def test_a_range_without_new_tokens_is_clean(git_repo: GitRepo) -> None:
    token = new_pat()
    start = git_repo.commit_file("leak.txt", f"{token}\n")
    git_repo.commit_file("clean.txt", "nothing\n")

    rc, findings = history(git_repo, f"{start}..HEAD")

    assert rc == 0
    assert findings == []


def test_a_bad_revision_exits_2(git_repo: GitRepo) -> None:
    git_repo.commit_file("a.txt", "a\n")

    result = scan("--history", "no-such-rev..HEAD", "--format", "json", cwd=git_repo.path)

    assert result.rc == 2, result.why
    assert result.err.strip()


# --- degraded repositories --------------------------------------------------------------------


def test_shallow_clone_warns_on_stderr(make_repo: Callable[[str], GitRepo]) -> None:
    origin = make_repo("origin")
    old = new_pat()
    origin.commit_file("old.txt", f"{old}\n")
    origin.git("rm", "-q", "old.txt")
    origin.commit("remove")
    recent = new_invite()
    origin.commit_file("recent.txt", f"{recent}\n")
    shallow = clone(origin, origin.path.parent / "shallow", "--depth", "1", url=True)
    assert shallow.git("rev-parse", "--is-shallow-repository") == "true"

    result = scan("--history", "--format", "json", cwd=shallow.path)

    assert result.rc == 1, result.why
    assert "shallow" in result.err.lower(), result.why
    assert fingerprints(result.findings) == expected(recent)
    assert leaked(result.out + result.err, [old, recent]) == []


def _filtered_clone(
    make_repo: Callable[[str], GitRepo], name: str, filter_spec: str
) -> tuple[GitRepo, Secret]:
    """A clone of a history whose old token was deleted, made with `--filter=filter_spec`."""
    origin = make_repo("origin")
    origin.git("config", "uploadpack.allowFilter", "true")
    origin.commit_file("old.txt", f"{new_pat()}\n")
    origin.git("rm", "-q", "old.txt")
    origin.commit("remove")
    current = new_invite()
    origin.commit_file("current.txt", f"{current}\n")
    return clone(origin, origin.path.parent / name, f"--filter={filter_spec}", url=True), current


def test_partial_clone_warns_and_never_fetches(make_repo: Callable[[str], GitRepo]) -> None:
    """A blob:none clone lacks old blobs: a warning, the rest scanned, nothing fetched."""
    partial, current = _filtered_clone(make_repo, "partial", "blob:none")
    missing_before = _missing_objects(partial)
    assert missing_before, "the partial clone should lack the old blob"

    result = scan("--history", "--format", "json", cwd=partial.path)

    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(current)
    assert "missing" in result.err.lower() or "partial" in result.err.lower(), result.why
    assert _missing_objects(partial) == missing_before, "the scan fetched objects"


def test_treeless_clone_reports_what_it_can_read(make_repo: Callable[[str], GitRepo]) -> None:
    """A tree:0 clone lacks old trees: warn, still report the tokens it read, fetch nothing."""
    treeless, current = _filtered_clone(make_repo, "treeless", "tree:0")
    missing_before = _missing_objects(treeless)
    assert missing_before, "the treeless clone should lack the old trees"

    result = scan("--history", "--format", "json", cwd=treeless.path)

    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(current)
    assert result.err.strip(), "the missing objects deserve a warning"
    assert _missing_objects(treeless) == missing_before, "the scan fetched objects"


def _missing_objects(repo: GitRepo) -> list[str]:
    """Objects the repository lacks, listed without fetching them from the promisor."""
    listing = repo.git("rev-list", "--objects", "--all", "--missing=print")
    return sorted(line for line in listing.splitlines() if line.startswith("?"))


def test_history_from_a_subdirectory_scans_the_whole_repository(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.commit_file("top.txt", f"{token}\n")
    git_repo.commit_file("sub/inner.txt", "x\n")

    rc, report = scan_json("--history", cwd=git_repo.path / "sub")

    assert rc == 1
    [finding] = report["findings"]
    assert finding["path"] == "top.txt"


def _drop_loose_object(repo: GitRepo, sha: str) -> None:
    path = repo.path / ".git" / "objects" / sha[:2] / sha[2:]
    assert path.exists(), "expected a loose object"
    path.chmod(0o644)
    path.unlink()


def test_history_in_a_bare_repository(git_repo: GitRepo, tmp_path: Path) -> None:
    """A server's repository has no work tree: every ref, a range and --since work there."""
    git_repo.commit_file("README.md", "hello\n", "init")
    token = new_pat()
    added = git_repo.commit_file("config/prod.env", f"TOKEN={token}\n", "add secret")
    git_repo.commit_file("config/prod.env", "TOKEN=\n", "remove it")
    bare = clone(git_repo, tmp_path / "server.git", "--bare")

    rc, findings = history(bare)
    in_range = history(bare, f"{added}~1..{added}")
    since = history(bare, "--since", added)

    assert rc == 1
    [finding] = findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert (finding["path"], finding["line"], finding["commit"]) == ("config/prod.env", 1, added)
    assert fingerprints(in_range[1]) == expected(token)
    assert since == (0, [])


def test_a_missing_blob_is_a_warning_and_the_rest_is_scanned(git_repo: GitRepo) -> None:
    kept, lost = new_pat(), new_pat()
    git_repo.commit_file("kept.txt", f"{kept}\n")
    git_repo.commit_file("lost.txt", f"{lost}\n")
    lost_blob = git_repo.rev("HEAD:lost.txt")
    _drop_loose_object(git_repo, lost_blob)

    result = scan("--history", "--format", "json", cwd=git_repo.path)

    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(kept)
    assert result.err.strip(), "a missing blob is reported on stderr"
    assert "missing" in result.err.lower() or lost_blob[:7] in result.err, result.why


def test_a_history_scan_that_can_read_nothing_exits_2(git_repo: GitRepo) -> None:
    git_repo.commit_file("only.txt", f"{new_pat()}\n")
    _drop_loose_object(git_repo, git_repo.rev("HEAD:only.txt"))

    result = scan("--history", "--format", "json", cwd=git_repo.path)

    assert result.rc == 2, result.why
    assert result.err.strip()


# --- output -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_history_output_never_holds_a_raw_token(git_repo: GitRepo, fmt: str) -> None:
    tokens = [new_pat(), new_invite(), new_api_token()]
    git_repo.commit_file("a.txt", "\n".join(tokens) + "\n")
    git_repo.git("rm", "-q", "a.txt")
    git_repo.commit("remove")

    in_process = scan("--history", "--format", fmt, cwd=git_repo.path)
    console = run_oi(["scan", "--history", "--no-verify", "--format", fmt], cwd=git_repo.path)

    for result in (in_process, console):
        assert result.rc == 1, result.why
        assert leaked(result.out + result.err, tokens) == []


def test_history_text_names_commit_and_author(git_repo: GitRepo) -> None:
    token = new_pat()
    commit = git_repo.commit_file("x.txt", f"{token}\n")

    result = scan("--history", "--format", "text", cwd=git_repo.path)

    assert result.rc == 1, result.why
    assert commit[:7] in result.out
    assert AUTHOR_NAME in result.out
    assert "x.txt" in result.out


def test_history_sarif_location(git_repo: GitRepo) -> None:
    token = new_api_token()
    git_repo.commit_file("cfg/prod.yaml", f"a: 1\nkey: {token}\n")

    result = scan("--history", "--format", "sarif", cwd=git_repo.path)

    assert result.rc == 1, result.why
    [run] = result.json()["runs"]
    [sarif_result] = run["results"]
    location = sarif_result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("cfg/prod.yaml")
    assert location["region"]["startLine"] == 2


def test_history_baseline_round_trip(git_repo: GitRepo, tmp_path: Path) -> None:
    old = new_pat()
    git_repo.commit_file("old.txt", f"{old}\n")
    baseline = tmp_path / "history-baseline.json"

    update = scan("--history", "--update-baseline", "--baseline", str(baseline), cwd=git_repo.path)
    assert update.rc in (0, 1), update.why
    assert leaked(baseline.read_text(), [old]) == []

    rc, findings = history(git_repo, "--baseline", str(baseline))
    assert rc == 0
    assert findings == []

    new = new_api_token()
    git_repo.commit_file("new.txt", f"{new}\n")
    rc, findings = history(git_repo, "--baseline", str(baseline))
    assert rc == 1
    assert fingerprints(findings) == expected(new)
    assert findings_for(findings, old) == []
    assert all(FULL_SHA.fullmatch(str(item["commit"])) for item in findings)
