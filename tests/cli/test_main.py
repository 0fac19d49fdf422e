"""`scanner.cli.main`: every way a command ends is one line on stderr and one exit code, decided
in one place, and never a traceback or a whole token."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner import formats
from tests.support.live_server import free_port
from tests.support.oi_cli import Run, assert_no_raw_token, oi


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


def write_profiles(config_home: Path, text: str) -> None:
    folder = config_home / "tokenpatrol"
    folder.mkdir(parents=True)
    (folder / "profiles.toml").write_text(text)


def one_line(run: Run, prefix: str) -> str:
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), run
    assert "Traceback" not in run.output, run
    return lines[0]


def test_no_command_and_an_unknown_command_exit_2(config_home: Path) -> None:
    bare = oi(config_home=config_home)
    assert bare.returncode == 2 and "usage: oi COMMAND" in bare.stdout, bare
    unknown = oi("frobnicate", config_home=config_home)
    assert unknown.returncode == 2 and "unknown command 'frobnicate'" in unknown.stderr, unknown
    helped = oi("--help", config_home=config_home)
    assert helped.returncode == 0 and "tokens" in helped.stdout, helped


def test_argparse_help_and_usage_end_in_exit_codes_not_exceptions(config_home: Path) -> None:
    helped = oi("scan", "--help", config_home=config_home)
    assert helped.returncode == 0 and "--staged" in helped.stdout, helped
    wrong = oi("revoke", config_home=config_home)
    assert wrong.returncode == 2 and "usage: oi revoke" in wrong.stderr, wrong


def test_an_error_message_never_carries_a_whole_token(config_home: Path) -> None:
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    write_profiles(config_home, f'active = "{token}"\n')
    shown = oi("profile", "show", config_home=config_home)
    assert shown.returncode == 2, shown
    line = one_line(shown, "oi profile: error: no profile named ")
    assert formats.redact(token) in line, shown
    assert_no_raw_token(shown, token)


def test_a_broken_profiles_file_is_one_line_for_every_command(config_home: Path) -> None:
    write_profiles(config_home, "profiles = 3\n")
    path = config_home / "tokenpatrol" / "profiles.toml"
    for args in (("profile", "list"), ("profile", "set", "--app-url", "http://x.example")):
        done = oi(*args, config_home=config_home)
        assert done.returncode == 2, done
        one_line(done, f"oi profile: error: {path}: `profiles` must hold one table per profile")


def test_an_unexpected_failure_is_one_line_exit_2_and_redacted(
    config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.cli import profiles

    token = formats.PERSONAL_ACCESS_TOKEN.generate()

    def broken() -> dict[str, object]:
        raise RuntimeError(f"a bug that mentions {token}")

    monkeypatch.setattr(profiles, "load", broken)
    done = oi("profile", "list", config_home=config_home)
    assert done.returncode == 2, done
    one_line(done, "oi profile: unexpected error: RuntimeError: a bug that mentions ")
    assert_no_raw_token(done, token)


def test_the_same_unreachable_service_is_exit_1_for_a_question_and_2_for_oi_revoke(
    config_home: Path,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    env = {"OPENINDEX_APP_URL": dead, "OPENINDEX_TOKEN": token}
    listed = oi("tokens", "list", config_home=config_home, **env)
    assert listed.returncode == 1, listed
    one_line(listed, f"oi tokens: error: {dead} is unreachable")
    revoked = oi("revoke", "-", config_home=config_home, stdin=token + "\n", **env)
    assert revoked.returncode == 2, revoked
    one_line(revoked, f"oi revoke: error: {dead} is unreachable")
    assert_no_raw_token(listed, token)
    assert_no_raw_token(revoked, token)


def test_version_and_help_as_people_expect(config_home: Path) -> None:
    """Issue 13: `oi --version` and `oi help` were unknown commands."""
    from importlib.metadata import version

    shown = oi("--version", config_home=config_home)
    assert shown.returncode == 0 and shown.stdout == f"oi {version('tokenpatrol')}\n", shown
    assert oi("-V", config_home=config_home).stdout == shown.stdout
    listed = oi("help", config_home=config_home)
    assert listed.returncode == 0 and "usage: oi COMMAND" in listed.stdout, listed
    scan_help = oi("help", "scan", config_home=config_home)
    assert scan_help.returncode == 0 and "--staged" in scan_help.stdout, scan_help
    tokens_help = oi("help", "tokens", config_home=config_home)
    assert tokens_help.returncode == 0 and "rotate" in tokens_help.stdout, tokens_help


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """Issue 13: `oi scan ... | head` printed a BrokenPipeError traceback."""
    import subprocess

    from tests.support.live_server import oi_command

    leaks = tmp_path / "leaks"
    leaks.mkdir()
    (leaks / "many.txt").write_text(
        "".join(f"{formats.PERSONAL_ACCESS_TOKEN.generate()}\n" for _ in range(3000))
    )
    command = " ".join([*oi_command(), "scan", "--no-verify", str(leaks)])
    done = subprocess.run(
        ["sh", "-c", f"{command} 2>{tmp_path / 'err'} | head -n 1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.count("\n") == 1, formats.redact_text(done.stdout)
    assert (tmp_path / "err").read_text() == "", "oi wrote to stderr after its reader left"
