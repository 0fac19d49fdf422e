"""What the pre-commit hook's start-up path loads and runs: `oi scan --staged` (and a plain
`oi scan PATH`) parses its command line without argparse, loads only the text reporter, and
still reads the whole index from any directory, with one error line outside a repository."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner import formats
from scanner.cli import quick_args
from scanner.cli.commands.scan import build_parser
from tests.scanner.conftest import GitRepo, expected, fingerprints, new_pat, scan, scan_json

REPOSITORY = Path(__file__).resolve().parents[2]
# Never on the text `--staged` path: the other reporters and what they pull in, and argparse
# with shutil (which its help formatter imports).
NOT_ON_THE_HOOK_PATH = ("argparse", "shutil", "json", "scanner.report.json_report")
NOT_ON_THE_HOOK_PATH += ("scanner.report.sarif", "scanner.cli.profiles", "scanner.baseline")


def assert_read_alike(argv: list[str]) -> None:
    """Every option of `oi scan` has the value argparse gives it (an option added later with a
    default other than None or False fails here until quick_args learns it)."""
    fast = quick_args.parse(argv)
    assert fast is not None, argv
    parsed = build_parser().parse_args(argv)
    for name, value in vars(parsed).items():
        ours = getattr(fast, name)
        assert ours == value or (value in (None, False) and ours in (None, False)), (argv, name)


@pytest.mark.parametrize(
    "argv",
    [
        ["--staged"],
        ["--staged", "a.py", "docs/b.md"],
        [],
        ["."],
        ["--no-verify", ".", "-"],
        ["--staged", "--format", "json"],
        ["--no-verify", "--format=sarif", "."],
        ["--format", "text", "--no-verify", "src"],
    ],
)
def test_the_hooks_arguments_read_as_the_parser_reads_them(argv: list[str]) -> None:
    assert_read_alike(argv)


PATHS = st.text(st.sampled_from("ab.-/ =é"), max_size=6)


FORMATS = st.sampled_from(["text", "json", "sarif", "xml", "", "--staged"])
OPTIONS = st.one_of(
    st.sampled_from(sorted(quick_args.FLAGS)).map(lambda flag: [flag]),
    FORMATS.map(lambda value: ["--format", value]),
    FORMATS.map(lambda value: [f"--format={value}"]),
)


@given(options=st.lists(OPTIONS, max_size=4), paths=st.lists(PATHS, max_size=3))
def test_any_command_line_read_quickly_reads_as_argparse_reads_it(
    options: list[list[str]], paths: list[str]
) -> None:
    """Whatever the quick reader accepts, argparse reads to the same values; what it declines
    (a repeated option, a format argparse refuses, an option among the paths, `--`...)
    argparse reads instead."""
    argv = [arg for option in options for arg in option] + paths
    if quick_args.parse(argv) is not None:
        assert_read_alike(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["--staged", "--format", "xml"],
        ["--format"],
        ["--format=json", "--format", "json"],
        ["--format", "--staged"],
        ["--verify", "--no-verify"],
        [".", "--no-verify"],
        ["--", "-x"],
        ["--stag"],
        ["--staged=1"],
        ["-x"],
    ],
)
def test_other_command_lines_go_to_argparse(argv: list[str]) -> None:
    assert quick_args.parse(argv) is None


def test_the_text_staged_path_loads_no_other_reporter_nor_argparse(git_repo: GitRepo) -> None:
    """Run without site (no .pth file preloading anything), so every module counts."""
    git_repo.commit_file("README.md", "hello\n")
    git_repo.write("README.md", "hello again\n")
    git_repo.add("README.md")
    probe = textwrap.dedent(
        """
        import sys
        from scanner.cli import main
        rc = main(["scan", "--staged"])
        print("LOADED", rc, *sorted(sys.modules), file=sys.stderr)
        """
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        cwd=git_repo.path,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    [line] = [line for line in done.stderr.splitlines() if line.startswith("LOADED")]
    rc, *loaded = line.split()[1:]
    assert rc == "0", formats.redact_text(done.stderr)
    assert "scanner.report.text" in loaded
    assert [name for name in NOT_ON_THE_HOOK_PATH if name in loaded] == []


def test_a_first_commit_staged_from_a_subdirectory_sees_the_whole_index(
    git_repo: GitRepo,
) -> None:
    token = new_pat()
    git_repo.write("top.txt", f"{token}\n")
    git_repo.write("sub/clean.txt", "nothing\n")
    git_repo.add("top.txt", "sub/clean.txt")

    rc, report = scan_json("--staged", cwd=git_repo.path / "sub")

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)


@pytest.mark.parametrize("broken", [False, True])
def test_staged_outside_a_repository_is_one_error_line(tmp_path: Path, broken: bool) -> None:
    """Also where a `.git` is there but is no repository."""
    if broken:
        (tmp_path / ".git").write_text("gitdir: /nowhere\n")

    result = scan("--staged", cwd=tmp_path)

    assert result.rc == 2, result.why
    assert result.err == "oi scan: error: --staged needs a git repository (run it inside one)\n"
