"""Run `oi` with its own config directory and a clean environment: in-process through
`scanner.cli.main` (`oi`), or as the real console script in a process of its own (`oi_process`)
where the process boundary matters.

The result's repr is redacted: a failing assertion prints it, and its stdout may hold the one
token a `create` shows.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scanner import formats
from scanner.cli import main
from tests.support.live_server import oi_command
from tests.support.secrets import Secret, find_tokens


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:
        return formats.redact_text(
            f"Run(returncode={self.returncode}, stdout={self.stdout!r}, stderr={self.stderr!r})"
        )

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def tokens(self) -> list[Secret]:
        """Every valid token of a registered format in stdout and stderr."""
        return [Secret(token) for token in find_tokens(self.output)]

    def shown_once(self, *, alone: bool = True) -> Secret:
        """The one raw token a create printed: once on stdout (alone on it unless part of a
        link or JSON), never on stderr."""
        shown = self.tokens()
        assert len(shown) == 1, f"expected one raw token in the output, found {len(shown)}"
        once = self.stdout.count(shown[0]) == 1 and shown[0] not in self.stderr
        assert once, "the token is not printed exactly once, on stdout"
        bare = self.stdout.strip() == shown[0]
        assert bare or not alone, "the token is not alone on stdout"
        return shown[0]


def client_environment(config_home: Path, **env: str) -> dict[str, str]:
    """XDG_CONFIG_HOME=config_home and no OPENINDEX_/TOKENPATROL_ variables of the caller's."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENINDEX_", "TOKENPATROL_"))
    }
    return {**clean, "XDG_CONFIG_HOME": str(config_home), **env}


def oi(*args: str, config_home: Path, stdin: str = "", **env: str) -> Run:
    """`oi ARGS` in this process (`scanner.cli.main`), with its own environment, config
    directory, stdin, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with _environment(client_environment(config_home, **env)), _streams(stdin, out, err):
        returncode = main(list(args))
    return Run(returncode, out.getvalue(), err.getvalue())


def oi_process(*args: str, config_home: Path, **env: str) -> Run:
    """`oi ARGS` as a person runs it: the console script in a process of its own."""
    done = subprocess.run(
        [*oi_command(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=client_environment(config_home, **env),
    )
    return Run(done.returncode, done.stdout, done.stderr)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _streams(stdin: str, out: io.StringIO, err: io.StringIO) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


def assert_no_raw_token(run: Run, *secrets: str) -> None:
    """Neither a token-shaped secret nor any of `secrets` (e.g. the root key) was printed."""
    shown = [formats.redact(token) for token in find_tokens(run.output)]
    named = [formats.redact(secret) for secret in secrets if secret in run.output]
    assert not shown and not named, f"raw tokens in the output: {shown + named}"
