"""A real gunicorn instance (deploy/gunicorn.conf.py) on a free loopback port."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.live_server import LiveServer, free_port, server_environment, serving

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def gunicorn_command() -> list[str]:
    script = shutil.which("gunicorn")
    return [script] if script else [sys.executable, "-m", "gunicorn"]


@contextmanager
def running_gunicorn(
    database_url: str, workdir: Path, *, workers: int = 2, **env: str
) -> Iterator[LiveServer]:
    """Start gunicorn with the repository's config; the schema must already be at head."""
    port = free_port()
    environment = server_environment(
        database_url,
        workdir / "instance",
        TOKENPATROL_BIND=f"127.0.0.1:{port}",
        TOKENPATROL_WORKERS=str(workers),
        **env,
    )
    command = [*gunicorn_command(), "-c", str(CONFIG), "app:create_app()"]
    with serving(command, environment, port, workdir / f"gunicorn-{port}.log") as server:
        yield server
