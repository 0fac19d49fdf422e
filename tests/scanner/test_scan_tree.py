"""`oi scan [PATH...]` and `oi scan -`: the working tree and stdin, formats, exit codes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from scanner import formats
from scanner.cli import main
from tests.scanner.conftest import (
    AUTHOR_NAME,
    GitRepo,
    all_kinds,
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

FINDING_KEYS = {
    "fingerprint",
    "kind",
    "redacted",
    "path",
    "line",
    "commit",
    "author",
    "date",
    "status",
}


def test_a_token_in_the_tree_is_reported_with_the_contract_fields(git_repo: GitRepo) -> None:
    """One finding: fingerprint, kind, redacted, 1-based line, no commit, `unverified`."""
    token = new_pat()
    git_repo.commit_file("app/config.py", f"# settings\n\nTOKEN = '{token}'\n")

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 1
    assert isinstance(report.get("summary"), dict)
    [finding] = report["findings"]
    assert set(finding) >= FINDING_KEYS
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["kind"] == "personal_access_token"
    assert finding["redacted"] == formats.redact(token)
    assert same_path(finding["path"], "app/config.py"), finding["path"]
    assert finding["line"] == 3
    assert finding["commit"] is None
    assert finding["author"] is None
    assert finding["date"] is None
    assert finding["status"] == "unverified"


def test_every_registered_kind_is_found(git_repo: GitRepo) -> None:
    """PAT, invite and API tokens, each with its registry kind."""
    tokens = all_kinds()
    git_repo.write(
        "tokens.env", "".join(f"{kind.upper()}={token}\n" for kind, token in tokens.items())
    )

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 1
    by_fingerprint = {item["fingerprint"]: item["kind"] for item in report["findings"]}
    assert by_fingerprint == {formats.fingerprint(tok): kind for kind, tok in tokens.items()}


def test_a_clean_tree_exits_0(git_repo: GitRepo) -> None:
    git_repo.commit_file("README.md", "nothing to see, oi_pat_ is just a prefix\n")

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 0
    assert report["findings"] == []


def test_untracked_files_are_part_of_the_working_tree(git_repo: GitRepo) -> None:
    token = new_invite()
    git_repo.commit_file("README.md", "hello\n")
    git_repo.write("notes/new.txt", f"{token}\n")

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)


def test_only_the_paths_given_are_scanned(git_repo: GitRepo) -> None:
    inside, outside = new_pat(), new_pat()
    git_repo.write("sub/a.txt", f"{inside}\n")
    git_repo.write("other/b.txt", f"{outside}\n")
    git_repo.commit()

    rc, report = scan_json("sub", cwd=git_repo.path)
    assert rc == 1
    assert fingerprints(report["findings"]) == expected(inside)

    rc, report = scan_json("other/b.txt", "sub/a.txt", cwd=git_repo.path)
    assert rc == 1
    assert fingerprints(report["findings"]) == expected(inside, outside)


def test_a_directory_outside_any_repository_is_scanned(tmp_path: Path) -> None:
    token = new_api_token()
    plain = tmp_path / "plain"
    (plain / "deep").mkdir(parents=True)
    (plain / "deep" / "settings.json").write_text(json.dumps({"token": token}))

    rc, report = scan_json(str(plain), cwd=tmp_path)

    assert rc == 1
    [finding] = report["findings"]
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["kind"] == "api_token"
    assert same_path(finding["path"], "deep/settings.json"), finding["path"]


def test_gitignored_files_are_skipped_unless_no_ignore(git_repo: GitRepo) -> None:
    ignored, kept = new_pat(), new_pat()
    git_repo.write(".gitignore", "*.secret\nbuild/\n")
    git_repo.write("local.secret", f"{ignored}\n")
    git_repo.write("build/out.txt", f"{ignored}\n")
    git_repo.write("kept.txt", f"{kept}\n")
    git_repo.commit()

    rc, report = scan_json(cwd=git_repo.path)
    assert rc == 1
    assert fingerprints(report["findings"]) == expected(kept)

    rc, report = scan_json("--no-ignore", cwd=git_repo.path)
    assert rc == 1
    assert fingerprints(report["findings"]) == expected(kept, ignored, ignored)


def test_the_git_directory_is_not_part_of_the_tree(git_repo: GitRepo) -> None:
    """A token in a commit message lands in .git/COMMIT_EDITMSG: not a working-tree file."""
    token = new_pat()
    git_repo.write("README.md", "hello\n")
    git_repo.commit(f"oops {token}")

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 0, report
    assert report["findings"] == []


def test_inline_allow_comment_suppresses_only_its_own_line(git_repo: GitRepo) -> None:
    allowed, reported, next_line = new_pat(), new_pat(), new_pat()
    git_repo.write(
        "fixtures.py",
        f"EXAMPLE = '{allowed}'  # oi: allow\n"
        f"REAL = '{reported}'\n"
        "# oi: allow\n"
        f"ALSO_REAL = '{next_line}'\n",
    )

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(reported, next_line)


def test_allow_comment_alone_makes_the_scan_clean(git_repo: GitRepo) -> None:
    git_repo.write("doc.md", f"`{new_api_token()}` <!-- oi: allow -->\n")

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 0
    assert report["findings"] == []


def test_baseline_suppresses_known_findings_and_reports_new_ones(git_repo: GitRepo) -> None:
    old_pat, old_api = new_pat(), new_api_token()
    git_repo.write("legacy.txt", f"{old_pat}\n{old_api}\n")
    git_repo.commit()
    baseline = git_repo.path / "b.json"

    update = scan("--update-baseline", "--baseline", "b.json", cwd=git_repo.path)
    assert update.rc in (0, 1), update.why
    assert baseline.exists(), update.why
    content = baseline.read_text()
    assert leaked(content, [old_pat, old_api]) == []
    for token in (old_pat, old_api):
        assert formats.fingerprint(token) in content

    rc, report = scan_json("--baseline", "b.json", cwd=git_repo.path)
    assert rc == 0
    assert report["findings"] == []

    new = new_invite()
    git_repo.write("fresh.txt", f"{new}\n")
    rc, report = scan_json("--baseline", "b.json", cwd=git_repo.path)
    assert rc == 1
    assert fingerprints(report["findings"]) == expected(new)


def test_exit_code_2_for_a_nonexistent_path(git_repo: GitRepo) -> None:
    result = scan("does/not/exist.txt", "--format", "json", cwd=git_repo.path)
    assert result.rc == 2, result.why
    assert result.err.strip(), "a usage error explains itself on stderr"


def test_exit_code_2_for_an_unknown_option(git_repo: GitRepo) -> None:
    result = scan("--definitely-not-an-option", cwd=git_repo.path)
    assert result.rc == 2, result.why


def test_exit_code_2_for_an_unknown_format(git_repo: GitRepo) -> None:
    result = scan("--format", "yaml", cwd=git_repo.path)
    assert result.rc == 2, result.why


@pytest.mark.parametrize("mode", ["--history", "--staged"])
def test_git_modes_outside_a_repository_exit_2(tmp_path: Path, mode: str) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    (outside / "f.txt").write_text(f"{new_pat()}\n")

    result = scan(mode, "--format", "json", cwd=outside)

    assert result.rc == 2, result.why
    assert result.err.strip()


def test_console_script_exit_codes(git_repo: GitRepo) -> None:
    """The `oi` executable returns 0, 1 and 2 exactly like `main`."""
    git_repo.commit_file("README.md", "clean\n")
    assert run_oi(["scan", "--no-verify"], cwd=git_repo.path).rc == 0

    token = new_pat()
    git_repo.write("leak.txt", f"{token}\n")
    result = run_oi(["scan", "--no-verify", "--format", "json"], cwd=git_repo.path)
    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(token)
    assert leaked(result.out + result.err, [token]) == []

    assert run_oi(["scan", "--no-verify", "--bogus-flag"], cwd=git_repo.path).rc == 2
    assert run_oi(["scan", "--no-verify", "missing.txt"], cwd=git_repo.path).rc == 2


# --- stdin ------------------------------------------------------------------------------------


def test_stdin_scan_reports_path_dash_and_the_line() -> None:
    token = new_pat()
    result = scan("-", "--format", "json", stdin=f"first\nsecond {token}\n".encode())

    assert result.rc == 1, result.why
    [finding] = result.findings
    assert finding["path"] == "-"
    assert finding["line"] == 2
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert (finding["commit"], finding["author"], finding["date"]) == (None, None, None)
    assert finding["status"] == "unverified"


def test_stdin_clean_and_empty_input_exit_0() -> None:
    assert scan("-", stdin=b"just text\n").rc == 0
    assert scan("-", stdin=b"").rc == 0


def test_stdin_through_the_console_script(tmp_path: Path) -> None:
    token = new_api_token()
    result = run_oi(
        ["scan", "-", "--no-verify", "--format", "json"],
        cwd=tmp_path,
        stdin=f"Authorization: Bearer {token}".encode(),
    )
    assert result.rc == 1, result.why
    [finding] = result.findings
    assert (finding["path"], finding["line"], finding["kind"]) == ("-", 1, "api_token")


# --- awkward files ----------------------------------------------------------------------------


def test_token_in_a_binary_file_between_nul_bytes(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.write(
        "blob.bin",
        b"\x00\x01\x02\xff" * 64 + b"\x00" + token.encode() + b"\x00" + b"\xfe\x00" * 64,
    )

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token)


def test_token_in_a_crlf_file_has_the_right_line(git_repo: GitRepo) -> None:
    token = new_invite()
    git_repo.write("win.ini", f"[auth]\r\ntoken={token}\r\nother=1\r\n".encode())

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 1
    [finding] = report["findings"]
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["line"] == 2


def test_token_at_the_end_of_a_file_without_final_newline(git_repo: GitRepo) -> None:
    pat, api = new_pat(), new_api_token()
    git_repo.write("a.txt", f"one\ntwo\n{pat}")
    git_repo.write("b.txt", f"{api}")

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(pat, api)
    lines = {item["fingerprint"]: item["line"] for item in report["findings"]}
    assert lines == {formats.fingerprint(pat): 3, formats.fingerprint(api): 1}


def test_token_in_the_middle_of_a_1mb_single_line(git_repo: GitRepo) -> None:
    token = new_pat()
    half = "x" * 512 * 1024
    git_repo.write("minified.js", f"{half};var t='{token}';{half}")

    rc, report = scan_json(cwd=git_repo.path)

    assert rc == 1
    [finding] = report["findings"]
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["line"] == 1


@pytest.mark.skipif(sys.platform != "linux", reason="needs byte-string file names")
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
@pytest.mark.parametrize("mode", ["tree", "--staged", "--history"])
def test_file_names_that_are_not_utf8_or_hold_a_newline(
    git_repo: GitRepo, mode: str, fmt: str
) -> None:
    """Odd file names are reported, never a traceback (stdout is strict UTF-8 here)."""
    token = new_pat()
    (git_repo.path / os.fsdecode(b"caf\xe9.txt")).write_text(f"a {token}\n")
    (git_repo.path / "two\nlines.txt").write_text(f"b {token}\n")  # another blob
    git_repo.add()
    if mode == "--history":
        git_repo.commit()
    args = ["scan", "--no-verify", "--format", fmt, *([] if mode == "tree" else [mode])]

    result = run_oi(args, cwd=git_repo.path, env={"PYTHONIOENCODING": "utf-8"})

    assert "Traceback" not in result.err, result.why
    assert result.rc == 1, result.why
    assert leaked(result.out + result.err, [token]) == []
    if fmt == "json":
        assert len(result.findings) == 2
    if fmt == "sarif":
        assert len(result.json()["runs"][0]["results"]) == 2


# --- output formats ---------------------------------------------------------------------------


def _leaky_tree(repo: GitRepo) -> dict[str, str]:
    tokens = all_kinds()
    repo.write("one.txt", f"a {tokens['personal_access_token']} b\n")
    repo.write("dir/two.yaml", f"invite: {tokens['invite_token']}\napi: {tokens['api_token']}\n")
    return tokens


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_format_ever_prints_a_raw_token(git_repo: GitRepo, fmt: str) -> None:
    tokens = _leaky_tree(git_repo)

    result = scan("--format", fmt, cwd=git_repo.path)

    assert result.rc == 1, result.why
    assert leaked(result.out + result.err, tokens.values()) == []


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_console_script_never_prints_a_raw_token(git_repo: GitRepo, fmt: str) -> None:
    tokens = _leaky_tree(git_repo)
    git_repo.commit()

    for args in (["scan"], ["scan", "--history"], ["scan", "--staged"]):
        result = run_oi([*args, "--no-verify", "--format", fmt], cwd=git_repo.path)
        assert result.rc in (0, 1), result.why
        assert leaked(result.out + result.err, tokens.values()) == [], args


def test_text_format_names_file_line_redacted_and_fingerprint(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.write("conf/app.ini", f"[x]\nkey={token}\n")

    result = scan("--format", "text", cwd=git_repo.path)

    assert result.rc == 1, result.why
    assert "app.ini" in result.out
    assert "2" in result.out
    assert formats.redact(token) in result.out
    assert formats.fingerprint(token) in result.out


def test_sarif_is_2_1_0_with_one_result_per_finding(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.write("src/leak.py", f"\n\nT = '{token}'\n")

    result = scan("--format", "sarif", cwd=git_repo.path)

    assert result.rc == 1, result.why
    sarif = result.json()
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    assert run["tool"]["driver"]["name"]
    [sarif_result] = run["results"]
    assert sarif_result["ruleId"]
    assert sarif_result["message"]["text"]
    location = sarif_result["locations"][0]["physicalLocation"]
    assert same_path(location["artifactLocation"]["uri"], "src/leak.py")
    assert location["region"]["startLine"] == 3
    rule_ids = {rule["id"] for rule in run["tool"]["driver"].get("rules", [])}
    assert not rule_ids or sarif_result["ruleId"] in rule_ids


def test_output_file_holds_the_report_and_no_raw_token(git_repo: GitRepo) -> None:
    tokens = _leaky_tree(git_repo)
    out_file = git_repo.path.parent / "report.json"

    result = scan("--format", "json", "--output", str(out_file), cwd=git_repo.path)

    assert result.rc == 1, result.why
    text = out_file.read_text()
    assert leaked(text + result.out + result.err, tokens.values()) == []
    report = json.loads(text)
    assert fingerprints(report["findings"]) == expected(*tokens.values())


def test_library_entry_point_returns_the_exit_code(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`main([...])` returns the exit code (no SystemExit) and prints the report to stdout."""
    token = new_pat()
    git_repo.write("x.txt", f"{token}\n")
    monkeypatch.chdir(git_repo.path)

    rc = main(["scan", "--no-verify", "--format", "json"])

    captured = capsys.readouterr()
    assert leaked(captured.out + captured.err, [token]) == []
    assert rc == 1
    report = json.loads(captured.out)
    assert fingerprints(report["findings"]) == expected(token)
    assert AUTHOR_NAME not in captured.out  # a working-tree finding has no author
