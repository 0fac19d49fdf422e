"""The `oi` entry point. Every command group loads on demand: `oi scan` stays light."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

# name -> (module, attribute, one-line help). Nothing is imported until the command runs.
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "scan": (
        "scanner.scan_command",
        "main",
        "Find leaked tokens in files, stdin, the index or history.",
    ),
    "revoke": ("scanner.revoke_command", "main", "Revoke leaked tokens (TOKEN or - for stdin)."),
    "profile": ("scanner.profile_command", "profile", "Profiles: service URL, token, agent id."),
    "auth": ("scanner.profile_command", "auth", "oi auth check: is the token valid?"),
    "login": ("scanner.login_command", "login", "Sign in through the browser (OAuth + PKCE)."),
    "logout": ("scanner.login_command", "logout", "Revoke and forget the oi login tokens."),
    "tokens": ("scanner.client_commands", "tokens", "Your personal access tokens."),
    "api-tokens": ("scanner.client_commands", "api_tokens", "Your API tokens (oai_)."),
    "admin": ("scanner.admin_command", "admin", "Accounts, users, invites, settings, leaks."),
    "serve": ("app.cli", "serve", "Run the token service."),
    "server": ("app.cli", "server", "Server maintenance commands (database)."),
}

# Commands that run the service: they need the `server` extra, which a scanner-only install
# (the pre-commit hook's) does not have.
SERVER_COMMANDS = frozenset({"serve", "server"})
SERVER_HINT = (
    "oi {name}: the token service is not installed here (this install has the scanner and "
    "the client only): pip install 'tokenpatrol[server]'\n"
)

USAGE = "usage: oi COMMAND [ARGS]...\n\ncommands:\n" + "".join(
    f"  {name:<10} {help_text}\n" for name, (_m, _a, help_text) in LAZY_COMMANDS.items()
)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in LAZY_COMMANDS:
        sys.stderr.write(f"oi: unknown command {name!r}\n\n{USAGE}")
        return 2
    if name in ("scan", "revoke"):  # argparse and the standard library only
        module_name, attribute, _help = LAZY_COMMANDS[name]
        command: Callable[[list[str]], int] = getattr(
            importlib.import_module(module_name), attribute
        )
        return command(rest)
    return _run_click(name, rest)


def _run_click(name: str, rest: list[str]) -> int:
    import click

    module_name, attribute, _help = LAZY_COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        if name not in SERVER_COMMANDS or (missing.name or "").startswith(("app", "scanner")):
            raise
        sys.stderr.write(SERVER_HINT.format(name=name))
        return 2
    command: click.Command = getattr(module, attribute)
    try:
        # Without standalone mode click hands back an Exit's code instead of raising it.
        outcome = command.main(rest, prog_name=f"oi {name}", standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return 2 if isinstance(error, click.UsageError) else 1
    except click.exceptions.Abort:
        sys.stderr.write("aborted\n")
        return 1
    return outcome if isinstance(outcome, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
