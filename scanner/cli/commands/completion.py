"""`oi completion bash|zsh|fish`: the shell script, and the answers it asks `oi` for.

click's shell completion serves the protocol: the script calls `oi` back with `_OI_COMPLETE`
set and the words typed so far, and `oi` prints the candidates. The top level is main.py's
table, not a click group, so completion sees it as `_Table`, a group that loads a command only
when completion reaches it; the argparse commands (`scan`, `revoke`) are described to click
from their own parsers, so their options and choices complete too.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

import click

from scanner.cli.main import COMMANDS, COMPLETE_VAR, HELP_OPTIONS

PROG = "oi"
SHELLS = ("bash", "zsh", "fish")
HELP_COMMAND = "help"


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> int:
    """Print the completion script for SHELL. Load it from your shell's start-up file:

    \b
      bash  ~/.bashrc:  eval "$(oi completion bash)"
      zsh   ~/.zshrc:   eval "$(oi completion zsh)"
      fish  oi completion fish > ~/.config/fish/completions/oi.fish
    """
    from click.shell_completion import BashComplete, FishComplete, ZshComplete

    scripts = {"bash": BashComplete, "zsh": ZshComplete, "fish": FishComplete}
    click.echo(scripts[shell](program(), {}, PROG, COMPLETE_VAR).source(), nl=False)
    return 0


def answer(instruction: str) -> int:
    """What the script asks (`bash_complete`, `zsh_complete`...): candidates on stdout."""
    from click.shell_completion import shell_complete

    return shell_complete(program(), {}, PROG, COMPLETE_VAR, instruction)


def program() -> click.Group:
    """The whole `oi` program as click sees it, for completion only: it is never invoked."""
    version = click.Option(["-V", "--version"], is_flag=True, help="Print oi's version.")
    settings = {"help_option_names": list(HELP_OPTIONS)}
    return _Table(PROG, params=[version], context_settings=settings)


class _Table(click.Group):
    """main.py's COMMANDS (and `help`), each loaded only when completion reaches it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, HELP_COMMAND]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == HELP_COMMAND:
            topic = click.Argument(["command"], required=False, type=click.Choice(list(COMMANDS)))
            return click.Command(HELP_COMMAND, params=[topic], help="Show a command's help.")
        return _load(cmd_name) if cmd_name in COMMANDS else None

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        """Command names with the table's own help: no command module is imported for them."""
        from click.shell_completion import CompletionItem

        helps = {name: entry.help for name, entry in COMMANDS.items()}
        helps[HELP_COMMAND] = "Show a command's help."
        names = [CompletionItem(n, help=h) for n, h in helps.items() if n.startswith(incomplete)]
        return names + click.Command.shell_complete(self, ctx, incomplete)


def _load(name: str) -> click.Command | None:
    entry = COMMANDS[name]
    try:
        module = importlib.import_module(entry.module)
    except ModuleNotFoundError:  # `serve` and `server` without the server extra
        return None
    if entry.uses_click:
        command: click.Command = getattr(module, entry.attribute)
        return command
    return from_argparse(name, module.build_parser())


def from_argparse(name: str, parser: argparse.ArgumentParser) -> click.Command:
    """An argparse parser as a click command with the same options, for completion only."""
    params = [_param(action) for action in parser._actions if not _is_help(action)]
    return click.Command(name, params=params, help=parser.description)


def _is_help(action: argparse.Action) -> bool:
    return bool(set(action.option_strings) & set(HELP_OPTIONS))


def _param(action: argparse.Action) -> click.Parameter:
    if not action.option_strings:
        many = action.nargs in ("*", "+")
        return click.Argument([action.dest], nargs=-1 if many else 1, type=click.Path())
    if action.nargs == 0:
        return click.Option([action.dest, *action.option_strings], is_flag=True, help=action.help)
    kind: click.ParamType[Any] = click.STRING
    if action.choices:
        kind = click.Choice([str(choice) for choice in action.choices])
    elif action.metavar == "FILE":
        kind = click.Path()
    return click.Option([action.dest, *action.option_strings], type=kind, help=action.help)
