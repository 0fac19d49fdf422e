"""Which blobs a history scan copies out of cat-file's stream: `detect.may_hold_token`, with
Hyperscan's stem search in front when the `hyperscan` extra is installed.

Every reachable blob is searched for a prefix stem, and on a real history that search is most
of the scan's own time (pytest's 1.4 GiB of blobs: `re` reads about 1 GB/s, Hyperscan's SIMD
literal matcher 4 to 5 GB/s). The answer is the same either way: the literal stems
(`detect.STEMS`), then the same UTF-16 check. Without the extra, or where Hyperscan cannot
build its database (a CPU it does not support), the scan uses `re`, as the pre-commit path
always does (it imports nothing outside the standard library).
"""

from __future__ import annotations

import re
from typing import Any

from scanner import detect
from scanner.git import Selector


def blob_selector() -> tuple[Selector, str]:
    """The fastest exact selector this installation has, and the name of its engine."""
    try:
        import hyperscan
    except ImportError:
        return detect.may_hold_token, "re"
    try:
        return _hyperscan_selector(hyperscan), "hyperscan"
    except hyperscan.HyperscanError:  # e.g. a CPU without the instructions it needs
        return detect.may_hold_token, "re"


def _hyperscan_selector(hyperscan: Any) -> Selector:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[re.escape(stem) for stem in detect.STEMS],
        ids=list(range(len(detect.STEMS))),
        elements=len(detect.STEMS),
        flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(detect.STEMS),
    )
    terminated = hyperscan.ScanTerminated

    def stop_at_first(*_match: Any) -> bool:
        return True  # one stem is enough: Hyperscan ends the scan by raising ScanTerminated

    def may_hold_token(buffer: bytearray, start: int, end: int) -> bool:
        try:
            database.scan(memoryview(buffer)[start:end], match_event_handler=stop_at_first)
        except terminated:
            return True
        return detect.may_be_utf16(buffer, start, end)

    return may_hold_token
