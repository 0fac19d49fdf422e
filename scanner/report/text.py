"""Text for people: one line per finding, colour when the stream is a terminal; what came from
the repository (paths, authors) is escaped, so it cannot drive the terminal."""

from __future__ import annotations

from typing import TextIO

from scanner.findings import Finding
from scanner.printable import printable
from scanner.report import Summary

_RED, _YELLOW, _DIM, _RESET = "\033[31m", "\033[33m", "\033[2m", "\033[0m"


def write(findings: list[Finding], summary: Summary, stream: TextIO) -> None:
    colour = stream.isatty()

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
    noun = "finding" if summary.findings == 1 else "findings"
    tail = f"{summary.findings} {noun} in {summary.scanned} {summary.source}"
    if summary.baselined or summary.allowed:
        tail += f" ({summary.baselined} in baseline, {summary.allowed} allowed inline)"
    stream.write(paint(_YELLOW if summary.findings else _DIM, tail) + "\n")
