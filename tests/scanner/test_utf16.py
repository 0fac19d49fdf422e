"""UTF-16 content: what Windows PowerShell 5 writes with `>` (UTF-16LE with a BOM), and its
kin (UTF-16BE, no BOM). A token in it is found on its line, by every scan and across windows;
binary content is still read as bytes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scanner.detect import WINDOW
from scanner.formats import fingerprint
from tests.scanner.conftest import (
    GitRepo,
    expected,
    fingerprints,
    leaked,
    new_api_token,
    new_invite,
    new_pat,
    scan,
    scan_json,
    scan_stdin,
)
from tests.support.secrets import Secret

ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "le-bom": lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
    "be-bom": lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    "le": lambda text: text.encode("utf-16-le"),
    "be": lambda text: text.encode("utf-16-be"),
}


def powershell_output(pat: str, api: str, invite: str) -> str:
    """A PowerShell session's redirected output: CRLF lines, a non-ASCII name, tokens glued to
    text and on lines of their own."""
    return (
        "\r\n"
        "Name                           Value\r\n"
        "----                           -----\r\n"
        f"OI_TOKEN                       {pat}\r\n"
        "Benutzer                       Jürgen Müller\r\n"
        f'$env:API_TOKEN="{api}"\r\n'
        f"invite={invite}\r\n"
    )


@pytest.fixture
def planted() -> dict[str, tuple[Secret, int]]:
    """Each token with the line it is on in `powershell_output`."""
    return {"pat": (new_pat(), 4), "api": (new_api_token(), 6), "invite": (new_invite(), 7)}


def content(planted: dict[str, tuple[Secret, int]], encoding: str) -> bytes:
    return ENCODINGS[encoding](
        powershell_output(planted["pat"][0], planted["api"][0], planted["invite"][0])
    )


def assert_found_on_their_lines(
    findings: list[dict[str, object]], planted: dict[str, tuple[Secret, int]]
) -> None:
    tokens = [token for token, _line in planted.values()]
    assert fingerprints(findings) == expected(*tokens)
    lines = sorted(int(str(item["line"])) for item in findings)
    assert lines == sorted(line for _token, line in planted.values())


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_utf16_on_stdin(planted: dict[str, tuple[Secret, int]], encoding: str) -> None:
    result = scan_stdin(content(planted, encoding))

    assert result.rc == 1, result.why
    assert_found_on_their_lines(result.findings, planted)
    assert leaked(result.out + result.err, [token for token, _ in planted.values()]) == []


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_utf16_in_the_tree_the_index_and_history(
    git_repo: GitRepo, planted: dict[str, tuple[Secret, int]], encoding: str
) -> None:
    git_repo.commit_file("README.md", "hello\n")
    git_repo.write("env.txt", content(planted, encoding))
    git_repo.add("env.txt")

    for args in (("--staged",), (), ("--history",)):
        if args == ("--history",):
            git_repo.commit("env")
        rc, report = scan_json(*args, cwd=git_repo.path)
        assert rc == 1, args
        assert_found_on_their_lines(report["findings"], planted)


def test_a_utf16_line_with_oi_allow_is_not_reported() -> None:
    allowed, reported = new_pat(), new_pat()
    text = f"A={allowed}  # oi: allow\r\nB={reported}\r\n"

    result = scan_stdin(ENCODINGS["le-bom"](text))

    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(reported)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_staged_utf16_file_reports_only_the_tokens_the_commit_adds(
    git_repo: GitRepo, encoding: str
) -> None:
    """The tokens HEAD held are blanked in the UTF-16 too, and the blanks (UTF-16 spaces, even
    when they fill most of the file's start) leave it UTF-16: the new token is still found."""
    old, new = [new_pat() for _ in range(4)], new_invite()
    encode = ENCODINGS[encoding]
    before = "".join(f"{token}\r\n" for token in old)
    git_repo.commit_file("env.txt", encode(before))
    git_repo.write("env.txt", encode(f"{before}NEW={new}\r\n"))
    git_repo.add("env.txt")

    rc, report = scan_json("--staged", cwd=git_repo.path)

    assert rc == 1
    assert [(item["fingerprint"], item["line"]) for item in report["findings"]] == [
        (fingerprint(new), 5)
    ]


def test_bytes_that_look_like_utf16_are_read_as_bytes_too() -> None:
    """A binary with NULs in every other byte still has its ASCII tokens found."""
    in_text, in_bytes = new_pat(), new_pat()
    text = f"{'#' * 300}\nT={in_text}\n".encode("utf-16-le")
    data = text + b"\x00" + in_bytes.encode() + b"\x00"

    result = scan_stdin(data)

    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(in_text, in_bytes)


def test_binary_content_is_not_taken_for_utf16() -> None:
    """NULs everywhere (not in every other byte only): read as bytes, as before."""
    token = new_pat()
    data = b"\x00\x00\x01\x00" * 64 + token.encode() + b"\x00" * 64

    result = scan_stdin(data)

    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(token)


ascii_ish = st.characters(max_codepoint=255, blacklist_characters="\x00")


@settings(max_examples=100, deadline=None)
@given(data=st.data(), encoding=st.sampled_from(sorted(ENCODINGS)))
def test_a_token_in_any_utf16_text_is_found_on_its_line(data: st.DataObject, encoding: str) -> None:
    """Any text around it with a BOM; without one, text whose characters leave every high byte
    NUL (Latin-1), which is how UTF-16 is told from other content."""
    alphabet = ascii_ish if "bom" not in encoding else st.characters(blacklist_categories=["Cs"])
    before = data.draw(st.text(alphabet=alphabet, max_size=300))
    after = data.draw(st.text(alphabet=alphabet, max_size=300))
    token = new_pat()
    text = f"{before}\n{token}\n{after}"
    assume("oi: allow" not in text)

    result = scan_stdin(ENCODINGS[encoding](text))

    assert result.rc == 1, result.why
    [finding] = [item for item in result.findings if item["fingerprint"] == fingerprint(token)]
    assert finding["line"] == before.count("\n") + 2


# --- larger than a window: decoded as it streams -------------------------------------------------


def test_a_big_utf16_file_across_windows(git_repo: GitRepo) -> None:
    """More than three windows of UTF-16LE with a BOM: tokens cut by the edge of the first and
    of the second window, and one near the end, each found once on its line, through stdin and
    through history."""
    edge = WINDOW // 2 - 1  # characters before the first window's end (the BOM takes two bytes)
    text = ("0" * 99 + "\n") * (3 * WINDOW // 200 + 1000)
    tokens = {edge - 20: new_pat(), 2 * edge - 19: new_api_token(), len(text) - 300: new_pat()}
    for offset, token in tokens.items():
        text = text[:offset] + " " + token + " " + text[offset + len(token) + 2 :]
    data = b"\xff\xfe" + text.encode("utf-16-le")
    assert len(data) > 3 * WINDOW
    lines = sorted(
        (fingerprint(token), text[: text.index(token)].count("\n") + 1) for token in tokens.values()
    )

    via_stdin = scan_stdin(data)
    git_repo.commit_file("big.txt", data)
    via_history = scan("--history", "--format", "json", cwd=git_repo.path)

    for result in (via_stdin, via_history):
        assert result.rc == 1, result.why
        assert sorted((item["fingerprint"], item["line"]) for item in result.findings) == lines
