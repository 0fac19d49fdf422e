"""`oi revoke TOKEN|-`: kill a leaked token (one pasted in a chat, say) through the leak protocol.

The tokens are found in the text with the scanner's own detector, so a whole pasted message
works, and only valid tokens of this service are ever sent: nothing else in the paste travels.

Exit codes: 0 every token is now revoked, 1 some token was unknown to the service or none was
found, 2 usage or service error. Prefer `-` (stdin): arguments show up in process lists.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from scanner import detect, formats
from scanner.cli.profiles import app_url_argument
from scanner.errors import OiError, UsageError

EXIT_DONE, EXIT_UNKNOWN, EXIT_ERROR = 0, 1, 2
EXIT_CODES = """exit codes:
  0    every token found is now revoked
  1    a token was unknown to the service, or none was found
  2    usage or service error
  130  interrupted (Ctrl-C)"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oi revoke",
        description=__doc__.splitlines()[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "token", metavar="TOKEN|-", help="a raw token, or - to read them from stdin (safer)"
    )
    parser.add_argument(
        "--app-url",
        metavar="URL",
        type=app_url_argument,
        help="the tokenpatrol service (http[s]://)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or json",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    text = sys.stdin.read() if args.token == "-" else args.token
    if not text.strip():
        raise UsageError("no token given")
    tokens = _tokens(text)
    if not tokens:
        raise OiError(_nothing_found(text))
    from scanner.cli.profiles import configured_app_url
    from scanner.client import LeakClient
    from scanner.transport import ServiceError

    app_url = configured_app_url(args.app_url)
    if app_url is None:
        raise UsageError("no service URL (--app-url or OPENINDEX_APP_URL)")
    try:
        results = LeakClient(app_url).revoke(tokens, {}, "manual")
    except ServiceError as error:
        error.exit_code = EXIT_ERROR  # unlike an unknown token (1), nothing was decided
        raise
    _print(tokens, results, args.format)
    return EXIT_UNKNOWN if any(r.get("result") == "unknown" for r in results) else EXIT_DONE


def _tokens(text: str) -> list[str]:
    """The valid tokens of this service in `text`, each once, in order."""
    data = text.encode("utf-8", "surrogateescape")
    return list(dict.fromkeys(match.token for match in detect.find_tokens(data)))


def _nothing_found(text: str) -> str:
    prefixes = [fmt.prefix for fmt in formats.REGISTRY if fmt.prefix in text]
    if prefixes:
        return f"no tokenpatrol token found: {prefixes[0]}... fails its checksum or signature"
    return "no tokenpatrol token found in the input"


def _print(tokens: list[str], results: list[dict[str, object]], output: str) -> None:
    rows = [
        {
            "redacted": formats.redact(token),
            "fingerprint": formats.fingerprint(token),
            "result": str(result.get("result")),
        }
        for token, result in zip(tokens, results, strict=True)
    ]
    if output == "json":
        json.dump({"results": rows}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for row in rows:
        sys.stdout.write(
            f"{row['redacted']} ({row['fingerprint']}): {row['result'].replace('_', ' ')}\n"
        )
    if any(row["result"] == "revoked" for row in rows):
        sys.stdout.write("Create a replacement: oi tokens create, or POST /me/pats.\n")
