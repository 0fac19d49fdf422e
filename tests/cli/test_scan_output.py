"""What `oi scan` prints for people (issue 13): plurals that agree, hints on stderr after
findings with the exact commands, and colour only at a terminal that wants it (NO_COLOR,
TERM=dumb); rich tables of the client commands too."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from scanner import formats
from tests.cli.terminal import at_terminal
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.git_repos import git
from tests.support.live_server import LiveServer
from tests.support.oi_cli import Run, assert_no_raw_token, oi, oi_process


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


def leaky_tree(root: Path, files: int, tokens: int) -> list[str]:
    """`files` files under `root`, the first `tokens` of them holding a token each."""
    root.mkdir(parents=True, exist_ok=True)
    made = [formats.PERSONAL_ACCESS_TOKEN.generate() for _ in range(tokens)]
    for index in range(files):
        text = f"token = '{made[index]}'\n" if index < tokens else "nothing here\n"
        (root / f"file{index}.txt").write_text(text)
    return made


def last_line(run: Run) -> str:
    return run.stdout.splitlines()[-1]


def test_counts_in_the_summary_are_plural_only_when_they_should_be(
    tmp_path: Path, config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky_tree(tmp_path / "one", 1, 1)
    leaky_tree(tmp_path / "three", 3, 2)
    assert last_line(oi("scan", "--no-verify", str(tmp_path / "one"), config_home=config_home)) == (
        "1 finding in 1 file"
    )
    assert last_line(
        oi("scan", "--no-verify", str(tmp_path / "three"), config_home=config_home)
    ) == ("2 findings in 3 files")
    repo = tmp_path / "repo"
    leaky_tree(repo, 1, 1)
    git(repo.parent, "init", "-q", str(repo))
    git(repo, "add", ".")
    monkeypatch.chdir(repo)
    staged = oi("scan", "--staged", config_home=config_home)
    assert last_line(staged) == "1 finding in 1 staged file", staged
    wrote = oi(
        "scan", "--staged", "--update-baseline", "--baseline", "b.json", config_home=config_home
    )
    assert wrote.stderr == "oi scan: wrote 1 fingerprint to b.json\n", wrote


def test_after_findings_a_hint_on_stderr_says_what_to_do_with_exact_commands(
    tmp_path: Path, config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the pre-commit framework (PRE_COMMIT=1), which shows the hook's output to the
    person committing; stdout stays the report alone."""
    tokens = leaky_tree(tmp_path / "src", 2, 2)
    monkeypatch.chdir(tmp_path)
    args = ("scan", "--no-verify", "--format", "json", "src")
    found = oi(*args, config_home=config_home, PRE_COMMIT="1")
    assert found.returncode == 1, found
    assert len(json.loads(found.stdout)["findings"]) == 2
    hints = found.stderr.splitlines()
    assert all(line.startswith("oi scan: hint: ") for line in hints) and len(hints) == 3, found
    assert "oi tokens rotate ID" in hints[0] and "oi revoke -" in hints[0], found
    assert hints[1].endswith(": oi scan --format json src --revoke"), found  # --revoke verifies
    baseline = "oi scan --no-verify --format json src --update-baseline --baseline "
    assert hints[2].endswith(baseline + ".tokenpatrol-baseline.json"), found
    assert_no_raw_token(found, *tokens)

    command = shlex.split(hints[2].split(": ", 3)[-1])
    assert command[0] == "oi" and oi(*command[1:], config_home=config_home).returncode == 0
    again = ("scan", "--no-verify", "src", "--baseline", ".tokenpatrol-baseline.json")
    accepted = oi(*again, config_home=config_home, PRE_COMMIT="1")
    assert accepted.returncode == 0 and accepted.stderr == "", accepted


def test_at_a_terminal_the_hints_show_and_a_piped_report_stays_clean(
    tmp_path: Path, config_home: Path
) -> None:
    tokens = leaky_tree(tmp_path / "src", 1, 1)
    src = str(tmp_path / "src")
    shown = at_terminal("scan", "--no-verify", "--format", "sarif", src, config_home=config_home,
                        piped_stdout=True)  # fmt: skip
    assert shown.returncode == 1 and json.loads(shown.stdout)["runs"], shown
    assert shown.stderr.count("oi scan: hint: ") == 3, shown
    assert_no_raw_token(shown, *tokens)


