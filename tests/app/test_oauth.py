"""OAuth 2.1 for the CLI through the Flask test client: consent, PKCE, rotation, reuse, RFC 7009."""

from __future__ import annotations

from typing import Any

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from flask import Flask
from flask.testing import FlaskClient

from scanner import formats
from tests.support.api import Api
from tests.support.oauth_flow import (
    CLIENT_ID,
    PASSWORD,
    Pkce,
    authorize_path,
    csrf_token,
    person_with_password,
    query_of,
)
from tests.support.secrets import Secret

LOOPBACK = "http://127.0.0.1:53682/callback"


@pytest.fixture
def person(api: Api, root_key: str) -> str:
    return person_with_password(api, root_key, "acme", "carol")


@pytest.fixture
def signed_in(client: FlaskClient, person: str) -> FlaskClient:
    page = client.get("/login")
    reply = client.post(
        "/login",
        data={"login": person, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert reply.status_code == 302, reply.text
    return client


def consent(client: FlaskClient, path: str, *, allow: bool = True) -> Any:
    page = client.get(path)
    assert page.status_code == 200, page.text
    button = {"allow": "Allow"} if allow else {"deny": "Deny"}
    return client.post(path, data={"csrf_token": csrf_token(page.text), **button})


def authorized_code(
    client: FlaskClient, pkce: Pkce, redirect_uri: str = LOOPBACK, **kw: str
) -> str:
    reply = consent(client, authorize_path(redirect_uri, pkce, **kw))
    assert reply.status_code == 302
    assert reply.headers["Location"].startswith(redirect_uri + "?")
    answer = query_of(reply.headers["Location"])
    assert answer["state"] == kw.get("state", "st4te")
    return answer["code"]


def token_call(client: FlaskClient, **form: str) -> Any:
    return client.post("/oauth/token", data={"client_id": CLIENT_ID, **form})


def exchange(client: FlaskClient, code: str, pkce: Pkce, redirect_uri: str = LOOPBACK) -> Any:
    return token_call(
        client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=pkce.verifier,
    )


def sign_in_tokens(client: FlaskClient, **kw: str) -> dict[str, Secret]:
    pkce = Pkce.new()
    reply = exchange(client, authorized_code(client, pkce, **kw), pkce)
    assert reply.status_code == 200, reply.json
    return {key: Secret(value) if "token" in key else value for key, value in reply.json.items()}


def check(api: Api, token: str) -> Any:
    return api.call("GET", "/auth/check", token)


def test_metadata_is_valid_rfc8414_and_offers_s256_only(client: FlaskClient) -> None:
    document = client.get("/.well-known/oauth-authorization-server").json
    AuthorizationServerMetadata(document).validate()
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["token_endpoint"].endswith("/oauth/token")
    assert document["revocation_endpoint"].endswith("/oauth/revoke")


def test_consent_page_names_the_client_and_scope_and_needs_sign_in(
    client: FlaskClient, person: str
) -> None:
    path = authorize_path(LOOPBACK, Pkce.new(), scope="read")
    before = client.get(path)
    assert before.status_code == 302 and before.headers["Location"].startswith("/login?next=")
    page = consent_page = signed_in_client_page(client, person, path)
    assert "oi-cli" in page and 'data-testid="consent-scope">read<' in consent_page
    assert "Allow" in page and "Deny" in page


def signed_in_client_page(client: FlaskClient, person: str, path: str) -> str:
    login = client.get("/login")
    client.post(
        "/login", data={"login": person, "password": PASSWORD, "csrf_token": csrf_token(login.text)}
    )
    return client.get(path).text


def test_code_flow_gives_an_8_hour_access_token_and_a_refresh_token(
    signed_in: FlaskClient, api: Api
) -> None:
    tokens = sign_in_tokens(signed_in)
    assert tokens["expires_in"] == 28800 and tokens["token_type"].lower() == "bearer"
    assert formats.identify(tokens["access_token"]) is formats.OAUTH_ACCESS_TOKEN
    assert formats.identify(tokens["refresh_token"]) is formats.OAUTH_REFRESH_TOKEN
    who = check(api, tokens["access_token"])
    assert who.status == 200 and who.body["scope"] == "read_write", who
    assert who.body["userId"] == "carol"
    assert check(api, tokens["refresh_token"]).status == 401  # not a bearer credential


def test_a_code_works_once_and_its_replay_revokes_what_it_bought(
    signed_in: FlaskClient, api: Api
) -> None:
    pkce = Pkce.new()
    code = authorized_code(signed_in, pkce)
    first = exchange(signed_in, code, pkce)
    assert first.status_code == 200
    replay = exchange(signed_in, code, pkce)
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert check(api, first.json["access_token"]).status == 401


def test_codes_are_short_lived(make_app: Any, api: Api, root_key: str) -> None:
    app: Flask = make_app(OAUTH_CODE_TTL_SECONDS=0)
    client = app.test_client()
    login = person_with_password(Api(client), root_key, "acme", "dave")
    page = client.get("/login")
    client.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
    )
    pkce = Pkce.new()
    reply = exchange(client, authorized_code(client, pkce), pkce)
    assert reply.status_code == 400 and reply.json["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"code_challenge_method": "plain"}, "plain refused"),
        ({"code_challenge_method": ""}, "method required"),
        ({"code_challenge": "", "code_challenge_method": ""}, "PKCE required"),
    ],
)
def test_pkce_is_required_and_s256_only(
    signed_in: FlaskClient, extra: dict[str, str], reason: str
) -> None:
    reply = signed_in.get(authorize_path(LOOPBACK, Pkce.new(), **extra))
    assert reply.status_code == 302, reason
    answer = query_of(reply.headers["Location"])
    assert answer["error"] == "invalid_request" and "code" not in answer, reason


