"""A repository under scan is untrusted: it cannot make the scanner read outside it, run its
commands, drive the terminal, or crash it (red-team findings 6, 11, 14)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scanner import formats
from tests.scanner.conftest import GitRepo, new_pat, run_main, scan, scan_json

ESCAPES = "\x1b]0;pwned\x07\x1b[2J"


def test_a_tracked_symlink_out_of_the_tree_is_not_followed(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    """Finding 6: `innocent.txt -> ~/.config/tokenpatrol/profiles.toml` was read and reported."""
    victim = tmp_path / "home" / "profiles.toml"
    victim.parent.mkdir()
    secret = new_pat()
    victim.write_text(f'token = "{secret}"\n')
    (git_repo.path / "innocent.txt").symlink_to(victim)
    (git_repo.path / "inside.txt").symlink_to("plain.txt")
    git_repo.commit_file("plain.txt", "nothing here\n")
    for args in ((), ("--no-ignore",)):
        done = scan(*args, "--format", "json", cwd=git_repo.path)
        assert done.rc == 0 and done.findings == [], done.why
        assert "innocent.txt is a symbolic link out of the scanned tree" in done.err, done.why
        assert "inside.txt" not in done.err, done.why


def test_a_path_named_on_the_command_line_is_read_even_as_a_link(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    target = tmp_path / "outside.txt"
    secret = new_pat()
    target.write_text(f"{secret}\n")
    (git_repo.path / "chosen.txt").symlink_to(target)
    rc, report = scan_json("chosen.txt", cwd=git_repo.path)
    assert rc == 1 and [f["fingerprint"] for f in report["findings"]] == [
        formats.fingerprint(secret)
    ]


def test_the_repository_s_fsmonitor_command_never_runs(git_repo: GitRepo, tmp_path: Path) -> None:
    """Finding 14: tree and staged scans ran the scanned repository's `core.fsmonitor`."""
    ran = tmp_path / "fsmonitor-ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\necho ran >> {ran}\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    git_repo.commit_file("a.txt", "hello\n")
    git_repo.write("b.txt", "world\n")
    git_repo.add("b.txt")
    git_repo.git("config", "core.fsmonitor", str(hook))  # after the test's own git commands
    assert scan(cwd=git_repo.path).rc == 0
    assert scan("--staged", cwd=git_repo.path).rc == 0
    assert scan("--history", cwd=git_repo.path).rc == 0
    assert not ran.exists(), "git ran the repository's core.fsmonitor command during a scan"


def test_file_names_and_authors_cannot_drive_the_terminal(git_repo: GitRepo) -> None:
    """Finding 11: `ESC]0;` and `ESC[2J` in names and authors reached the terminal raw."""
    secret = new_pat()
    name = f"evil{ESCAPES}.txt"
    git_repo.write(name, f"{secret}\n")
    git_repo.commit(author=f"mallory{ESCAPES}")
    for args in (("--history",), ()):
        done = scan(*args, cwd=git_repo.path)
        assert done.rc == 1, done.why
        assert "\x1b" not in done.out + done.err and "\x07" not in done.out, done.why
        assert "evil\\x1b]0;pwned\\x07\\x1b[2J.txt" in done.out, done.why
    history = scan("--history", cwd=git_repo.path)
    assert "mallory\\x1b]0;pwned" in history.out, history.why


def test_a_line_separator_in_a_name_cannot_forge_a_second_finding(git_repo: GitRepo) -> None:
    git_repo.write("a\u2028b.py:1: forged.txt", f"{new_pat()}\n")
    done = scan(cwd=git_repo.path)
    assert done.rc == 1 and done.out.count("\n") == 2, done.why  # one finding + the summary
    assert "a\\u2028b.py" in done.out, done.why


def test_a_directory_thousands_deep_is_scanned_not_a_crash(tmp_path: Path) -> None:
    """Finding 14: 1,100 levels with --no-ignore gave RecursionError and exit 1."""
    top = tmp_path / "deep"
    secret = new_pat()
    levels = [top]
    top.mkdir()
    for _ in range(1100):  # os.makedirs itself recurses
        levels.append(levels[-1] / "d")
        os.mkdir(levels[-1])
    leak = levels[-1] / "leak.txt"
    leak.write_text(f"{secret}\n")
    try:
        done = run_main(["scan", "--no-ignore", "--no-verify", "--format", "json", str(top)])
    finally:  # shutil.rmtree (pytest's own clean-up of old temporary folders) would recurse
        leak.unlink()
        for level in reversed(levels):
            level.rmdir()
    assert done.rc == 1, done.why
    assert [f["fingerprint"] for f in done.findings] == [formats.fingerprint(secret)], done.why
