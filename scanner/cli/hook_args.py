"""`oi scan --staged [FILE...]` as argparse would parse it, for the hooks' start-up path."""

from __future__ import annotations


class HookArguments:
    """Every option of `oi scan` at its default: none given is None (or False, which reads the
    same), `--format` is text. tests/scanner/test_staged_start_up.py holds this to the parser's
    defaults, so an option added to `oi scan` with a default of its own fails there."""

    staged = True
    format = "text"

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets

    def __getattr__(self, name: str) -> None:
        if name.startswith("__"):
            raise AttributeError(name)
        return None
