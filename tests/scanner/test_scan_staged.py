"""`oi scan --staged`: judges what the next commit will hold (the index), not the work tree."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
