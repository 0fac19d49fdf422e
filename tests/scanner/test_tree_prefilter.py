"""`oi scan PATH` in a repository lets `git grep` say which files may hold a token: what it
rules out is counted but never read, and nothing the scanned repository configures (its
attributes, its colours) can make it rule out a file that holds one."""

from __future__ import annotations

import pytest

from tests.scanner.conftest import (
    GitRepo,
    expected,
    fingerprints,
    new_api_token,
    new_pat,
    scan_json,
)


def _utf16(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


def test_files_without_a_prefix_still_count_as_scanned(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.commit_file("clean.py", "print('hello')\n")
    git_repo.commit_file("also_clean.md", "# nothing here\n")
    git_repo.write("untracked.env", f"TOKEN={token}\n")

    rc, report = scan_json("--no-verify", cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)
    assert report["summary"]["scanned"] == 3


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_found_whatever_the_attributes_say(
    git_repo: GitRepo, encoding: str
) -> None:
    """`diff` in .gitattributes makes git take any file for text; the search still reads it."""
    token = new_api_token()
    git_repo.commit_file(".gitattributes", "* diff\n")
    git_repo.commit_file("notes.txt", _utf16(f"key = {token}\r\n", encoding))

    rc, report = scan_json("--no-verify", cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)


def test_the_repository_s_colour_settings_cannot_hide_a_file(git_repo: GitRepo) -> None:
    """Coloured file names would match no listed file: git is told to print them plain."""
    token = new_pat()
    git_repo.git("config", "color.ui", "always")
    git_repo.git("config", "color.grep", "always")
    git_repo.commit_file("settings.py", f"TOKEN = '{token}'\n")

    rc, report = scan_json("--no-verify", cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)


def test_a_subdirectory_scanned_from_inside_it(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.commit_file("sub/deep/leak.txt", f"{token}\n")
    git_repo.commit_file("outside.txt", f"{new_pat()}\n")

    rc, report = scan_json("--no-verify", ".", cwd=git_repo.path / "sub")

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)
    assert report["summary"]["scanned"] == 1


def test_the_repository_s_grep_settings_cannot_hide_a_file(git_repo: GitRepo) -> None:
    """`grep.fullName` would name files from the top, matching none of those listed under the
    scanned directory; `grep.patternType` would read the pattern another way."""
    token = new_pat()
    git_repo.git("config", "grep.fullName", "true")
    git_repo.git("config", "grep.patternType", "fixed")
    git_repo.commit_file("sub/deep/leak.txt", f"{token}\n")

    rc, report = scan_json("--no-verify", ".", cwd=git_repo.path / "sub")

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)


def test_findings_come_in_the_listing_s_order_whatever_order_git_grep_finds_them(
    git_repo: GitRepo,
) -> None:
    """git grep names `a-b/` before `a/` (it sorts bytes: `-` before `/`), pathlib part by part
    (`a` before `a-b`); the files git grep names are read as it names them, and the report
    still follows the listing, then each file's lines."""
    names = ["a-b/x.txt", "a/y.txt", "a/z/first.txt", "b.txt", "untracked-a-b/u.txt"]
    tokens = {name: [new_pat(), new_pat()] for name in names}
    for name in names[:-1]:
        git_repo.commit_file(name, "".join(f"line\nKEY={token}\n" for token in tokens[name]))
    git_repo.write(names[-1], "".join(f"KEY={token}\n" for token in tokens[names[-1]]))
    git_repo.commit_file("clean.txt", "nothing\n")

    rc, report = scan_json("--no-verify", cwd=git_repo.path)

    assert rc == 1
    found = [(finding["path"], finding["line"]) for finding in report["findings"]]
    listing_order = ["a/y.txt", "a/z/first.txt", "a-b/x.txt", "b.txt", "untracked-a-b/u.txt"]
    lines = {name: [2, 4] for name in listing_order} | {"untracked-a-b/u.txt": [1, 2]}
    assert found == [(name, line) for name in listing_order for line in lines[name]]
    assert report["summary"]["scanned"] == 6


def test_a_tracked_file_an_ignore_rule_matches_is_read(git_repo: GitRepo) -> None:
    """`git add -f` puts a file under `*.env` in the repository anyway; git grep's walk of the
    work tree skips it, as `git status` would, but the scan reads it (from the top and from
    the subdirectory it is in)."""
    top_token, deep_token = new_pat(), new_api_token()
    git_repo.commit_file(".gitignore", "*.env\nbuild/\n")
    git_repo.write("secret.env", f"TOKEN={top_token}\n")
    git_repo.write("build/settings.txt", f"KEY={deep_token}\n")
    git_repo.git("add", "-f", "secret.env", "build/settings.txt")
    git_repo.git("commit", "-q", "-m", "force-add")
    git_repo.write("untracked.env", f"TOKEN={new_pat()}\n")  # ignored and untracked: not read

    rc, report = scan_json("--no-verify", cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(top_token, deep_token)
    assert report["summary"]["scanned"] == 3

    rc, report = scan_json("--no-verify", ".", cwd=git_repo.path / "build")

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(deep_token)
