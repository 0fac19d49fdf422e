"""Leaks other platforms find: GitHub's signed secret scanning alerts and GitLab's Token
Revocation API feed the one leak pipeline; a forged call revokes nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from scanner import formats
from tests.support.api import Api
from tests.support.github_keys import KeyServer
from tests.support.live_server import free_port
from tests.support.secrets import Secret

GITLAB_SECRET = "gitlab-shared-secret-0123456789"
WHERE = "https://github.com/octo/hello/blob/5b0d3d6f/deploy.sh"


@pytest.fixture
def app(make_app: Callable[..., Flask], keys: KeyServer) -> Flask:
    return make_app(GITHUB_KEYS_URL=keys.url, GITLAB_REVOCATION_TOKEN=GITLAB_SECRET)


@pytest.fixture
def alice(api: Api, root_key: str) -> str:
    return api.create_account(root_key, "acme", "alice")


def alert(
    api: Api, keys: KeyServer, matches: list[dict[str, str]], key_id: str | None = None
) -> Any:
    body = json.dumps(matches).encode()
    headers = keys.headers(body, key_id or next(iter(keys.keys)))
    return api.client.post("/api/v1/leaks/github", data=body, headers=headers)  # type: ignore[union-attr]


def match(token: str, url: str = WHERE) -> dict[str, str]:
    return {
        "token": token,
        "type": "tokenpatrol_personal_access_token",
        "url": url,
        "source": "content",
    }


def alive(api: Api, token: str) -> bool:
    return api.call("GET", "/auth/check", token).status == 200


def events(api: Api, root_key: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = api.call("GET", "/api/v1/admin/leaks", root_key).body["result"]
    return result


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_a_signed_alert_revokes_the_live_token_and_answers_github_s_feedback(
    api: Api, keys: KeyServer, alice: str, root_key: str
) -> None:
    pat = Secret(api.create_token(alice, name="deploy")["token"])
    made_by_it = Secret(api.create_token(pat, name="child", scope="read")["token"])
    stranger = formats.PERSONAL_ACCESS_TOKEN.generate()  # well formed, not ours
    answer = alert(api, keys, [match(pat), match(stranger), match("oi_pat_nonsense")])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    labels = [(f["token_hash"], f["token_type"], f["label"]) for f in answer.get_json()]
    pat_type = "tokenpatrol_personal_access_token"
    assert labels == [
        (sha256(pat), pat_type, "true_positive"),
        (sha256(stranger), pat_type, "false_positive"),
        (sha256("oi_pat_nonsense"), pat_type, "false_positive"),
    ]
    assert pat not in answer.get_data(as_text=True)
    assert not alive(api, pat) and not alive(api, made_by_it)
    (event,) = events(api, root_key)
    assert (event["source"], event["url"], event["alsoRevoked"]) == ("github", WHERE, 1)


def test_a_replayed_alert_changes_nothing_more(
    api: Api, keys: KeyServer, alice: str, root_key: str
) -> None:
    pat = Secret(api.create_token(alice)["token"])
    first, again = alert(api, keys, [match(pat)]), alert(api, keys, [match(pat)])
    assert first.get_json() == again.get_json() and again.get_json()[0]["label"] == "true_positive"
    assert len(events(api, root_key)) == 1


@pytest.mark.parametrize("forgery", ["no headers", "bad signature", "another key", "unknown key"])
def test_a_forged_alert_revokes_nothing(
    api: Api, keys: KeyServer, alice: str, forgery: str
) -> None:
    pat = Secret(api.create_token(alice)["token"])
    body = json.dumps([match(pat)]).encode()
    headers = keys.headers(body, next(iter(keys.keys)))
    if forgery == "no headers":
        headers = {"Content-Type": "application/json"}
    elif forgery == "bad signature":
        headers["Github-Public-Key-Signature"] = keys.headers(b"[]", next(iter(keys.keys)))[
            "Github-Public-Key-Signature"
        ]
    elif forgery == "another key":
        rogue = KeyServer()
        rogue_id = rogue.add_key()
        headers["Github-Public-Key-Signature"] = rogue.headers(body, rogue_id)[
            "Github-Public-Key-Signature"
        ]
    else:
        headers["Github-Public-Key-Identifier"] = "f" * 64
    answer = api.client.post("/api/v1/leaks/github", data=body, headers=headers)  # type: ignore[union-attr]
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "UNAUTHENTICATED"
    assert alive(api, pat)


def test_a_key_github_added_later_is_fetched_once(
    make_app: Callable[..., Flask], keys: KeyServer, root_key: str
) -> None:
    app = make_app(GITHUB_KEYS_URL=keys.url, GITHUB_KEYS_REFETCH_SECONDS=0)
    api = Api(app.test_client())
    pat = Secret(api.create_token(api.create_account(root_key, "acme", "alice"))["token"])
    assert alert(api, keys, [match(formats.PERSONAL_ACCESS_TOKEN.generate())]).status_code == 200
    assert keys.fetches == 1
    rotated = keys.add_key()
    assert alert(api, keys, [match(pat)], key_id=rotated).status_code == 200
    assert keys.fetches == 2 and not alive(api, pat)


def test_forged_key_ids_do_not_make_it_fetch_again_and_again(
    api: Api, keys: KeyServer, alice: str
) -> None:
    assert alert(api, keys, [match(formats.PERSONAL_ACCESS_TOKEN.generate())]).status_code == 200
    body = json.dumps([match(formats.PERSONAL_ACCESS_TOKEN.generate())]).encode()
    for n in range(5):
        headers = {
            **keys.headers(body, next(iter(keys.keys))),
            "Github-Public-Key-Identifier": f"{n}" * 64,
        }
        assert (
            api.client.post("/api/v1/leaks/github", data=body, headers=headers).status_code == 401
        )  # type: ignore[union-attr]
    assert keys.fetches == 1  # within GITHUB_KEYS_REFETCH_SECONDS of the first fetch


def test_keys_that_cannot_be_fetched_are_a_503_and_nothing_is_revoked(
    make_app: Callable[..., Flask], keys: KeyServer, root_key: str
) -> None:
    for url in (f"http://127.0.0.1:{free_port()}/keys", keys.url):
        keys.down = True
        app = make_app(GITHUB_KEYS_URL=url)
        api = Api(app.test_client())
        key = api.create_account(root_key, f"acme{len(url)}", "alice")
        pat = Secret(api.create_token(key)["token"])
        answer = alert(api, keys, [match(pat)])
        assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "UNAVAILABLE"
        assert alive(api, pat)
    keys.down = False  # back: the next alert fetches the keys at once, and is heard
    assert alert(api, keys, [match(pat)]).status_code == 200 and not alive(api, pat)


# --- GitLab's Token Revocation API ---


def gitlab(api: Api, method: str, path: str, authorization: str | None, body: Any = None) -> Any:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return api.client.open(  # type: ignore[union-attr]
        f"/api/v1/leaks/gitlab/{path}", method=method, json=body, headers=headers
    )


@pytest.mark.parametrize("authorization", [f"Bearer {GITLAB_SECRET}", GITLAB_SECRET])
def test_gitlab_lists_the_revocable_types_with_its_secret(api: Api, authorization: str) -> None:
    answer = gitlab(api, "GET", "revocable_token_types", authorization)
    assert answer.status_code == 200
    types = answer.get_json()["types"]
    assert "gitleaks_rule_id_tokenpatrol_personal_access_token" in types
    assert len(types) == len(formats.REGISTRY)


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-secret-0123456789", "", GITLAB_SECRET[:-1]]
)
def test_gitlab_without_the_secret_is_401(api: Api, alice: str, authorization: str | None) -> None:
    pat = Secret(api.create_token(alice)["token"])
    body = [
        {
            "type": "gitleaks_rule_id_tokenpatrol_personal_access_token",
            "token": pat,
            "location": WHERE,
        }
    ]
    assert gitlab(api, "GET", "revocable_token_types", authorization).status_code == 401
    assert gitlab(api, "POST", "revoke_tokens", authorization, body).status_code == 401
    assert alive(api, pat)


def test_gitlab_revokes_through_the_leak_pipeline_idempotently(
    api: Api, alice: str, root_key: str
) -> None:
    pat = Secret(api.create_token(alice)["token"])
    where = "https://gitlab.example.com/acme/app/-/blob/main/.env"
    body = [
        {
            "type": "gitleaks_rule_id_tokenpatrol_personal_access_token",
            "token": pat,
            "location": where,
        }
    ]
    for _ in range(2):
        answer = gitlab(api, "POST", "revoke_tokens", f"Bearer {GITLAB_SECRET}", body)
        assert answer.status_code == 204 and answer.get_data() == b""
    assert not alive(api, pat)
    (event,) = events(api, root_key)
    assert (event["source"], event["url"]) == ("gitlab", where)


@pytest.mark.parametrize("body", [{"type": "x"}, [], [{"type": "x"}], "nonsense"])
def test_gitlab_with_a_bad_body_is_400(api: Api, body: Any) -> None:
    answer = gitlab(api, "POST", "revoke_tokens", GITLAB_SECRET, body)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "INVALID_ARGUMENT"


def test_gitlab_revocation_is_off_until_configured(make_app: Callable[..., Flask]) -> None:
    api = Api(make_app().test_client())
    answer = gitlab(api, "GET", "revocable_token_types", GITLAB_SECRET)
    assert (
        answer.status_code == 404
        and "TOKENPATROL_GITLAB_REVOCATION_TOKEN" in answer.get_json()["error"]["message"]
    )


def test_the_partner_endpoints_are_rate_limited(
    make_app: Callable[..., Flask], keys: KeyServer
) -> None:
    app = make_app(
        GITHUB_KEYS_URL=keys.url, GITLAB_REVOCATION_TOKEN=GITLAB_SECRET, LEAK_RATE_LIMIT="2/hour"
    )
    api = Api(app.test_client())
    body = [{"type": "t", "token": formats.PERSONAL_ACCESS_TOKEN.generate(), "location": WHERE}]
    codes = [
        gitlab(api, "POST", "revoke_tokens", GITLAB_SECRET, body).status_code for _ in range(3)
    ]
    assert codes == [204, 204, 429]