def test_off_a_terminal_no_hint_is_printed(tmp_path: Path, config_home: Path) -> None:
    """A script or CI log reads the report and the exit code; hints are for a person."""
    leaky_tree(tmp_path / "src", 1, 1)
    piped = oi_process("scan", "--no-verify", str(tmp_path / "src"), config_home=config_home)
    assert piped.returncode == 1 and piped.stderr == "", piped


def test_tokens_that_no_longer_work_get_a_hint_to_delete_them(
    live_server: LiveServer, http: Api, tmp_path: Path, config_home: Path
) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    pat = http.create_token(key, scope="read")
    assert http.call("DELETE", f"/me/pats/{pat['id']}", key).status in (200, 204)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "old.txt").write_text(f"{pat['token']}\n")
    args = ("scan", "--app-url", live_server.url, str(tmp_path / "src"))
    found = oi(*args, config_home=config_home, PRE_COMMIT="1")
    assert found.returncode == 1 and "[revoked]" in found.stdout, found
    hints = found.stderr.splitlines()
    gone = "these tokens no longer work (revoked or expired): delete them from the files"
    assert hints[0] == f"oi scan: hint: {gone}", found
    assert len(hints) == 2 and "--update-baseline" in hints[1], found
    assert_no_raw_token(found, pat["token"])


def test_a_clean_scan_gives_no_hint(tmp_path: Path, config_home: Path) -> None:
    leaky_tree(tmp_path / "src", 2, 0)
    clean = oi("scan", "--no-verify", str(tmp_path / "src"), config_home=config_home)
    assert clean.returncode == 0 and clean.stderr == "", clean


ESCAPE = "\x1b["


COLOUR_TERMINAL = {"TERM": "xterm-256color", "NO_COLOR": ""}  # no-color.org: empty is unset


@pytest.mark.parametrize(
    ("env", "coloured"),
    [
        ({}, True),
        ({"NO_COLOR": "1"}, False),
        ({"NO_COLOR": "yes please"}, False),
        ({"TERM": "dumb"}, False),
    ],
)
def test_the_scan_report_is_coloured_only_at_a_terminal_that_wants_it(
    tmp_path: Path, config_home: Path, env: dict[str, str], coloured: bool
) -> None:
    tokens = leaky_tree(tmp_path / "src", 1, 1)
    env = COLOUR_TERMINAL | env
    shown = at_terminal(
        "scan", "--no-verify", str(tmp_path / "src"), config_home=config_home, env=env
    )
    assert shown.returncode == 1 and "1 finding in 1 file" in shown.stdout, shown
    assert (ESCAPE in shown.stdout) is coloured, shown
    assert_no_raw_token(shown, *tokens)


def test_the_scan_report_is_plain_off_a_terminal(tmp_path: Path, config_home: Path) -> None:
    leaky_tree(tmp_path / "src", 1, 1)
    piped = oi_process(
        "scan", "--no-verify", str(tmp_path / "src"), config_home=config_home, **COLOUR_TERMINAL
    )
    assert piped.returncode == 1 and ESCAPE not in piped.output, piped


@pytest.mark.parametrize(
    ("env", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)]
)
def test_tables_honour_no_color_and_term_dumb(
    live_server: LiveServer, http: Api, config_home: Path, env: dict[str, str], coloured: bool
) -> None:
    http.create_account(ROOT_KEY, "acme", "alice")
    service = {"OPENINDEX_TOKEN": ROOT_KEY, "OPENINDEX_APP_URL": live_server.url}
    env = COLOUR_TERMINAL | service | env
    shown = at_terminal("admin", "accounts", "list", config_home=config_home, env=env)
    assert shown.returncode == 0 and "acme" in shown.stdout, shown
    assert (ESCAPE in shown.stdout) is coloured, shown
    assert ROOT_KEY not in shown.stdout, "the root key was printed"
