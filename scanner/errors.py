"""The one exception base of the `oi` program and the scanner library.

Every failure a person should read is an `OiError`: a message that never holds a whole token,
and the exit code it ends the command with. `scanner.cli.main` is the one place that turns it
into a line on stderr and that code; nothing else prints an error or picks an exit code.
"""

from __future__ import annotations

EXIT_FAILED = 1  # the answer is no: refused, invalid, unreachable, findings
EXIT_ERROR = 2  # the command could not run: usage, a repository or file it cannot read


class OiError(Exception):
    """A failure with a one-line message (redacted) and the exit code it ends the command with."""

    exit_code = EXIT_FAILED
    label = "error"

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        from scanner import formats  # here: the hooks' path starts git before it loads

        self.message = formats.redact_text(message)
        super().__init__(self.message)
        if exit_code is not None:
            self.exit_code = exit_code

    def line(self) -> str:
        """What follows `oi COMMAND: ` on stderr."""
        return f"{self.label}: {self.message}"


class UsageError(OiError):
    """The command was called wrongly: the message says how to call it."""

    exit_code = EXIT_ERROR
