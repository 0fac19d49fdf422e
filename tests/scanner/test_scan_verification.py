"""Verification without a reachable service: say why in one line, report `unverified`, exit 1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.scanner.conftest import new_pat, run_main


@pytest.mark.parametrize("flag", ["--verify", "--revoke"])
def test_asking_without_a_service_url_says_why_and_exits_1(flag: str) -> None:
    result = run_main(["scan", "-", flag], stdin=f"key={new_pat()}\n".encode())
    assert result.rc == 1, result.why
    assert "not configured" in result.err and "unverified" in result.err
    assert "[unverified]" in result.out


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_service_leaves_findings_unverified(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENINDEX_APP_URL", f"http://127.0.0.1:{closed_port()}")
    tokens = [new_pat(), new_pat()]
    result = run_main(["scan", "-", "--format", "json"], stdin="\n".join(tokens).encode())
    assert result.rc == 1, result.why
    assert {f["status"] for f in json.loads(result.out)["findings"]} == {"unverified"}
    assert len(result.err.strip().splitlines()) == 1 and "unreachable" in result.err


@pytest.fixture
def garbage_service() -> Iterator[str]:
    """A server that answers 200 with something that is not the leak protocol."""

    class Garbage(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"results": "nope"}')

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_service_answering_garbage_is_treated_as_down(garbage_service: str) -> None:
    result = run_main(
        ["scan", "-", "--app-url", garbage_service, "--revoke", "--format", "json"],
        stdin=f"{new_pat()}\n".encode(),
    )
    assert result.rc == 1, result.why
    assert [f["status"] for f in json.loads(result.out)["findings"]] == ["unverified"]
    assert "leak protocol" in result.err


def test_no_verify_stays_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENINDEX_APP_URL", f"http://127.0.0.1:{closed_port()}")
    result = run_main(["scan", "-", "--no-verify"], stdin=f"{new_pat()}\n".encode())
    assert result.rc == 1 and result.err == ""


def test_the_active_profile_names_the_service(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, garbage_service: str
) -> None:
    config = tmp_path / "tokenpatrol"
    config.mkdir()
    (config / "profiles.toml").write_text(
        f'active = "work"\n[profiles.work]\napp_url = "{garbage_service}"\n'
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("OPENINDEX_APP_URL", raising=False)
    result = run_main(["scan", "-", "--verify"], stdin=f"{new_pat()}\n".encode())
    assert result.rc == 1 and "leak protocol" in result.err  # it asked that service


def test_an_oai_issuer_is_used_only_when_allowed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, garbage_service: str
) -> None:
    from tests.scanner.conftest import new_api_token

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("OPENINDEX_APP_URL", raising=False)
    token = new_api_token(iss=garbage_service)
    refused = run_main(["scan", "-", "--verify"], stdin=f"{token}\n".encode())
    assert "not configured" in refused.err
    monkeypatch.setenv("TOKENPATROL_ALLOWED_ISSUERS", garbage_service)
    allowed = run_main(["scan", "-", "--verify"], stdin=f"{token}\n".encode())
    assert "leak protocol" in allowed.err
