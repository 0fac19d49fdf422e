"""`oi scan --staged`: judges what the next commit will hold (the index), not the work tree."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scanner import formats
from tests.scanner.conftest import (
    GitRepo,
    expected,
    fingerprints,
    leaked,
    new_api_token,
    new_invite,
    new_pat,
    run_oi,
    same_path,
    scan,
    scan_json,
)


def test_a_staged_token_is_found(git_repo: GitRepo) -> None:
    git_repo.commit_file("README.md", "hello\n")
    token = new_pat()
    git_repo.write("src/settings.py", f"import os\nTOKEN = '{token}'\n")
    git_repo.add("src/settings.py")

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 1
    [finding] = report["findings"]
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["kind"] == "personal_access_token"
    assert same_path(finding["path"], "src/settings.py"), finding["path"]
    assert finding["line"] == 2
    assert (finding["commit"], finding["author"], finding["date"]) == (None, None, None)
    assert finding["status"] == "unverified"


def test_staged_token_removed_from_the_work_tree_only_is_still_found(git_repo: GitRepo) -> None:
    """The commit would hold the staged version, whatever the work tree says now."""
    git_repo.commit_file("app.cfg", "key=\n")
    token = new_invite()
    git_repo.write("app.cfg", f"key={token}\n")
    git_repo.add("app.cfg")
    git_repo.write("app.cfg", "key=\n")

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)


def test_token_only_in_the_work_tree_is_not_reported(git_repo: GitRepo) -> None:
    """Unstaged edits and untracked files are not part of the commit."""
    git_repo.commit_file("app.cfg", "key=\n")
    git_repo.write("app.cfg", f"key={new_pat()}\n")
    git_repo.write("untracked.txt", f"{new_api_token()}\n")

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 0
    assert report["findings"] == []


def test_staged_clean_version_with_a_dirty_work_tree(git_repo: GitRepo) -> None:
    """Work tree has a token, index has the clean edit: nothing to report."""
    git_repo.commit_file("app.cfg", "key=\n")
    git_repo.write("app.cfg", "key=from-env\n")
    git_repo.add("app.cfg")
    git_repo.write("app.cfg", f"key={new_pat()}\n")

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 0
    assert report["findings"] == []


def test_line_numbers_come_from_the_staged_blob(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.write("f.txt", f"a\n{token}\n")
    git_repo.add("f.txt")
    git_repo.write("f.txt", f"x\ny\nz\na\n{token}\n")

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 1
    [finding] = report["findings"]
    assert finding["line"] == 2


def test_a_repository_without_any_commit(git_repo: GitRepo) -> None:
    """The very first commit: everything in the index is new."""
    token = new_api_token()
    git_repo.write("first.json", f'{{"token": "{token}"}}')
    git_repo.add("first.json")

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)


def test_an_empty_index_in_a_fresh_repository_is_clean(git_repo: GitRepo) -> None:
    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 0
    assert report["findings"] == []


def test_staging_the_deletion_of_a_leaked_file_does_not_block_the_commit(
    git_repo: GitRepo,
) -> None:
    git_repo.commit_file("leak.txt", f"{new_pat()}\n")
    git_repo.git("rm", "-q", "leak.txt")

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 0
    assert report["findings"] == []


def test_staged_binary_and_crlf_files(git_repo: GitRepo) -> None:
    binary, crlf = new_pat(), new_invite()
    git_repo.write("b.bin", b"\x00\x00" + binary.encode() + b"\x00\xff")
    git_repo.write("c.txt", f"one\r\ntwo={crlf}\r\n".encode())
    git_repo.add()

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(binary, crlf)
    lines = {item["fingerprint"]: item["line"] for item in report["findings"]}
    assert lines[formats.fingerprint(crlf)] == 2


def test_staged_scan_from_a_subdirectory_sees_the_whole_index(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.write("top.txt", f"{token}\n")
    (git_repo.path / "sub").mkdir()
    git_repo.add("top.txt")

    rc, report = scan_json("--staged", cwd=git_repo.path / "sub")

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)


def test_pre_commit_path_through_the_console_script(git_repo: GitRepo) -> None:
    """What the pre-commit hook runs: exit 1 and no raw token, in every format."""
    token = new_pat()
    git_repo.write("leak.py", f"T = '{token}'\n")
    git_repo.add("leak.py")

    for fmt in ("text", "json", "sarif"):
        result = run_oi(["scan", "--staged", "--no-verify", "--format", fmt], cwd=git_repo.path)
        assert result.rc == 1, result.why
        assert leaked(result.out + result.err, [token]) == [], fmt


def test_pre_commit_path_does_not_import_heavy_libraries(git_repo: GitRepo) -> None:
    """`oi scan --staged` never imports Flask, SQLAlchemy or GitPython."""
    git_repo.write("clean.txt", "nothing\n")
    git_repo.add("clean.txt")
    probe = textwrap.dedent(
        """
        import sys
        from scanner.cli import main
        rc = main(["scan", "--staged", "--no-verify", "--format", "json"])
        heavy = sorted(
            name for name in sys.modules
            if name.split(".")[0] in {"flask", "sqlalchemy", "git", "app", "werkzeug"}
        )
        print("HEAVY", rc, heavy, file=sys.stderr)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=git_repo.path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, formats.redact_text(done.stderr)
    assert "HEAVY 0 []" in done.stderr, formats.redact_text(done.stderr)


