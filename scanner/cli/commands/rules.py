"""`oi rules --format gitleaks|kingfisher|github|regex`: the registry as other scanners' rules.

The same formats `oi scan` finds, for gitleaks (and GitLab's secret detection), Kingfisher,
GitHub's custom patterns and partner program, and any regex engine. Standard library only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from scanner import rules_export
from scanner.errors import UsageError

FORMATS_HELP = """formats:
  gitleaks    a gitleaks config (also GitLab's custom secret detection ruleset)
  kingfisher  a Kingfisher rules file (kingfisher scan --rules-path FILE)
  github      JSON: GitHub custom patterns, and the partner program's list
  regex       one regex per line; group 1 is the token

A regex checks the shape only: a right-shaped string whose checksum or signature is wrong
matches too; oi scan checks those."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oi rules",
        description=__doc__.splitlines()[0],
        epilog=FORMATS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--format",
        required=True,
        metavar="|".join(rules_export.EXPORTS),
        help="which scanner's format to print",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.format not in rules_export.EXPORTS:
        choices = ", ".join(rules_export.EXPORTS)
        raise UsageError(f"unknown format {args.format!r} (choose from {choices})")
    sys.stdout.write(rules_export.render(args.format))
    return 0
