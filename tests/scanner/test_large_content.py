"""Red-team finding 14: a 1 GB blob of zeros pushed the scanner to 990 MB. Content larger than a
window is read and scanned window by window: memory stays bounded, and a token anywhere in it,
across a window's edge too, is found once, on its own line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scanner import formats
from scanner.detect import WINDOW
from tests.scanner.conftest import GitRepo, new_pat, scan, scan_stdin

BIG = 128 << 20  # far above a window; a scanner that held it whole would show it in its peak


def content_with_tokens(size: int, tokens: dict[int, str]) -> bytes:
    """`size` bytes of newline-separated zeros with each token, on a line of its own, written
    at its offset."""
    data = bytearray(b"0" * 99 + b"\n") * (size // 100)
    for offset, token in tokens.items():
        line = b"\n" + token.encode("ascii") + b"\n"
        data[offset : offset + len(line)] = line
    return bytes(data)


def line_of(data: bytes, token: str) -> int:
    return data.count(b"\n", 0, data.index(token.encode("ascii"))) + 1


# The tokens' lines start a few bytes before the offsets given.


@pytest.fixture
def across_windows() -> tuple[bytes, list[str]]:
    """Three windows' worth, a token cut by the first window's edge and one at the very end."""
    cut, last = new_pat(), new_pat()
    size = 3 * WINDOW
    data = content_with_tokens(size, {WINDOW - 10: cut, size - 200: last})
    return data, [cut, last]


def assert_found_once(report: dict[str, object], data: bytes, tokens: list[str]) -> None:
    findings = report["findings"]
    assert isinstance(findings, list)
    found = sorted((f["fingerprint"], f["line"]) for f in findings)
    assert found == sorted((formats.fingerprint(t), line_of(data, t)) for t in tokens)


def test_a_tree_file_across_windows(
    git_repo: GitRepo, across_windows: tuple[bytes, list[str]]
) -> None:
    data, tokens = across_windows
    git_repo.write("big.txt", data)
    done = scan("--format", "json", cwd=git_repo.path)
    assert done.rc == 1, done.why
    assert_found_once(done.json(), data, tokens)


def test_stdin_across_windows(across_windows: tuple[bytes, list[str]]) -> None:
    data, tokens = across_windows
    done = scan_stdin(data)
    assert done.rc == 1, done.why
    assert_found_once(done.json(), data, tokens)


def test_history_and_staged_across_windows(
    git_repo: GitRepo, across_windows: tuple[bytes, list[str]]
) -> None:
    data, tokens = across_windows
    git_repo.commit_file("small.txt", "nothing\n")
    git_repo.write("big.txt", data)
    git_repo.add("big.txt")
    staged = scan("--staged", "--format", "json", cwd=git_repo.path)
    assert staged.rc == 1, staged.why
    assert_found_once(staged.json(), data, tokens)
    git_repo.commit("big")
    history = scan("--history", "--format", "json", cwd=git_repo.path)
    assert history.rc == 1, history.why
    assert_found_once(history.json(), data, tokens)
    # HEAD holds both now: a change elsewhere in the big file reports neither again.
    git_repo.write("big.txt", data.replace(b"0" * 99, b"1" * 99, 1))
    git_repo.add("big.txt")
    again = scan("--staged", "--format", "json", cwd=git_repo.path)
    assert again.rc == 0 and again.json()["findings"] == [], again.why


def peak_rss_kib(cwd: Path, *args: str) -> int:
    """`oi ARGS` in a process of its own; the peak resident size of that Python process.

    Read from /proc (VmHWM), which starts afresh at exec: getrusage's ru_maxrss would also
    count the pages of this test process that the child shared before it exec'd."""
    probe = (
        "import re, sys\n"
        "from scanner.cli import main\n"
        f"code = main({list(args)!r})\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s*(\\d+)', status).group(1), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 1, formats.redact_text(done.stderr[-2000:])
    return int(done.stderr.strip().splitlines()[-1])


def test_memory_stays_bounded_for_a_blob_far_larger_than_a_window(git_repo: GitRepo) -> None:
    token = new_pat()
    git_repo.commit_file("small.txt", f"{token}\n")
    small_peak = peak_rss_kib(git_repo.path, "scan", "--history", "--no-verify", "--format", "json")
    git_repo.commit_file("zeros.bin", content_with_tokens(BIG, {BIG - 500: new_pat()}))
    big_peak = peak_rss_kib(git_repo.path, "scan", "--history", "--no-verify", "--format", "json")
    grown_mib = (big_peak - small_peak) / 1024
    assert grown_mib < BIG / (1 << 20) / 2, f"the scan grew by {grown_mib:.0f} MiB (held it whole?)"
    report = scan("--history", "--format", "json", cwd=git_repo.path).json()
    assert len(report["findings"]) == 2
    assert json.dumps(report).count("zeros.bin") == 1