def test_a_wrong_verifier_is_refused(signed_in: FlaskClient) -> None:
    code = authorized_code(signed_in, Pkce.new())
    reply = exchange(signed_in, code, Pkce.new())
    assert reply.status_code == 400 and reply.json["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:8123/callback",
        "http://[::1]:40000/callback",
        "http://127.0.0.1:1/callback",
    ],
)
def test_loopback_redirects_on_any_port(signed_in: FlaskClient, redirect_uri: str) -> None:
    pkce = Pkce.new()
    code = authorized_code(signed_in, pkce, redirect_uri)
    assert exchange(signed_in, code, pkce, redirect_uri).status_code == 200


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:8123/callback",
        "https://evil.example/callback",
        "http://127.0.0.1:8123/other",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:8123/callback?x=1",
        "http://user@127.0.0.1:8123/callback",
        "http://127.0.0.2:8123/callback",
    ],
)
def test_other_redirects_are_refused_without_redirecting(
    signed_in: FlaskClient, redirect_uri: str
) -> None:
    reply = signed_in.get(authorize_path(redirect_uri, Pkce.new()))
    assert reply.status_code == 400 and "Location" not in reply.headers


def test_the_exchange_must_name_the_same_redirect(signed_in: FlaskClient) -> None:
    pkce = Pkce.new()
    code = authorized_code(signed_in, pkce)
    reply = exchange(signed_in, code, pkce, "http://127.0.0.1:9999/callback")
    assert reply.status_code == 400 and reply.json["error"] == "invalid_grant"


def test_deny_redirects_with_access_denied(signed_in: FlaskClient) -> None:
    reply = consent(signed_in, authorize_path(LOOPBACK, Pkce.new()), allow=False)
    assert reply.status_code == 302
    assert query_of(reply.headers["Location"])["error"] == "access_denied"


def test_consent_without_csrf_token_issues_no_code(signed_in: FlaskClient) -> None:
    reply = signed_in.post(authorize_path(LOOPBACK, Pkce.new()), data={"allow": "Allow"})
    assert reply.status_code == 400 and "Location" not in reply.headers


def test_a_user_cannot_grant_admin_scope(signed_in: FlaskClient) -> None:
    reply = signed_in.get(authorize_path(LOOPBACK, Pkce.new(), scope="admin"))
    assert reply.status_code == 403


