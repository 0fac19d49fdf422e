"""The `oi` entry point: the one command table, and the one place an error becomes an exit code.

Every command is a function that returns its exit code. A failure is an `OiError` (see
`scanner.errors`): written here as one line, `oi COMMAND: error: ...`, and its exit code. A
command module is imported only when it runs, so `oi scan` stays light. `-h` and `--help`
work on every command and subcommand; a shell completing `oi` (see `oi completion`) is
answered here too, before any command runs.
"""

from __future__ import annotations

import os
import sys

from scanner.errors import EXIT_ERROR, EXIT_FAILED, OiError

# typing.TYPE_CHECKING without importing typing, which the hooks' path does late (mypy reads
# this the same).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

INTERRUPTED = "interrupted"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: `oi scan ... | head` ends quietly, as git does


class Command:
    """One entry of the table: a click command, or an argparse `main(argv)` whose module also
    defines `build_parser()` (for its help and its completion). A plain class, not a
    NamedTuple: `oi scan --staged` starts its git processes before `typing` is imported."""

    __slots__ = ("attribute", "help", "module", "uses_click")

    def __init__(self, module: str, attribute: str, help: str, uses_click: bool = True) -> None:
        self.module, self.attribute, self.help = module, attribute, help
        self.uses_click = uses_click

    def __repr__(self) -> str:
        return f"Command({self.module!r}, {self.attribute!r})"


COMMANDS: dict[str, Command] = {
    "scan": Command(
        "scanner.cli.commands.scan",
        "main",
        "Find leaked tokens in files, stdin, the index or history.",
        uses_click=False,
    ),
    "revoke": Command(
        "scanner.cli.commands.revoke",
        "main",
        "Revoke leaked tokens (TOKEN or - for stdin).",
        uses_click=False,
    ),
    "profile": Command(
        "scanner.cli.commands.profile", "profile", "Profiles: service URL, token, agent id."
    ),
    "auth": Command("scanner.cli.commands.auth", "auth", "oi auth check: is the token valid?"),
    "login": Command(
        "scanner.cli.commands.login", "login", "Sign in through the browser (OAuth + PKCE)."
    ),
    "logout": Command(
        "scanner.cli.commands.login", "logout", "Revoke and forget the oi login tokens."
    ),
    "tokens": Command("scanner.cli.commands.tokens", "tokens", "Your personal access tokens."),
    "api-tokens": Command("scanner.cli.commands.tokens", "api_tokens", "Your API tokens (oai_)."),
    "admin": Command(
        "scanner.cli.commands.admin", "admin", "Accounts, users, invites, settings, leaks."
    ),
    "serve": Command("app.cli", "serve", "Run the token service."),
    "server": Command("app.cli", "server", "Server maintenance commands (database)."),
    "rules": Command(
        "scanner.cli.commands.rules",
        "main",
        "Print the token formats as gitleaks, Kingfisher, GitHub or regex rules.",
        uses_click=False,
    ),
    "completion": Command(
        "scanner.cli.commands.completion",
        "completion",
        "Print a shell completion script: bash, zsh or fish.",
    ),
}
HELP_OPTIONS = ("-h", "--help")
COMPLETE_VAR = "_OI_COMPLETE"  # set by the completion script when the shell asks oi

# Commands that run the service: they need the `server` extra, which a scanner-only install
# (the pre-commit hook's) does not have.
SERVER_COMMANDS = frozenset({"serve", "server"})
SERVER_HINT = (
    "the token service is not installed here (this install has the scanner and the client "
    "only): pip install 'tokenpatrol[server]'"
)

USAGE = "usage: oi COMMAND [ARGS]...\n\ncommands:\n" + "".join(
    f"  {name:<10} {command.help}\n" for name, command in COMMANDS.items()
)


def main(argv: Sequence[str] | None = None) -> int:
    if os.environ.get(COMPLETE_VAR):
        return _guarded("oi", _complete)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in HELP_OPTIONS:
        sys.stdout.write(USAGE)
        return 0 if args else EXIT_ERROR
    if args[0] in ("-V", "--version"):
        from scanner import installed_version

        sys.stdout.write(f"oi {installed_version()}\n")
        return 0
    if args[0] == "help":
        if len(args) == 1:
            sys.stdout.write(USAGE)
            return 0
        args = [args[1], "--help"]
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        return _fail("oi", f"error: {_unknown(name)}", EXIT_ERROR)
    return run(name, rest)


def _unknown(name: str) -> str:
    """`unknown command 'scna'; did you mean 'scan'?`, as git and gh answer a typo."""
    import difflib

    close = difflib.get_close_matches(name, [*COMMANDS, "help"], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown command {name!r}{hint} (oi help lists the commands)"


def run(name: str, rest: list[str]) -> int:
    """Run one command, through `_guarded`."""
    return _guarded(f"oi {name}", lambda: _load(name)(rest))


def _complete() -> int:
    from scanner.cli.commands import completion

    return completion.answer(os.environ[COMPLETE_VAR])


def _guarded(prog: str, command: Callable[[], int]) -> int:
    """Every way a command can end becomes an exit code here, and only here."""
    try:
        return command()
    except OiError as error:
        return _fail(prog, error.line(), error.exit_code)
    except SystemExit as done:  # argparse's --help, or a usage error it already explained
        return 0 if done.code is None else done.code if isinstance(done.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return _fail(prog, INTERRUPTED, EXIT_INTERRUPTED)
    except BrokenPipeError:  # the reader went away: nothing left to say, and nobody to say it to
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as error:
        return _fail(prog, f"error: {_describe(error)}", EXIT_ERROR)
    except Exception as error:  # noqa: BLE001 - a bug: still one line, never a traceback
        return _fail(prog, f"unexpected error: {type(error).__name__}: {error}", EXIT_ERROR)


def _load(name: str) -> Callable[[list[str]], int]:
    entry = COMMANDS[name]
    try:
        # The builtin import, not importlib's (which loads `warnings` too, on every commit).
        module = __import__(entry.module, fromlist=[entry.attribute])
    except ModuleNotFoundError as missing:
        if name not in SERVER_COMMANDS or (missing.name or "").startswith(("app", "scanner")):
            raise
        raise OiError(SERVER_HINT, exit_code=EXIT_ERROR) from None
    command = getattr(module, entry.attribute)
    if not entry.uses_click:
        return command  # type: ignore[no-any-return]
    return lambda rest: _run_click(command, f"oi {name}", rest)


def _run_click(command: Any, prog: str, rest: list[str]) -> int:
    import click

    try:
        # Without standalone mode click hands back the callback's return value (its exit code).
        outcome = command.main(
            rest, prog_name=prog, standalone_mode=False, help_option_names=list(HELP_OPTIONS)
        )
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return EXIT_ERROR if isinstance(error, click.UsageError) else EXIT_FAILED
    except click.exceptions.Abort:
        return _fail(prog, "aborted", EXIT_FAILED)
    return outcome if isinstance(outcome, int) else 0


def _fail(prog: str, line: str, exit_code: int) -> int:
    from scanner import formats
    from scanner.printable import printable

    sys.stderr.write(f"{prog}: {printable(formats.redact_text(line))}\n")
    return exit_code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush has nowhere to fail."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _describe(error: OSError) -> str:
    if error.filename:
        return f"{error.strerror}: {error.filename}"
    return str(error)


if __name__ == "__main__":
    raise SystemExit(main())
