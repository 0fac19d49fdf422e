"""GitHub's alerts, GitLab's revocation API and a webhook, end to end against a real `oi serve`
process: keys served by a stand-in for GitHub's key endpoint, a receiver that checks the
signature, the mail worker thread delivering."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from scanner import formats
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.github_keys import KeyServer
from tests.support.live_server import LiveServer, running_server
from tests.support.secrets import Secret
from tests.support.webhook_receiver import Receiver

GITLAB_SECRET = "gitlab-shared-secret-for-the-e2e-run"
WHERE = "https://github.com/octo/hello/blob/5b0d3d6f/deploy.sh"


@pytest.fixture
def service(database_url: str, tmp_path: Path, keys: KeyServer) -> Iterator[LiveServer]:
    env = {
        "TOKENPATROL_GITHUB_KEYS_URL": keys.url,
        "TOKENPATROL_GITLAB_REVOCATION_TOKEN": GITLAB_SECRET,
        "TOKENPATROL_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "TOKENPATROL_MAIL_WORKER_INTERVAL_SECONDS": "0.2",
    }
    with running_server(database_url, tmp_path, **env) as server:
        yield server


def post_alert(service: LiveServer, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{service.url}/api/v1/leaks/github", data=body, headers=headers, timeout=30
    )


def alert_body(token: str) -> bytes:
    match = {
        "token": token,
        "type": "tokenpatrol_personal_access_token",
        "url": WHERE,
        "source": "content",
    }
    return json.dumps([match]).encode()


def wait_for(condition: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.05)


def test_a_signed_github_alert_revokes_and_forged_ones_do_not(
    service: LiveServer, keys: KeyServer, receiver: Receiver
) -> None:
    http = Api(base_url=service.url)
    key = http.create_account(ROOT_KEY, "acme", "alice")
    made = http.call(
        "POST", "/api/v1/admin/accounts/acme/webhooks", key, json_body={"url": receiver.url}
    )
    secret = Secret(made.body["result"]["secret"])
    pat = Secret(http.create_token(key, name="deploy")["token"])
    body = alert_body(pat)
    kid = next(iter(keys.keys))

    keys.down = True  # GitHub's key endpoint is down: 503, nothing revoked
    assert post_alert(service, body, keys.headers(body, kid)).status_code == 503
    keys.down = False
    tampered = body.replace(b"content", b"contend")
    rogue = KeyServer()
    rogue_kid = rogue.add_key()
    forgeries = [
        (tampered, keys.headers(body, kid)),
        (
            body,
            {
                **keys.headers(body, kid),
                **{
                    "Github-Public-Key-Signature": rogue.headers(body, rogue_kid)[
                        "Github-Public-Key-Signature"
                    ]
                },
            },
        ),
        (body, {**keys.headers(body, kid), "Github-Public-Key-Identifier": "0" * 64}),
    ]
    for forged_body, headers in forgeries:
        assert post_alert(service, forged_body, headers).status_code == 401
    assert http.call("GET", "/auth/check", pat).status == 200

    answer = post_alert(service, body, keys.headers(body, kid))
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "token_hash": hashlib.sha256(pat.encode()).hexdigest(),
            "token_type": "tokenpatrol_personal_access_token",
            "label": "true_positive",
        }
    ]
    assert http.call("GET", "/auth/check", pat).status == 401
    (event,) = http.call("GET", "/me/leaks", key).body
    assert (event["source"], event["url"]) == ("github", WHERE)

    wait_for(lambda: receiver.received, "the webhook delivery")
    (got,) = receiver.received
    expected = "sha256=" + hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["X-Tokenpatrol-Signature"], expected)
    assert json.loads(got.body)["source"] == "github" and (pat in got.body.decode()) is False


def test_gitlab_revokes_with_its_secret_only(service: LiveServer) -> None:
    http = Api(base_url=service.url)
    key = http.create_account(ROOT_KEY, "acme", "alice")
    pat = Secret(http.create_token(key)["token"])
    leaks = [
        {
            "type": "gitleaks_rule_id_" + formats.rule_id(formats.PERSONAL_ACCESS_TOKEN),
            "token": pat,
            "location": WHERE,
        }
    ]
    base = f"{service.url}/api/v1/leaks/gitlab"

    wrong = {"Authorization": "Bearer not-the-secret-at-all-0123"}
    assert (
        requests.get(f"{base}/revocable_token_types", headers=wrong, timeout=30).status_code == 401
    )
    assert (
        requests.post(f"{base}/revoke_tokens", json=leaks, headers=wrong, timeout=30).status_code
        == 401
    )
    assert http.call("GET", "/auth/check", pat).status == 200

    right = {"Authorization": GITLAB_SECRET}
    types = requests.get(f"{base}/revocable_token_types", headers=right, timeout=30).json()["types"]
    assert leaks[0]["type"] in types
    assert (
        requests.post(f"{base}/revoke_tokens", json=leaks, headers=right, timeout=30).status_code
        == 204
    )
    assert http.call("GET", "/auth/check", pat).status == 401
    (event,) = http.call("GET", "/me/leaks", key).body
    assert (event["source"], event["url"]) == ("gitlab", WHERE)
