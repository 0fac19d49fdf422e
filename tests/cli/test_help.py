"""Help as people expect it (issue 13): `-h` on every command and subcommand, a help text on
every command and option, "did you mean" for a mistyped command, the exit codes in the help."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from scanner.cli import COMMANDS
from tests.support.oi_cli import oi

HELP_MISSING_ELSEWHERE = frozenset(
    {
        "oi login --scope",
        "oi serve --port",
        "oi server mail work --interval",
        "oi server purge-expired --older-than-days",
        "oi server create-admin --user",
    }
)


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


def click_commands() -> Iterator[tuple[str, click.Command]]:
    """Every click command and group reachable from the command table, with its path."""

    def walk(path: str, command: click.Command) -> Iterator[tuple[str, click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(f"{path} {name}", sub)

    for name, entry in COMMANDS.items():
        if entry.uses_click:
            yield from walk(
                f"oi {name}", getattr(importlib.import_module(entry.module), entry.attribute)
            )


def argparse_commands() -> Iterator[tuple[str, object]]:
    for name, entry in COMMANDS.items():
        if not entry.uses_click:
            yield f"oi {name}", importlib.import_module(entry.module).build_parser()


def test_every_command_and_option_has_a_help_text() -> None:
    missing = []
    for path, command in click_commands():
        if not (command.help or command.short_help):
            missing.append(path)
        missing += [
            f"{path} {param.opts[-1]}"
            for param in command.params
            if isinstance(param, click.Option) and not param.help
        ]
    for path, parser in argparse_commands():
        missing += [
            f"{path} {action.option_strings[-1] if action.option_strings else action.dest}"
            for action in parser._actions  # type: ignore[attr-defined]
            if not action.help
        ]
    assert sorted(set(missing) - HELP_MISSING_ELSEWHERE) == []


@pytest.mark.parametrize("path", [path for path, _ in click_commands()] + ["oi scan", "oi revoke"])
def test_dash_h_is_help_on_every_command(path: str, config_home: Path) -> None:
    words = path.split()[1:]
    done = oi(*words, "-h", config_home=config_home)
    assert done.returncode == 0, done
    assert done.stdout.lower().startswith(f"usage: {path} "), done
    assert oi(*words, "--help", config_home=config_home).stdout == done.stdout


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("scna", "scan"), ("tokenz", "tokens"), ("admni", "admin"), ("hlep", "help")],
)
def test_a_mistyped_command_gets_did_you_mean(typed: str, meant: str, config_home: Path) -> None:
    done = oi(typed, config_home=config_home)
    assert done.returncode == 2 and done.stdout == "", done
    guess = f"unknown command {typed!r}; did you mean {meant!r}?"
    assert done.stderr == f"oi: error: {guess} (oi help lists the commands)\n", done


def test_a_command_like_no_other_gets_no_guess(config_home: Path) -> None:
    done = oi("frobnicate", config_home=config_home)
    assert done.returncode == 2 and "did you mean" not in done.stderr, done


def test_scan_help_lists_the_exit_codes(config_home: Path) -> None:
    shown = oi("scan", "--help", config_home=config_home).stdout
    codes = shown[shown.index("exit codes:") :].splitlines()[1:]
    assert [line.split()[0] for line in codes] == ["0", "1", "2", "130", "141"], shown
    assert "130  interrupted (Ctrl-C)" in shown
    assert "exit codes:" in oi("revoke", "--help", config_home=config_home).stdout
