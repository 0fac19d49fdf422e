"""The two short paths, `oi scan --staged` (every commit) and `oi scan PATH`, start git with
`os.posix_spawn` and load only what they use: no argparse, subprocess, pathlib, threading or typing,
and on the staged path git starts before `re`, `typing`, the registry and detection load. What they
find, print and exit with is what the scanner finds everywhere else; where the platform has no
`posix_spawn` the same scan runs through `subprocess`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from scanner import formats
from tests.scanner.conftest import (
    GitRepo,
    expected,
    fingerprints,
    new_api_token,
    new_pat,
    scan,
    scan_json,
)

REPOSITORY = Path(__file__).resolve().parents[2]
NEVER_LOADED = (
    *("argparse", "shutil", "subprocess", "pathlib", "threading", "signal", "json", "typing"),
    *("importlib", "warnings"),
    *("scanner.git", "scanner.report.json_report", "scanner.report.sarif"),
)
COMMAND_LINES = {"staged": ["scan", "--staged"], "tree": ["scan", "--no-verify", "."]}


def probe(repo: GitRepo, code: str) -> dict[str, Any]:
    """Run `code` (which sets `result`) in a fresh interpreter without site, in the repository,
    and return `result`; the scan's own output goes to stderr."""
    report = "import json\nprint('RESULT', json.dumps(result), file=sys.__stderr__)\n"
    done = subprocess.run(
        [sys.executable, "-S", "-c", "import sys\n" + textwrap.dedent(code) + report],
        cwd=repo.path,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("RESULT ")]
    assert lines, formats.redact_text(done.stderr[-3000:])
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


def a_change(repo: GitRepo) -> None:
    repo.commit_file("README.md", "hello\n")
    repo.write("README.md", "hello again\n")
    repo.add("README.md")


@pytest.mark.parametrize("path", sorted(COMMAND_LINES))
def test_the_short_paths_load_neither_argparse_nor_subprocess_nor_pathlib(
    git_repo: GitRepo, path: str
) -> None:
    a_change(git_repo)
    result = probe(
        git_repo,
        f"""
        from scanner.cli import main
        sys.stdout = sys.stderr
        rc = main({COMMAND_LINES[path]!r})
        result = {{"rc": rc, "loaded": sorted(sys.modules)}}
        """,
    )
    assert result["rc"] == 0
    assert "scanner.gitspawn" in result["loaded"]
    assert [name for name in NEVER_LOADED if name in result["loaded"]] == []


def test_the_staged_path_starts_git_before_the_registry_is_imported(git_repo: GitRepo) -> None:
    """Both git processes (the diff, the cat-file that reads it) run while `re`, `typing`, the
    registry, detection and the report load."""
    a_change(git_repo)
    result = probe(
        git_repo,
        """
        import os
        started = []
        spawn = os.posix_spawnp
        def spy(path, argv, *args, **kwargs):
            heavy = ("re", "typing", "scanner.formats", "scanner.detect")
            loaded = [name for name in heavy if name in sys.modules]
            started.append([argv[-1], loaded])
            return spawn(path, argv, *args, **kwargs)
        os.posix_spawnp = spy
        from scanner.cli import main
        sys.stdout = sys.stderr
        rc = main(["scan", "--staged"])
        result = {"rc": rc, "started": started}
        """,
    )
    assert result["rc"] == 0
    assert sorted(argv for argv, _loaded in result["started"]) == ["--batch", "HEAD"]
    assert [loaded for _argv, loaded in result["started"]] == [[], []]


@pytest.mark.parametrize("path", sorted(COMMAND_LINES))
def test_without_posix_spawn_the_same_scan_runs_through_subprocess(
    git_repo: GitRepo, path: str
) -> None:
    token = new_pat()
    git_repo.commit_file("old.txt", "nothing\n")
    git_repo.write("leak.py", f"T = '{token}'\n")
    git_repo.add("leak.py")
    result = probe(
        git_repo,
        f"""
        import io, os
        del os.posix_spawnp
        from scanner.cli import main
        sys.stdout = io.StringIO()
        rc = main({[*COMMAND_LINES[path], "--format", "json"]!r})
        import json
        result = {{"rc": rc, "report": json.loads(sys.stdout.getvalue())}}
        """,
    )
    assert result["rc"] == 1
    assert fingerprints(result["report"]["findings"]) == expected(token)


def test_a_commit_of_many_files_is_read_whole(git_repo: GitRepo) -> None:
    """More object names than a pipe surely holds go to cat-file from a thread: every blob is
    still read, and only what the commit adds is reported."""
    kept = new_pat()
    git_repo.commit_file("many/kept.txt", f"{kept}\n")
    tokens = [new_pat(), new_api_token(), new_pat()]
    for number in range(300):
        git_repo.write(f"many/file{number:03}.txt", f"line {number}\n")
    for number, token in zip((7, 150, 299), tokens, strict=True):
        git_repo.write(f"many/file{number:03}.txt", f"line {number}\n{token}\n")
    git_repo.write("many/kept.txt", f"{kept}\nand more\n")
    git_repo.add("many")

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(*tokens)
    assert report["summary"]["scanned"] == 301
    assert {finding["line"] for finding in report["findings"]} == {2}


def test_without_git_on_the_path_a_scan_is_one_error_line(git_repo: GitRepo) -> None:
    a_change(git_repo)
    for args in (["--staged"], ["--staged", "README.md"]):
        done = subprocess.run(
            [sys.executable, "-m", "scanner.cli", "scan", *args],
            cwd=git_repo.path,
            env={**os.environ, "PATH": str(git_repo.path / "nowhere")},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 2, formats.redact_text(done.stderr)
        assert done.stderr.startswith("oi scan: error: ")
        assert done.stderr.count("\n") == 1, formats.redact_text(done.stderr)


@pytest.mark.parametrize("spelled", ["./sub//", "sub/./", "sub"])
def test_a_path_is_shown_as_given_however_it_is_spelled(git_repo: GitRepo, spelled: str) -> None:
    token = new_pat()
    git_repo.commit_file("sub/leak.txt", f"{token}\n")

    rc, report = scan_json(spelled, cwd=git_repo.path)

    assert rc == 1
    assert [finding["path"] for finding in report["findings"]] == ["sub/leak.txt"]


def test_a_missing_path_is_named_as_given_without_its_dots_and_slashes(git_repo: GitRepo) -> None:
    result = scan("./missing//", cwd=git_repo.path)

    assert result.rc == 2, result.why
    assert result.err == "oi scan: error: no such file or directory: missing\n"


def test_files_outside_the_current_directory_are_shown_absolute(git_repo: GitRepo) -> None:
    inside, outside = new_pat(), new_pat()
    git_repo.commit_file("sub/in.txt", f"{inside}\n")
    git_repo.commit_file("top.txt", f"{outside}\n")

    rc, report = scan_json("..", cwd=git_repo.path / "sub")

    assert rc == 1
    shown = {finding["fingerprint"]: finding["path"] for finding in report["findings"]}
    assert shown == {
        formats.fingerprint(inside): "in.txt",
        formats.fingerprint(outside): str(git_repo.path.resolve() / "top.txt"),
    }
