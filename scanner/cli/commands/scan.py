"""`oi scan`: find every token tokenpatrol issues in a tree, stdin, the index or git history.

Standard library only: this is the path every `git commit` takes through the pre-commit hook.
The report goes to stdout; warnings go to stderr, and so do hints on what to do about the
findings, for a person: when stderr is a terminal, or under the pre-commit framework (which
shows a failing hook's output to the person committing). The report stays clean for machines.
"""

from __future__ import annotations

import os
import sys

from scanner.errors import UsageError

# typing.TYPE_CHECKING without importing typing, which the hooks' path does late (mypy reads
# this the same).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from scanner.findings import Finding
    from scanner.report import Summary
    from scanner.sources import Item

# On the hooks' path the git processes start before the rest of the scanner is imported (the
# registry, detection, the report): they run while it loads. So the modules above are imported
# where they are used, and this module's own imports stay light.

EXIT_CLEAN, EXIT_FINDINGS = 0, 1
EXIT_CODES = """exit codes:
  0    nothing found
  1    findings
  2    usage or runtime error
  130  interrupted (Ctrl-C)
  141  the reader went away (oi scan | head)"""
SUGGESTED_BASELINE = ".tokenpatrol-baseline.json"
NO_LONGER_WORK = frozenset({"revoked", "expired", "revoked_now", "revoked_meanwhile"})


