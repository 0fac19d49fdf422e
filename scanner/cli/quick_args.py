"""`oi scan`'s everyday command lines, read without argparse (its import and set-up cost every
commit more than the scan itself): the hooks' `oi scan --staged [FILE...]` and a tree's
`oi scan [--no-verify] [--format FORMAT] [PATH...]`. Anything else goes to argparse, which
reads these the same.
"""

from __future__ import annotations

# Options read here, each given at most once, before the paths: where it goes and its value.
FLAGS = {
    "--staged": ("staged", True),
    "--no-ignore": ("no_ignore", True),
    "--verify": ("verify", True),
    "--no-verify": ("verify", False),
}
# Options with a value (`--format json` or `--format=json`): where it goes and its choices.
VALUED = {"--format": ("format", ("text", "json", "sarif"))}


class QuickArguments:
    """Every option of `oi scan` at its default, but those given: one not given is None (or
    False, which reads the same), `--format` is text. tests/scanner/test_staged_start_up.py
    holds this to the parser's results, so an option added to `oi scan` with a default of its
    own fails there."""

    format = "text"

    def __init__(self, targets: list[str], given: dict[str, bool | str]) -> None:
        self.targets = targets
        self.__dict__.update(given)

    def __getattr__(self, name: str) -> None:
        if name.startswith("__"):
            raise AttributeError(name)
        return None


def parse(argv: list[str]) -> QuickArguments | None:
    """`[OPTION...] [PATH...]`, or None for any other command line (argparse's to read)."""
    given: dict[str, bool | str] = {}
    count = 0
    while count < len(argv):
        arg = argv[count]
        option, equals, value = arg.partition("=")
        if option in VALUED:
            if not equals:  # `--format json`: the value is the next argument
                count += 1
                value = argv[count] if count < len(argv) else ""
            name, choices = VALUED[option]
            if value not in choices:
                return None  # argparse says what is wrong with it
            setting: bool | str = value
        elif arg in FLAGS:
            name, setting = FLAGS[arg]
        else:
            break
        if name in given:
            return None  # `--verify --no-verify` and repeats: argparse's rules
        given[name] = setting
        count += 1
    targets = argv[count:]
    if any(target.startswith("-") and target != "-" for target in targets):
        return None
    return QuickArguments(targets, given)
