"""The history scan's first look at each blob is Hyperscan when the `hyperscan` extra is
installed, and `re` without it: both let through exactly the same blobs, so a scan finds the
same either way."""

from __future__ import annotations

import codecs
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner import detect, formats, stem_search
from tests.scanner.conftest import GitRepo, new_invite, new_pat, scan_json

pytest.importorskip("hyperscan", reason="the hyperscan extra is not installed")

# Stems whole and cut, look-alikes of them, NULs (UTF-16's sign) and plain text.
_PIECES = st.sampled_from(
    [*detect.STEMS, b"oi", b"i_", b"oa", b"ai_", b"o", b"_", b"\0", b"\xff\xfe", b"text\n"]
)


def _without_hyperscan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # `import hyperscan` now fails


def test_the_engine_is_hyperscan_when_it_imports_and_re_when_it_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert stem_search.blob_selector()[1] == "hyperscan"
    _without_hyperscan(monkeypatch)
    selector, engine = stem_search.blob_selector()
    assert (selector, engine) == (detect.may_hold_token, "re")


@settings(max_examples=400, deadline=None)
@given(
    pieces=st.lists(st.one_of(_PIECES, st.binary(max_size=12)), max_size=24),
    cut=st.tuples(st.integers(0, 400), st.integers(0, 400)),
)
def test_both_engines_let_through_the_same_spans(pieces: list[bytes], cut: tuple[int, int]) -> None:
    """Any span of any buffer, stems at its edges and across them included: the same answer
    as `re` gives on the span's content alone. (`re` given the whole buffer may also look
    behind the span's start: a stem cut by it can make it say yes, which is safe; in cat-file's
    stream a blob follows its header's newline, so no stem is cut there.)"""
    buffer = bytearray(b"".join(pieces))
    start, end = sorted(min(point, len(buffer)) for point in cut)
    fast, engine = stem_search.blob_selector()
    assert engine == "hyperscan"
    alone = bytearray(buffer[start:end])
    assert fast(buffer, start, end) == detect.may_hold_token(alone, 0, len(alone))


def test_a_history_scan_finds_the_same_with_and_without_hyperscan(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tokens at a blob's first and last bytes, glued to text, in UTF-16 with no ASCII stem and
    in a binary; look-alike stems in many blobs that hold none: one report, either engine."""
    first, last, glued = new_pat(), new_invite(), new_pat()
    git_repo.write("edges.txt", f"{first}\n{'x' * 5000}\n{last}")
    git_repo.write("glued.txt", f"PASSWORD{glued}xyz\n")
    git_repo.write("utf16.txt", codecs.encode(f"KEY={new_pat()}\r\n", "utf-16"))
    git_repo.write("blob.bin", b"\x00\x01\x02" * 100 + new_invite().encode() + b"\xff" * 100)
    for number in range(300):
        git_repo.write(f"clean/{number:03}.txt", f"oi_ oai oi_pat_ api_{number}\n" * 20)
    git_repo.commit("tokens where a prefilter could miss them")
    git_repo.commit_file("edges.txt", "gone\n")

    rc_fast, with_hyperscan = scan_json("--history", cwd=git_repo.path)
    _without_hyperscan(monkeypatch)
    rc_re, with_re = scan_json("--history", cwd=git_repo.path)

    assert rc_fast == rc_re == 1
    assert with_hyperscan == with_re
    found = {(f["path"], f["fingerprint"]) for f in with_re["findings"]}
    for path, token in (("edges.txt", first), ("edges.txt", last), ("glued.txt", glued)):
        assert (path, formats.fingerprint(token)) in found
    assert {path for path, _ in found} == {"edges.txt", "glued.txt", "utf16.txt", "blob.bin"}
