"""End to end: a real service process, a real repository whose history holds live tokens, and
`oi scan --history --revoke` killing them on the spot."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from scanner import formats
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.git_repos import commit, git
from tests.support.live_server import LiveServer, oi_command
from tests.support.secrets import Secret


def oi(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*oi_command(), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_history_scan_revokes_live_leaks(
    live_server: LiveServer, http: Api, tmp_path: Path
) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    live_pat = http.create_token(key, name="deploy")["token"]
    live_api = http.create_token(key, "api-tokens", name="script", scope="read")["token"]
    dead = http.create_token(key, name="old")
    http.call("DELETE", f"/me/pats/{dead['id']}", key)
    stranger = Secret(formats.PERSONAL_ACCESS_TOKEN.generate())

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "remote", "add", "origin", "https://ci:hunter2@git.example/acme/app.git")
    pat_commit = commit(repo, "settings.py", f"TOKEN = '{live_pat}'\n")
    commit(repo, "deploy.sh", f"export API={live_api}\n")
    commit(repo, "notes.txt", f"old {dead['token']}\nnever {stranger}\n")
    (repo / "settings.py").unlink()
    git(repo, "commit", "-qam", "remove the token")

    done = oi(
        "scan", "--history", "--revoke", "--app-url", live_server.url, "--format", "json", cwd=repo
    )
    assert done.returncode == 1, done.stderr[-500:]
    by_fingerprint = {f["fingerprint"]: f for f in json.loads(done.stdout)["findings"]}
    statuses = {fp: f["status"] for fp, f in by_fingerprint.items()}
    assert statuses == {
        formats.fingerprint(live_pat): "revoked_now",
        formats.fingerprint(live_api): "revoked_now",
        formats.fingerprint(dead["token"]): "revoked",
        formats.fingerprint(stranger): "unknown",
    }
    for token in (live_pat, live_api):
        assert http.call("GET", "/auth/check", token).status == 401

    events = http.call("GET", "/me/leaks", key).body
    where = {(e["tokenName"], e["path"], e["commit"]) for e in events}
    assert ("deploy", "settings.py", pat_commit) in where
    assert {e["repo"] for e in events} == {"https://git.example/acme/app.git"}  # no credentials
    assert all(e["source"] in ("cli", "ci") for e in events)

    output = done.stdout + done.stderr + live_server.log_text()
    for token in (live_pat, live_api, dead["token"], stranger, "hunter2"):
        assert (token in output) is False, Secret(token)


def test_oi_revoke_from_stdin(live_server: LiveServer, http: Api, tmp_path: Path) -> None:
    key = http.create_account(ROOT_KEY, "acme", "alice")
    pasted = http.create_token(key, name="pasted-in-chat")["token"]
    done = oi("revoke", "-", "--app-url", live_server.url, cwd=tmp_path, stdin=f"{pasted}\n")
    assert done.returncode == 0, done.stderr
    assert formats.redact(pasted) in done.stdout and "revoked" in done.stdout
    assert (pasted in done.stdout + done.stderr) is False
    assert http.call("GET", "/auth/check", pasted).status == 401
    again = oi("revoke", "-", "--app-url", live_server.url, cwd=tmp_path, stdin=f"{pasted}\n")
    assert again.returncode == 0 and "already revoked" in again.stdout


def test_scan_with_the_service_down_reports_unverified(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "leak.txt").write_text(f"{formats.PERSONAL_ACCESS_TOKEN.generate()}\n")
    done = oi(
        "scan", "--app-url", f"http://127.0.0.1:{port}", "--format", "json", ".", cwd=tmp_path
    )
    assert done.returncode == 1
    assert [f["status"] for f in json.loads(done.stdout)["findings"]] == ["unverified"]
    assert len(done.stderr.strip().splitlines()) == 1


class _LosesTheFirstRevokeAnswer(BaseHTTPRequestHandler):
    """Forwards every request to the service, but drops the answer to the first revoke: the
    service has committed the revocation, the scanner never hears of it and tries again."""

    target = ""
    dropped: list[str]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = requests.post(
            self.target + self.path,
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        if self.path.endswith("/leaks/revoke") and not self.dropped:
            self.dropped.append(self.path)
            self.close_connection = True
            return  # no answer at all
        self.send_response(reply.status_code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_a_revocation_whose_answer_was_lost_is_still_reported_as_revoked_now(
    live_server: LiveServer, http: Api, tmp_path: Path
) -> None:
    """Red-team finding 8: the retry was told `already_revoked`, the finding showed `revoked`
    and the CI gate passed on a token that was live in the push."""
    key = http.create_account(ROOT_KEY, "acme", "alice")
    live = http.create_token(key, name="deploy")["token"]
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, "settings.py", f"TOKEN = '{live}'\n")
    dropped: list[str] = []
    handler = type(
        "Proxy", (_LosesTheFirstRevokeAnswer,), {"target": live_server.url, "dropped": dropped}
    )
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{proxy.server_address[1]}"
        done = oi("scan", "--history", "--revoke", "--app-url", url, "--format", "json", cwd=repo)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert dropped, "the proxy never saw a revoke"
    assert done.returncode == 1, done.stderr[-500:]
    (finding,) = json.loads(done.stdout)["findings"]
    assert finding["status"] == "revoked_now", finding["status"]
    assert http.call("GET", "/auth/check", live).status == 401


def test_oi_revoke_finds_the_token_in_a_pasted_message_and_sends_nothing_else(
    live_server: LiveServer, http: Api, tmp_path: Path
) -> None:
    """Issue 13: `oi revoke -` sent every raw line of the paste and answered `unknown`."""
    key = http.create_account(ROOT_KEY, "acme", "alice")
    pasted = http.create_token(key, name="pasted-in-chat")["token"]
    message = f"hey, use this one: {pasted} for the deploy (password hunter2)\n"
    done = oi("revoke", "-", "--app-url", live_server.url, cwd=tmp_path, stdin=message)
    assert done.returncode == 0 and "revoked" in done.stdout, done.stderr
    assert http.call("GET", "/auth/check", pasted).status == 401
    assert "hunter2" not in live_server.log_text()
    broken = pasted[:-1] + ("A" if pasted[-1] != "A" else "B")
    refused = oi("revoke", "-", "--app-url", live_server.url, cwd=tmp_path, stdin=broken)
    assert refused.returncode == 1, refused.stderr
    assert "no tokenpatrol token found: oi_pat_... fails its checksum" in refused.stderr
    empty = oi("revoke", "-", "--app-url", live_server.url, cwd=tmp_path, stdin="just words\n")
    assert empty.returncode == 1 and "no tokenpatrol token found" in empty.stderr