# --- `oi scan --staged FILE...`: the files the pre-commit framework passes ----------------------


def test_named_files_with_staged_changes_report_what_the_commit_adds(git_repo: GitRepo) -> None:
    """During a commit pre-commit names the staged files: each is judged by its staged content,
    less what HEAD already held there, and never by the work tree."""
    old, new, unstaged = new_pat(), new_invite(), new_api_token()
    git_repo.commit_file("app.cfg", f"old={old}\n")
    git_repo.write("app.cfg", f"old={old}\nnew={new}\n")
    git_repo.add("app.cfg")
    git_repo.write("app.cfg", f"old={old}\nnew={new}\nmore={unstaged}\n")

    rc, report = scan_json("--staged", "app.cfg", cwd=git_repo.path)

    assert rc == 1
    [finding] = report["findings"]
    assert (finding["fingerprint"], finding["path"], finding["line"]) == (
        formats.fingerprint(new),
        "app.cfg",
        2,
    )


def test_named_files_without_staged_changes_are_read_whole(git_repo: GitRepo) -> None:
    """`pre-commit run --all-files` and `--files` name files the index does not change: every
    token in them counts, as the work tree holds them (tracked, edited or untracked)."""
    tracked, edited, untracked, unnamed = new_pat(), new_invite(), new_api_token(), new_pat()
    git_repo.commit_file("legacy.py", f"T = '{tracked}'\n")
    git_repo.commit_file("notes.txt", "notes\n")
    git_repo.commit_file("other.txt", f"{unnamed}\n")
    git_repo.write("notes.txt", f"notes\n{edited}\n")
    git_repo.write("new/untracked.txt", f"{untracked}\n")

    rc, report = scan_json(
        "--staged", "legacy.py", "notes.txt", "new/untracked.txt", cwd=git_repo.path
    )

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(tracked, edited, untracked)
    where = {item["fingerprint"]: (item["path"], item["line"]) for item in report["findings"]}
    assert where[formats.fingerprint(tracked)] == ("legacy.py", 1)
    assert where[formats.fingerprint(edited)] == ("notes.txt", 2)
    assert where[formats.fingerprint(untracked)] == ("new/untracked.txt", 1)


def test_only_the_named_files_are_scanned(git_repo: GitRepo) -> None:
    git_repo.commit_file("README.md", "hello\n")
    named, other = new_pat(), new_pat()
    git_repo.write("a.txt", f"{named}\n")
    git_repo.write("b.txt", f"{other}\n")
    git_repo.add()

    rc, report = scan_json("--staged", "a.txt", cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(named)


def test_named_files_from_a_subdirectory_are_shown_as_the_index_names_them(
    git_repo: GitRepo,
) -> None:
    staged, tracked = new_pat(), new_invite()
    git_repo.commit_file("top.txt", f"{tracked}\n")
    git_repo.write("sub/f.txt", f"{staged}\n")
    git_repo.add("sub/f.txt")

    rc, report = scan_json("--staged", "f.txt", "../top.txt", cwd=git_repo.path / "sub")

    assert rc == 1
    shown = {item["fingerprint"]: item["path"] for item in report["findings"]}
    assert shown == {
        formats.fingerprint(staged): "sub/f.txt",
        formats.fingerprint(tracked): "top.txt",
    }


def test_named_files_honour_the_baseline(git_repo: GitRepo) -> None:
    accepted, fresh = new_pat(), new_pat()
    git_repo.commit_file("legacy.py", f"A = '{accepted}'\n")
    baseline = git_repo.path / ".oi-baseline"
    written = scan(
        "--staged", "legacy.py", "--baseline", str(baseline), "--update-baseline", cwd=git_repo.path
    )
    assert written.rc == 0, written.why
    git_repo.write("fresh.py", f"F = '{fresh}'\n")

    rc, report = scan_json(
        "--staged", "--baseline", str(baseline), "legacy.py", "fresh.py", cwd=git_repo.path
    )

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(fresh)


def test_a_named_link_is_not_followed(git_repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(f"{new_pat()}\n")
    git_repo.commit_file("README.md", "hello\n")
    (git_repo.path / "link.txt").symlink_to(outside)

    result = scan("--staged", "link.txt", "README.md", "--format", "json", cwd=git_repo.path)

    assert (result.rc, result.findings) == (0, []), result.why
    assert "link.txt is not a regular file" in result.err, result.why


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.txt", "no such file: missing.txt"),
        ("sub", "--staged FILE... names files, not directories: sub"),
    ],
)
def test_a_bad_file_name_is_one_error_line(git_repo: GitRepo, name: str, message: str) -> None:
    git_repo.commit_file("sub/f.txt", "hello\n")

    result = scan("--staged", name, cwd=git_repo.path)

    assert result.rc == 2, result.why
    assert result.err.strip().splitlines()[-1] == f"oi scan: error: {message}", result.why
    assert "Traceback" not in result.err


def test_named_files_through_the_console_script_print_no_raw_token(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.commit_file("legacy.py", f"T = '{token}'\n")

    for fmt in ("text", "json", "sarif"):
        result = run_oi(
            ["scan", "--staged", "--no-verify", "--format", fmt, "legacy.py"], cwd=git_repo.path
        )
        assert result.rc == 1, result.why
        assert formats.redact(token) in result.out or formats.fingerprint(token) in result.out
        assert leaked(result.out + result.err, [token]) == [], fmt
