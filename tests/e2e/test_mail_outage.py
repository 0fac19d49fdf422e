"""Red-team finding 2: a mail server that accepts connections and never answers used to hold
every worker of the service (each leak report tried to deliver the queued mails in the request).
Now no request waits on mail; the mail worker waits, alone, and the operator can see it."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.live_server import (
    LiveServer,
    free_port,
    oi_command,
    running_server,
    server_environment,
)

SMTP_TIMEOUT = "120"  # a request that waited on this mail server would wait this long
REQUEST_GUARD = 30  # seconds: far below what one blocked mail would cost


class HangingListener:
    """Accepts TCP connections and never sends a byte: an SMTP server that hangs."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        self.accepted = threading.Semaphore(0)
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(connection)
            self.accepted.release()

    def close(self) -> None:
        self.socket.close()
        for connection in self.held:
            connection.close()


@contextmanager
def hanging_listener() -> Iterator[HangingListener]:
    listener = HangingListener()
    try:
        yield listener
    finally:
        listener.close()


def owner_token(api: Api, user: str) -> str:
    reply = api.call(
        "POST",
        "/api/v1/admin/accounts",
        ROOT_KEY,
        json_body={"account_id": user, "admin_user_id": user, "admin_email": f"{user}@x.example"},
    )
    return str(api.create_token(reply.body["result"]["user_key"], name="deploy")["token"])


def report(server_url: str, tokens: list[str]) -> requests.Response:
    return requests.post(
        f"{server_url}/api/v1/leaks/revoke",
        json={"tokens": tokens, "location": {"repo": "acme/app", "path": "x", "line": 1}},
        timeout=REQUEST_GUARD,
    )


@contextmanager
def service_mailing_to(
    smtp: HangingListener, database_url: str, tmp_path: Path, **env: str
) -> Iterator[LiveServer]:
    """`oi serve` whose mail goes to `smtp`."""
    with running_server(
        database_url, tmp_path, TOKENPATROL_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}", **env
    ) as server:
        yield server


def test_no_request_talks_to_the_mail_server(database_url: str, tmp_path: Path) -> None:
    """With the worker thread off, nothing may connect to the mail server while leak reports,
    junk ones included, are answered: the mail waits in the outbox."""
    with (
        hanging_listener() as smtp,
        service_mailing_to(
            smtp, database_url, tmp_path, TOKENPATROL_MAIL_WORKER_INTERVAL_SECONDS="0"
        ) as server,
    ):
        token = owner_token(Api(base_url=server.url), "acme")
        assert report(server.url, [token]).json()["results"][0]["result"] == "revoked"
        replies = [report(server.url, ["oi_pat_" + "x" * 36]) for _ in range(3)]
        assert [reply.status_code for reply in replies] == [200] * 3
        connected = smtp.accepted.acquire(blocking=False)
    assert not connected, "a request connected to the mail server"


def test_a_hanging_mail_server_holds_no_request(database_url: str, tmp_path: Path) -> None:
    with (
        hanging_listener() as smtp,
        service_mailing_to(
            smtp,
            database_url,
            tmp_path,
            TOKENPATROL_MAIL_SMTP_TIMEOUT_SECONDS=SMTP_TIMEOUT,
            TOKENPATROL_MAIL_WORKER_INTERVAL_SECONDS="0.2",
        ) as server,
    ):
        api = Api(base_url=server.url)
        first, second = owner_token(api, "acme"), owner_token(api, "globex")
        assert report(server.url, [first]).json()["results"][0]["result"] == "revoked"
        # The background worker took the mail and is now stuck inside the mail server.
        assert smtp.accepted.acquire(timeout=REQUEST_GUARD), "the mail worker never connected"
        junk = [report(server.url, ["oi_pat_" + "x" * 36]) for _ in range(3)]
        assert [reply.status_code for reply in junk] == [200] * 3
        health = [requests.get(f"{server.url}/health", timeout=REQUEST_GUARD) for _ in range(8)]
        assert [reply.status_code for reply in health] == [200] * 8
        assert report(server.url, [second]).json()["results"][0]["result"] == "revoked"
        assert api.call("GET", "/auth/check", second).status == 401

        status = subprocess.run(
            [*oi_command(), "server", "mail", "status"],
            env=server_environment(
                database_url,
                tmp_path / "instance",
                TOKENPATROL_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("queued "), status.stdout


def test_oi_server_mail_send_status_and_retry(database_url: str, tmp_path: Path) -> None:
    dead_port = free_port()  # nothing listens: every attempt is refused at once
    env = server_environment(
        database_url,
        tmp_path / "instance",
        TOKENPATROL_SMTP_URL=f"smtp://127.0.0.1:{dead_port}",
        TOKENPATROL_MAIL_MAX_ATTEMPTS="1",
        TOKENPATROL_MAIL_WORKER_INTERVAL_SECONDS="0",
    )
    with running_server(
        database_url,
        tmp_path,
        TOKENPATROL_SMTP_URL=f"smtp://127.0.0.1:{dead_port}",
        TOKENPATROL_MAIL_WORKER_INTERVAL_SECONDS="0",
    ) as server:
        token = owner_token(Api(base_url=server.url), "acme")
        assert report(server.url, [token]).status_code == 200

    def operator(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*oi_command(), "server", "mail", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert operator("status").stdout.startswith("queued 1, retrying 0, dead 0, sent 0")
    sent = operator("send")
    assert sent.returncode == 0 and sent.stdout.startswith("sent 0 mails, 1 failed"), sent.stderr
    dead = operator("status").stdout.splitlines()
    assert dead[0] == "queued 0, retrying 0, dead 1, sent 0", dead
    assert dead[1].startswith("dead: mail ") and "acme@x.example" in dead[1], dead
    assert "ConnectionRefusedError" in dead[1], dead
    assert operator("retry").stdout.strip() == "1 mail(s) due again"
    assert operator("status").stdout.startswith("queued 1, retrying 0, dead 0")
