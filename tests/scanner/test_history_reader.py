"""`oi scan --history` reads cat-file's output through one reused buffer and copies out only the
blobs that could hold a token; commits are named from a second walk run beside the read
(`git.Introductions`). Blobs of every size around the buffer's, tokens at their edges, and
blobs added twice or renamed keep the same answers."""

from __future__ import annotations

import codecs
import os
import threading
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner import blob_streams, detect, formats
from scanner.git import SCAN_BUFFER
from scanner.sources.history import HistoryScan
from tests.scanner.conftest import (
    GitRepo,
    clone,
    expected,
    fingerprints,
    new_invite,
    new_pat,
    scan,
    scan_json,
)
from tests.scanner.test_large_content import content_with_tokens, line_of


def exactly(size: int, tokens: dict[int, str]) -> bytes:
    """`size` bytes (no fewer: the sizes matter here) of lines of zeros, each token on a line
    of its own at its offset."""
    data = bytearray(content_with_tokens(size + 100, {}))
    for offset, token in tokens.items():
        line = b"\n" + token.encode("ascii") + b"\n"
        data[offset : offset + len(line)] = line
    return bytes(data[:size])


def _found(report: dict[str, object]) -> list[tuple[str, str, int]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return sorted((f["fingerprint"], f["path"], f["line"]) for f in findings)


def test_blobs_of_every_size_around_the_buffer_keep_tokens_at_their_edges(
    git_repo: GitRepo,
) -> None:
    """Objects that end just before, at and just after the buffer's end, one after another: a
    token at the start, the middle and the end of each is found once, on its line."""
    sizes = [SCAN_BUFFER - 300, SCAN_BUFFER - 150, SCAN_BUFFER - 1, SCAN_BUFFER, SCAN_BUFFER + 1]
    sizes += [2 * SCAN_BUFFER + 7, 700, 3 * SCAN_BUFFER // 2]
    wanted = []
    for number, size in enumerate(sizes):
        tokens = {0: new_pat(), size // 2: new_invite(), size - 47: new_pat()}
        data = exactly(size, tokens)
        assert len(data) == size
        name = f"part{number:02}.txt"
        git_repo.write(name, data)
        wanted += [(formats.fingerprint(t), name, line_of(data, t)) for t in tokens.values()]
    git_repo.commit("blobs around the buffer's size")

    done = scan("--history", "--format", "json", cwd=git_repo.path)

    assert done.rc == 1, done.why
    assert _found(done.json()) == sorted(wanted)
    assert done.json()["summary"]["scanned"] == len(sizes)


def test_a_token_cut_by_the_buffer_size_in_a_blob_bigger_than_the_buffer(
    git_repo: GitRepo,
) -> None:
    """A blob larger than the buffer (and smaller than a window) is read whole: a token that
    crosses the buffer's size in it, and one after, are found."""
    cut, after = new_pat(), new_invite()
    size = 3 * SCAN_BUFFER
    data = content_with_tokens(size, {SCAN_BUFFER - 20: cut, 2 * SCAN_BUFFER + 5: after})
    git_repo.commit_file("a-small.txt", "nothing here\n")
    git_repo.commit_file("big.txt", data)
    git_repo.commit_file("z-small.txt", f"{new_pat()}\n")

    done = scan("--history", "--format", "json", cwd=git_repo.path)

    assert done.rc == 1, done.why
    found = [(fp, line) for fp, path, line in _found(done.json()) if path == "big.txt"]
    assert found == sorted((formats.fingerprint(t), line_of(data, t)) for t in (cut, after))
    assert len(done.json()["findings"]) == 3


def test_many_small_blobs_each_with_a_token_and_many_without(git_repo: GitRepo) -> None:
    """Thousands of objects, several buffers' worth (so buffers end in the middle of objects):
    each token is attributed to its own blob and path, and blobs holding only a look-alike stem
    (`oi_`, `oai`) report nothing."""
    tokens = {}
    count = 2000
    for number in range(count):
        git_repo.write(f"clean/{number:04}.txt", f"oi_ and oai and oi_pat_ {number}\n" * 60)
        if number % 7 == 0:
            tokens[f"dirty/{number:04}.txt"] = token = new_pat()
            git_repo.write(f"dirty/{number:04}.txt", f"{'x' * number}\nKEY={token}\n")
    git_repo.commit("many blobs")

    done = scan("--history", "--format", "json", cwd=git_repo.path)

    assert done.rc == 1, done.why
    assert _found(done.json()) == sorted((formats.fingerprint(t), p, 2) for p, t in tokens.items())
    assert done.json()["summary"]["scanned"] == count + len(tokens)


def test_utf16_blob_without_an_ascii_prefix_is_still_read(git_repo: GitRepo) -> None:
    """UTF-16 content holds no ASCII stem: it is let through on its looks, and decoded."""
    token = new_pat()
    for codec, name in (("utf-16", "bom.txt"), ("utf-16-le", "le.txt"), ("utf-16-be", "be.txt")):
        git_repo.write(name, codecs.encode(f"first line\nTOKEN={token}\n", codec))
    git_repo.commit("powershell output")

    done = scan("--history", "--format", "json", cwd=git_repo.path)

    assert done.rc == 1, done.why
    assert _found(done.json()) == sorted(
        (formats.fingerprint(token), name, 2) for name in ("be.txt", "bom.txt", "le.txt")
    )


def test_a_blob_added_in_two_commits_and_paths_names_the_earliest(git_repo: GitRepo) -> None:
    """The same content committed again elsewhere (and on a branch) is one blob: the finding
    names the first commit that added it and the path it had there."""
    git_repo.commit_file("README.md", "hello\n", "init")
    token = new_pat()
    content = f"TOKEN={token}\n"
    first = git_repo.commit_file("config/first.env", content, "first")
    git_repo.git("rm", "-q", "config/first.env")
    git_repo.commit("removed")
    git_repo.commit_file("later/copy.env", content, "added again")
    git_repo.git("switch", "-q", "-c", "side")
    git_repo.commit_file("side/third.env", content, "and on a branch")
    git_repo.git("switch", "-q", "main")

    rc, report = scan_json("--history", cwd=git_repo.path)

    assert rc == 1
    [finding] = report["findings"]
    assert (finding["commit"], finding["path"]) == (first, "config/first.env")
    assert fingerprints(report["findings"]) == expected(token)


def test_a_thousand_blobs_with_findings_are_named_the_same_way(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    """Many blobs with findings (more than a command line could name one by one) get the same
    earliest commit and path, in a bare repository too."""
    git_repo.commit_file("README.md", "hello\n", "init")
    count = 1001
    tokens = [new_pat() for _ in range(count)]
    for number, token in enumerate(tokens):
        git_repo.write(f"keys/{number:04}.env", f"KEY={token}\n")
    first = git_repo.commit("many keys")
    git_repo.write("again/0000.env", f"KEY={tokens[0]}\n")
    git_repo.commit("one again")
    bare = clone(git_repo, tmp_path / "server.git", "--bare")

    for repo in (git_repo, bare):
        rc, report = scan_json("--history", cwd=repo.path)
        assert rc == 1
        assert len(report["findings"]) == count
        assert {f["commit"] for f in report["findings"]} == {first}
        paths = {f["fingerprint"]: f["path"] for f in report["findings"]}
        assert paths[formats.fingerprint(tokens[0])] == "keys/0000.env"


def test_a_blob_from_a_merged_branch_is_named_by_the_branch_not_the_merge(
    git_repo: GitRepo,
) -> None:
    """The walk lists parents before children: the side branch's commit comes before the merge
    that brought its blob in, and a path with spaces and accents comes back as it is."""
    git_repo.commit_file("README.md", "hello\n", "init")
    token, merged_later = new_pat(), new_invite()
    git_repo.git("switch", "-q", "-c", "side")
    added = git_repo.commit_file("dir with space/réglages.env", f"KEY={token}\n", "on the side")
    git_repo.git("switch", "-q", "main")
    git_repo.commit_file("main.txt", "meanwhile\n", "main moves on")
    git_repo.git("merge", "-q", "--no-ff", "--no-edit", "side")
    git_repo.commit_file("late.env", f"KEY={merged_later}\n", "after the merge")
    after = git_repo.rev()

    rc, report = scan_json("--history", cwd=git_repo.path)

    assert rc == 1
    named = {f["fingerprint"]: (f["commit"], f["path"]) for f in report["findings"]}
    assert named == {
        formats.fingerprint(token): (added, "dir with space/réglages.env"),
        formats.fingerprint(merged_later): (after, "late.env"),
    }


def test_a_bare_repository_reads_big_and_small_blobs(git_repo: GitRepo, tmp_path: Path) -> None:
    token, big_token = new_pat(), new_invite()
    git_repo.commit_file("small.env", f"TOKEN={token}\n")
    data = content_with_tokens(2 * SCAN_BUFFER, {SCAN_BUFFER + 3: big_token})
    introduced = git_repo.commit_file("big.txt", data)
    bare = clone(git_repo, tmp_path / "server.git", "--bare")

    rc, report = scan_json("--history", cwd=bare.path)

    assert rc == 1
    assert fingerprints(report["findings"]) == expected(token, big_token)
    [big] = [f for f in report["findings"] if f["path"] == "big.txt"]
    assert (big["commit"], big["line"]) == (introduced, line_of(data, big_token))


# --- the check that lets a blob through, against find_tokens itself ---------------------------

_PIECES = st.sampled_from(
    [b"oi_", b"oai_", b"oi_pat_", b"\0", b"o\0i\0_\0", b"\xff\xfe", b"\n", b"x" * 30, b"_"]
)


@settings(max_examples=300, deadline=None)
@given(
    before=st.binary(max_size=40),
    pieces=st.lists(st.one_of(_PIECES, st.binary(max_size=20)), max_size=12),
    with_token=st.booleans(),
    codec=st.sampled_from([None, "utf-16-le", "utf-16-be", "utf-16"]),
    after=st.binary(max_size=40),
)
def test_content_turned_down_holds_no_token(
    before: bytes, pieces: list[bytes], with_token: bool, codec: str | None, after: bytes
) -> None:
    """Whatever the content and wherever it sits in a larger buffer, `may_hold_token` says no
    only when `find_tokens` of that content finds nothing; and content with a token is let
    through."""
    content = b"".join(pieces)
    if with_token:
        text = f"KEY={formats.PERSONAL_ACCESS_TOKEN.generate()}\n"
        content += text.encode("ascii") if codec is None else codecs.encode(text, codec)
    buffer = bytearray(before + content + after)
    start, end = len(before), len(before) + len(content)

    if not detect.may_hold_token(buffer, start, end):
        assert list(detect.find_tokens(content)) == []
    if list(detect.find_tokens(content)):
        assert detect.may_hold_token(buffer, start, end)


def test_findings_come_in_the_listing_s_order_though_two_processes_read_the_blobs(
    git_repo: GitRepo,
) -> None:
    """The blobs are dealt to two cat-file processes in runs (`blob_streams.RUN`), read side by
    side: the findings still come in the order of one walk of the history, whichever process
    got there first, and each blob is counted once."""
    runs = 5 * blob_streams.RUN // 2  # blobs enough for both processes to get several runs
    tokens = {f"f{number:05}.txt": new_pat() for number in range(0, runs, 97)}
    for number in range(runs):
        name = f"f{number:05}.txt"
        git_repo.write(name, f"{tokens.get(name, 'nothing')} {number}\n")
    git_repo.commit("many blobs")

    done = scan("--history", "--format", "json", cwd=git_repo.path)
    one_walk = git_repo.git("rev-list", "--objects", "--filter=object:type=blob", "--all")
    listed = [line.split(" ", 1)[1] for line in one_walk.splitlines() if " " in line]

    assert done.rc == 1, done.why
    paths = [finding["path"] for finding in done.json()["findings"]]
    assert paths == [path for path in listed if path in tokens]
    assert done.json()["summary"]["scanned"] == runs


def test_a_history_read_stopped_early_leaves_no_process_or_thread(git_repo: GitRepo) -> None:
    """Closing the scan after its first blob (an error downstream, ^C) ends both cat-file
    processes, the lister and every reading thread."""
    for number in range(3 * blob_streams.RUN):
        git_repo.write(f"f{number:05}.txt", f"{new_pat()}\n")
    git_repo.commit("many blobs")
    threads_before, children_before = set(threading.enumerate()), _git_children()

    history = HistoryScan(git_repo.path, [], [])
    items = history.items()
    next(items)
    items.close()

    assert set(threading.enumerate()) - threads_before == set()
    assert _git_children() - children_before == set()


def _git_children() -> set[int]:
    """The git processes this process has started and not reaped (zombies included)."""
    children = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                name = Path(f"/proc/{pid}/comm").read_text()
            except FileNotFoundError:  # reaped since it was listed
                continue
            if name.startswith("git"):
                children.add(int(pid))
    return children