def build_parser() -> argparse.ArgumentParser:
    import argparse
    from pathlib import Path

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            self.print_usage(sys.stderr)
            raise UsageError(message)

    parser = _Parser(
        prog="oi scan",
        description=__doc__.splitlines()[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="PATH|REV_RANGE",
        help="paths to scan (default .), '-' for stdin; with --history, A..B",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--staged", action="store_true", help="scan the index (what a commit holds)")
    where.add_argument(
        "--history", action="store_true", help="scan every reachable blob in git history"
    )
    where.add_argument(
        "--pre-receive",
        action="store_true",
        help="a git server's pre-receive hook: judge what the push on stdin adds",
    )
    parser.add_argument(
        "--all", action="store_true", help="with --history: every ref (the default)"
    )
    parser.add_argument(
        "--since", metavar="REV", help="with --history: only commits after REV (REV..HEAD)"
    )
    parser.add_argument("--no-ignore", action="store_true", help="do not honour .gitignore")
    parser.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="the report: text for people (default), json, or sarif (GitHub code scanning)",
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the report here")
    parser.add_argument(
        "--baseline", type=Path, metavar="FILE", help="ignore fingerprints listed here"
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="write the current findings' fingerprints to --baseline FILE",
    )
    parser.add_argument(
        "--verify",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="check findings against the service",
    )
    parser.add_argument("--revoke", action="store_true", help="revoke live tokens found")
    parser.add_argument(
        "--app-url", metavar="URL", type=service_url, help="the tokenpatrol service (http[s]://)"
    )
    return parser


def service_url(value: str) -> str:
    """`--app-url`, checked where it is given; profiles (and json) load only when it is."""
    from scanner.cli.profiles import app_url_argument

    return app_url_argument(value)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[2:] if argv is None else argv)
    args = _quick_arguments(argv) or build_parser().parse_args(argv)
    _check_usage(args)
    if args.pre_receive:
        return _pre_receive(args)
    warnings: list[str] = []
    items, locate = _items(args, warnings)
    from scanner.report import Summary

    summary = Summary(source=_source_name(args), warnings=warnings)
    findings = _detect(_with_progress(items, args), summary)
    findings = locate(findings)
    _warn(warnings)
    if summary.scanned == 0 and any("missing" in warning for warning in warnings):
        from scanner.sources import SourceError

        raise SourceError("nothing could be read")
    if args.update_baseline:
        from scanner import baseline
        from scanner.report.text import plural

        count = baseline.save(args.baseline, findings)
        sys.stderr.write(f"oi scan: wrote {plural(count, 'fingerprint')} to {args.baseline}\n")
        return EXIT_CLEAN
    findings = _apply_baseline(findings, args.baseline, summary)
    _verification(args, findings, summary)
    summary.findings = len(findings)
    _report(findings, summary, args)
    if not findings:
        return EXIT_CLEAN
    if sys.stderr.isatty() or os.environ.get("PRE_COMMIT") == "1":
        _what_now(findings, args, argv)
    return EXIT_FINDINGS


def _quick_arguments(argv: list[str]) -> argparse.Namespace | None:
    """What the hooks run (`--staged` and the files pre-commit passes) and a plain tree scan,
    parsed without argparse (its import and set-up are a fifth of a commit's wait); anything
    else goes to argparse."""
    from scanner.cli import quick_args

    return quick_args.parse(argv)  # type: ignore[return-value]


def _check_usage(args: argparse.Namespace) -> None:
    if (args.all or args.since) and not args.history:
        raise UsageError("--all and --since go with --history")
    if args.history and args.all and (args.since or args.targets):
        raise UsageError("--all scans every ref: leave out --since and REV_RANGE")
    if args.update_baseline and args.baseline is None:
        raise UsageError("--update-baseline needs --baseline FILE")
    if args.pre_receive and (args.targets or args.update_baseline or args.output):
        raise UsageError("--pre-receive reads the push from stdin and reports to the pusher")
    if args.pre_receive and args.format != "text":
        raise UsageError("--pre-receive reports to the pusher in text: leave out --format")


def _source_name(args: argparse.Namespace) -> str:
    if args.history:
        return "blobs"
    return "staged files" if args.staged else "files"


def _items(args: argparse.Namespace, warnings: list[str]):  # type: ignore[no-untyped-def]
    """The items to scan, and how to place findings afterwards (history names commits)."""
    if args.history:
        from pathlib import Path

        from scanner.sources.history import HistoryScan

        ranges = [f"{args.since}..HEAD"] if args.since else list(args.targets)
        history = HistoryScan(Path.cwd(), ranges, warnings)
        return history.items(), history.locate
    if args.staged:
        from scanner.sources import staged

        if args.targets:  # the files the pre-commit framework passes
            return staged.read_named(os.getcwd(), args.targets, warnings), _unchanged
        return staged.read_index(os.getcwd(), warnings), _unchanged
    if args.targets == ["-"]:
        from scanner.sources.stdin import read_stdin

        return read_stdin(), _unchanged
    from scanner.sources.files import read_paths

    return read_paths(args.targets or ["."], respect_ignore=not args.no_ignore, warnings=warnings)


def _unchanged(findings: list[Finding]) -> list[Finding]:
    return findings


def _detect(items: Iterator[Item], summary: Summary) -> list[Finding]:
    from scanner import detect
    from scanner.findings import Finding

    findings = []
    for item in items:
        summary.scanned += 1
        if not item.data and item.rest is None:
            continue  # empty, or (a tree scan) a file git grep found no prefix in
        matches = (
            detect.find_tokens(item.data)
            if item.rest is None
            else detect.find_tokens_in_windows(item.data, item.rest)
        )
        for match in matches:
            if match.allowed:
                summary.allowed += 1
                continue
            findings.append(Finding(match.token, match.kind, item.path, match.line, blob=item.blob))
    return findings


def _with_progress(items: Iterator[Item], args: argparse.Namespace) -> Iterator[Item]:
    """A rich progress counter on stderr for history scans at a terminal (rich loads only then)."""
    if not args.history or not sys.stderr.isatty():
        yield from items
        return
    try:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    except ImportError:
        yield from items
        return
    columns = (SpinnerColumn(), TextColumn("{task.completed} blobs"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("scanning", total=None)
        for item in items:
            progress.advance(task)
            yield item


def _apply_baseline(findings: list[Finding], path: Path | None, summary: Summary) -> list[Finding]:
    if path is None:
        return findings
    from scanner import baseline

    accepted = baseline.load(path)
    kept = [finding for finding in findings if finding.fingerprint not in accepted]
    summary.baselined = len(findings) - len(kept)
    return kept


def _verification(args: argparse.Namespace, findings: list[Finding], summary: Summary) -> None:
    """Ask the service about each finding, and revoke the live ones with --revoke.

    History and tree scans verify by default when a service URL is known; --staged stays
    offline unless asked. A service that is down leaves every finding `unverified`.
    """
    wanted = args.revoke or args.verify or (args.verify is None and not args.staged)
    if not wanted or not findings:
        return
    from scanner import verify
    from scanner.cli.profiles import configured_app_url

    app_url = verify.app_url_for(configured_app_url(args.app_url), findings)
    if app_url is None:
        if (args.revoke or args.verify) and not args.pre_receive:
            sys.stderr.write(
                "oi scan: verification not configured: no service URL (--app-url or "
                "OPENINDEX_APP_URL); findings are unverified\n"
            )
        return
    try:
        verify.verify(findings, app_url)
        summary.verified = True
        if args.revoke:
            from pathlib import Path

            verify.revoke_live(findings, app_url, _source(args), Path.cwd())
    except verify.ServiceError as error:
        if not summary.verified:
            for finding in findings:
                finding.status = "unverified"
        sys.stderr.write(f"oi scan: {error}; findings are reported as they stand\n")


def _source(args: argparse.Namespace) -> str:
    if args.pre_receive:
        return "pre-receive"
    if args.staged:
        return "pre-commit"
    return "ci" if os.environ.get("CI") else "cli"


def _report(findings: list[Finding], summary: Summary, args: argparse.Namespace) -> None:
    """Only the chosen writer is imported: every commit pays for what `--staged` loads."""
    if args.format == "json":
        from scanner.report.json_report import write as writer
    elif args.format == "sarif":
        from scanner.report.sarif import write as writer
    else:
        from scanner.report.text import write as writer
    if args.output is None:
        writer(findings, summary, sys.stdout)
        return
    with args.output.open("w", encoding="utf-8") as stream:
        writer(findings, summary, stream)


def _what_now(findings: list[Finding], args: argparse.Namespace, argv: list[str]) -> None:
    """What to do about the findings, with the exact commands, on stderr."""
    import shlex

    again = ["oi", "scan", *argv]
    if all(finding.status in NO_LONGER_WORK for finding in findings):
        hints = ["these tokens no longer work (revoked or expired): delete them from the files"]
    else:
        hints = [
            "rotate each token (the web UI's Tokens page, or oi tokens rotate ID) or revoke it "
            "(oi revoke -, the token on stdin)"
        ]
        if not args.revoke:
            revoke = [word for word in again if word != "--no-verify"] + ["--revoke"]
            hints.append(f"revoke every live one: {shlex.join(revoke)}")
    keep = [] if args.baseline else ["--baseline", SUGGESTED_BASELINE]
    baseline = shlex.join([*again, "--update-baseline", *keep])
    hints.append(f"a finding that is meant to be there: {baseline}")
    _say(hints, "hint")


def _say(lines: list[str], label: str) -> None:
    """`oi scan: LABEL: line` on stderr, each line escaped and redacted."""
    from scanner import formats
    from scanner.printable import printable

    for line in lines:
        sys.stderr.write(f"oi scan: {label}: {printable(formats.redact_text(line))}\n")


def _warn(warnings: list[str]) -> None:
    if warnings:
        _say(warnings, "warning")


# --- oi scan --pre-receive: a git server's hook (hooks/pre-receive) --------------------------


def _pre_receive(args: argparse.Namespace) -> int:
    """Refuse a push that adds a token; one that cannot be scanned too, unless failing open."""
    from pathlib import Path

    from scanner.sources import push

    try:
        settings = push.settings(Path.cwd())
    except Exception as error:  # noqa: BLE001 - a push that cannot be judged is refused
        return _unscanned(error, fail_open=False)
    try:
        return _judge_push(args, settings.baseline)
    except Exception as error:  # noqa: BLE001 - any failure, a bug included: one line
        return _unscanned(error, fail_open=settings.fail_open)


def _judge_push(args: argparse.Namespace, baseline: Path | None) -> int:
    from pathlib import Path

    from scanner.report import Summary
    from scanner.sources import push
    from scanner.sources.history import HistoryScan

    revs = push.revisions(push.read_updates(sys.stdin.buffer))
    if not revs:
        return EXIT_CLEAN  # deletions only: nothing arrives
    warnings: list[str] = []
    summary = Summary(source="blobs", warnings=warnings)
    scan = HistoryScan(Path.cwd(), revs, warnings)
    findings = scan.locate(_detect(scan.items(), summary))
    _warn(warnings)
    findings = _apply_baseline(findings, args.baseline or baseline, summary)
    if not findings:
        return EXIT_CLEAN
    args.revoke = args.verify is not False  # revoked whenever a service is known
    _verification(args, findings, summary)
    summary.findings = len(findings)
    _refuse(findings, summary)
    return EXIT_FINDINGS


def _refuse(findings: list[Finding], summary: Summary) -> None:
    """The pusher's terminal shows this (git prefixes each line with `remote:`)."""
    from scanner.report import text

    count = text.plural(len(findings), "token")
    _tell([f"push refused: the pushed commits add {count}"])
    text.write(findings, summary, sys.stderr)
    _tell(_push_hints(findings))


def _push_hints(findings: list[Finding]) -> list[str]:
    dead = sum(finding.status in NO_LONGER_WORK for finding in findings)
    hints = [
        "hint: rewrite the commits that add them (git rebase -i, git commit --amend) and push "
        "again: every commit of the push is judged, not only the last"
    ]
    if dead:
        hints.append(f"hint: {dead} of them no longer work (revoked or expired): make new ones")
    if dead < len(findings):
        hints.append("hint: a token that still works: rotate or revoke it (oi revoke -)")
    hints.append("hint: a token meant to be there: add `oi: allow` to its line")
    return hints


def _unscanned(error: Exception, *, fail_open: bool) -> int:
    from scanner.errors import EXIT_ERROR, OiError

    reason = error.message if isinstance(error, OiError) else f"{type(error).__name__}: {error}"
    if fail_open:
        _tell([f"warning: push let through unscanned (tokenpatrol.failOpen): {reason}"])
        return EXIT_CLEAN
    _tell([f"push refused: it could not be scanned: {reason}"])
    return EXIT_ERROR


def _tell(lines: list[str]) -> None:
    """`tokenpatrol: line` on stderr, each line escaped and redacted."""
    from scanner import formats
    from scanner.printable import printable

    for line in lines:
        sys.stderr.write(f"tokenpatrol: {printable(formats.redact_text(line))}\n")
