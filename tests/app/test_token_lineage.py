"""Red-team finding 7: a leaked token outlived its own revocation. Every token records the token
that made it (created or rotated it); a leak report of a token revokes, transitively, what it
made, even when the leaked token itself was already revoked, and says so."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api


def report(api: Api, token: str) -> dict[str, Any]:
    body = {"tokens": [token], "location": {"path": "ci.yml", "line": 3}, "source": "ci"}
    reply = api.call("POST", "/api/v1/leaks/revoke", json_body=body)
    assert reply.status == 200, reply
    result: dict[str, Any] = reply.body["results"][0]
    return result


def alive(api: Api, token: str) -> bool:
    return api.call("GET", "/auth/check", token).status == 200


def test_what_a_leaked_token_made_dies_with_it(api: Api, root_key: str) -> None:
    owner = api.create_account(root_key, "acme", "alice")
    leaked = api.create_token(owner, name="ci", scope="read_write")
    minted_pat = api.create_token(leaked["token"], name="attacker-pat", scope="read_write")
    minted_api = api.create_token(leaked["token"], "api-tokens", name="attacker-api", scope="read")
    grandchild = api.create_token(minted_pat["token"], name="second-hop", scope="read")
    rotated = api.call("POST", f"/me/pats/{leaked['id']}/rotate", leaked["token"], json_body={})
    assert rotated.status == 201
    heir = rotated.body["token"]
    honest = api.create_token(owner, name="owners-own", scope="read")

    checked = api.call(
        "POST", "/api/v1/leaks/check", json_body={"hashes": [sha256(leaked["token"])]}
    )
    assert checked.body["results"][0]["status"] == "active", "a dead token with live heirs"

    result = report(api, leaked["token"])
    assert result["result"] == "revoked" and result["alsoRevoked"] == 4, result
    for token in (heir, minted_pat["token"], minted_api["token"], grandchild["token"]):
        assert not alive(api, token)
    assert alive(api, honest["token"]) and alive(api, owner)
    (event,) = api.call("GET", "/me/leaks", owner).body
    assert event["alsoRevoked"] == 4 and event["revokedNow"] is True
    again = report(api, leaked["token"])
    assert again["result"] == "already_revoked" and again["alsoRevoked"] == 0


def test_a_token_made_from_the_owner_s_own_key_is_not_the_leak_s(api: Api, root_key: str) -> None:
    owner = api.create_account(root_key, "acme", "alice")
    first = api.create_token(owner, name="one")
    second = api.create_token(owner, name="two")
    assert report(api, first["token"]) == {**report_shape(first), "alsoRevoked": 0}
    assert alive(api, second["token"])


def report_shape(token: dict[str, Any]) -> dict[str, Any]:
    from scanner import formats

    return {
        "fingerprint": formats.fingerprint(token["token"]),
        "redacted": formats.redact(token["token"]),
        "result": "revoked",
        "tokenId": token["id"],
        "kind": "pat",
    }


def sha256(raw: str) -> str:
    from scanner import formats

    return formats.token_hash(raw)
