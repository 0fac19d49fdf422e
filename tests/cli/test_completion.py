"""`oi completion bash|zsh|fish` and the completion protocol its scripts speak (issue 13): the
top-level table, click subcommands and the argparse commands' options all complete."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from scanner.cli import COMMANDS
from tests.support.live_server import oi_command
from tests.support.oi_cli import client_environment, oi, oi_process


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


def test_the_bash_completion_script_is_valid_bash(config_home: Path, tmp_path: Path) -> None:
    script = oi_process("completion", "bash", config_home=config_home)
    assert script.returncode == 0 and "_OI_COMPLETE=bash_complete" in script.stdout, script
    (tmp_path / "oi.bash").write_text(script.stdout)
    checked = subprocess.run(
        ["bash", "-n", str(tmp_path / "oi.bash")], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_are_printed(shell: str, config_home: Path) -> None:
    script = oi("completion", shell, config_home=config_home)
    assert script.returncode == 0 and f"_OI_COMPLETE={shell}_complete" in script.stdout, script
    refused = oi("completion", "tcsh", config_home=config_home)
    assert refused.returncode == 2, refused


def complete(config_home: Path, line: str) -> list[str]:
    """What `oi` answers bash, through the protocol the script speaks, for `line` + TAB."""
    words = line.split(" ")
    env = {"_OI_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    done = oi_process(config_home=config_home, **env)
    assert done.returncode == 0 and done.stderr == "", done
    return [answer.split(",", 1)[1] for answer in done.stdout.splitlines()]


def test_completion_covers_the_table_subcommands_and_argparse_options(config_home: Path) -> None:
    assert complete(config_home, "oi ad") == ["admin"]
    assert complete(config_home, "oi admin acc") == ["accounts"]
    assert complete(config_home, "oi profile ") == ["delete", "list", "set", "show", "use"]
    assert complete(config_home, "oi scan --sta") == ["--staged"]
    assert complete(config_home, "oi scan --format ") == ["text", "json", "sarif"]
    assert complete(config_home, "oi help to") == ["tokens"]
    assert "-y" in complete(config_home, "oi admin accounts delete -")
    assert set(complete(config_home, "oi ")) >= set(COMMANDS) | {"help"}


def test_bash_itself_completes_oi_ad_to_admin(config_home: Path) -> None:
    """The script as bash runs it: source it, press TAB after `oi ad`, read COMPREPLY."""
    script = oi_command()
    assert len(script) == 1, "no `oi` console script installed"  # the script calls it by name
    program = shlex.quote(script[0])
    session = (
        f"source <({program} completion bash)\n"
        f"COMP_WORDS=(oi ad); COMP_CWORD=1; _oi_completion {program}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", session],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=client_environment(config_home),
    )
    assert done.returncode == 0 and done.stdout == "admin\n", done.stdout + done.stderr
