"""Text for people: one line per finding, colour only at a terminal that wants it (not with
NO_COLOR set, nor TERM=dumb); what came from the repository (paths, authors) is escaped, so it
cannot drive the terminal."""

from __future__ import annotations

import os

from scanner.findings import Finding
from scanner.printable import printable
from scanner.report import Summary

TYPE_CHECKING = False  # typing stays unimported on the pre-commit path
if TYPE_CHECKING:
    from typing import TextIO

_RED, _YELLOW, _DIM, _RESET = "\033[31m", "\033[33m", "\033[2m", "\033[0m"


def colour_wanted(stream: TextIO) -> bool:
    """A terminal, and no-one said otherwise: NO_COLOR (any value, https://no-color.org) or a
    terminal that understands no escape sequence (TERM=dumb)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def plural(count: int, noun: str) -> str:
    """`1 finding`, `2 findings`; `noun` is the singular (`staged file` -> `staged files`)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def write(findings: list[Finding], summary: Summary, stream: TextIO) -> None:
    colour = colour_wanted(stream)

    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    for finding in findings:
        where = f"{printable(finding.display_path)}:{finding.line}"
        line = f"{where}: {paint(_RED, finding.redacted)} {finding.kind} " + paint(
            _DIM, f"fingerprint {finding.fingerprint} [{finding.status}]"
        )
        if finding.commit:
            who, when = printable(finding.author or ""), printable(finding.date or "")
            line += paint(_DIM, f" commit {finding.commit[:12]} {who} {when}")
        stream.write(line + "\n")
    stream.write(paint(_YELLOW if summary.findings else _DIM, _tail(summary)) + "\n")


def _tail(summary: Summary) -> str:
    """`2 findings in 3 files (1 in baseline, 0 allowed inline)`."""
    scanned = plural(summary.scanned, summary.source.removesuffix("s"))
    tail = f"{plural(summary.findings, 'finding')} in {scanned}"
    if summary.baselined or summary.allowed:
        tail += f" ({summary.baselined} in baseline, {summary.allowed} allowed inline)"
    return tail