def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    signed_in: FlaskClient, api: Api
) -> None:
    first = sign_in_tokens(signed_in)
    refreshed = token_call(
        signed_in, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.json
    second = refreshed.json
    assert second["refresh_token"] != first["refresh_token"] and second["expires_in"] == 28800
    assert check(api, second["access_token"]).status == 200

    reuse = token_call(signed_in, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json["error"] == "invalid_grant"
    for access in (first["access_token"], second["access_token"]):
        assert check(api, access).body["error"]["message"] == "token has been revoked"
    after = token_call(signed_in, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert after.status_code == 400


def test_other_sign_ins_survive_a_family_revocation(signed_in: FlaskClient, api: Api) -> None:
    laptop, desktop = sign_in_tokens(signed_in), sign_in_tokens(signed_in)
    token_call(signed_in, grant_type="refresh_token", refresh_token=laptop["refresh_token"])
    token_call(signed_in, grant_type="refresh_token", refresh_token=laptop["refresh_token"])
    assert check(api, laptop["access_token"]).status == 401
    assert check(api, desktop["access_token"]).status == 200


def test_rfc7009_revoking_the_refresh_token_ends_the_sign_in(
    signed_in: FlaskClient, api: Api
) -> None:
    tokens = sign_in_tokens(signed_in)
    reply = signed_in.post(
        "/oauth/revoke",
        data={
            "client_id": CLIENT_ID,
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
        },
    )
    assert reply.status_code == 200
    assert check(api, tokens["access_token"]).status == 401
    again = token_call(signed_in, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert again.status_code == 400


def test_rfc7009_unknown_tokens_answer_200(client: FlaskClient) -> None:
    unknown = formats.OAUTH_ACCESS_TOKEN.generate()
    reply = client.post("/oauth/revoke", data={"client_id": CLIENT_ID, "token": unknown})
    assert reply.status_code == 200


def test_token_endpoint_refuses_unknown_clients_and_grants(client: FlaskClient) -> None:
    wrong_client = client.post(
        "/oauth/token", data={"client_id": "other", "grant_type": "authorization_code", "code": "x"}
    )
    assert wrong_client.status_code in (400, 401) and wrong_client.json["error"] == "invalid_client"
    password_grant = token_call(client, grant_type="password", username="a", password="b")
    assert password_grant.status_code == 400
    assert password_grant.json["error"] == "unsupported_grant_type"


def test_a_leaked_oauth_token_takes_its_sign_in_with_it(signed_in: FlaskClient, api: Api) -> None:
    tokens = sign_in_tokens(signed_in)
    report = api.call(
        "POST",
        "/api/v1/leaks/revoke",
        json_body={"tokens": [tokens["refresh_token"]], "location": {"path": "x"}, "source": "ci"},
    )
    assert report.status == 200 and report.body["results"][0]["result"] == "revoked"
    assert check(api, tokens["access_token"]).status == 401


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:53682/callback\\x",
        "http://127.0.0.1:53682\\@evil.example/callback",
        "http://127.0.0.1:53682/callback\r\nSet-Cookie: x=1",
        "http://127.0.0.1:53682/call\nback",
        "http://127.0.0.1:53682/callback%0d%0aX: y",
        "http://[::1:53682/callback",
    ],
    ids=["backslash", "backslash-userinfo", "crlf-header", "newline", "encoded-crlf", "bad-ipv6"],
)
def test_a_malformed_redirect_uri_is_a_400_without_a_redirect(
    signed_in: FlaskClient, redirect_uri: str
) -> None:
    """Red-team finding 14: `\\` or CR/LF in redirect_uri made /oauth/authorize answer 500."""
    path = authorize_path(redirect_uri, Pkce.new())
    for method in ("GET", "POST"):
        reply = signed_in.open(path, method=method, data={"allow": "Allow"})
        assert reply.status_code == 400, (method, reply.status_code)
        assert "Location" not in reply.headers


def test_a_refresh_asking_for_more_scope_is_refused_without_spending_the_token(
    signed_in: FlaskClient,
) -> None:
    """Red-team finding 15: the refused refresh burned the token, and the owner's next refresh
    then looked like a replay and revoked the whole sign-in."""
    tokens = sign_in_tokens(signed_in, scope="read")
    wider = signed_in.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
            "scope": "admin",
        },
    )
    assert wider.status_code == 400 and wider.json["error"] == "invalid_scope", wider.json
    honest = signed_in.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
        },
    )
    assert honest.status_code == 200, honest.json
    assert formats.identify(honest.json["access_token"]) is formats.OAUTH_ACCESS_TOKEN
