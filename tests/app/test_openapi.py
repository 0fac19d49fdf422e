"""/openapi.json is valid OpenAPI 3.1 and describes exactly the routes the app serves."""

from __future__ import annotations

import re

from flask import Flask
from openapi_spec_validator import validate

from tests.support.api import Api


def test_document_is_valid_openapi_3_1(api: Api) -> None:
    reply = api.call("GET", "/openapi.json")
    assert reply.status == 200 and reply.body["openapi"] == "3.1.0"
    validate(reply.body)


# Pages for browsers, not JSON operations: the web UI, the device code page and the OAuth
# consent page.
HTML_BLUEPRINTS = {"web", "device"}


def test_document_lists_every_route_and_method(api: Api, app: Flask) -> None:
    paths = api.call("GET", "/openapi.json").body["paths"]
    documented = {(path, method.upper()) for path, item in paths.items() for method in item}
    served = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
        and rule.endpoint.split(".")[0] not in HTML_BLUEPRINTS
        and rule.endpoint != "oauth.authorize"
    }
    assert documented == served


def test_request_schema_is_the_one_that_validates(api: Api, root_key: str) -> None:
    doc = api.call("GET", "/openapi.json").body
    body = doc["paths"]["/api/v1/admin/accounts"]["post"]["requestBody"]["content"]
    ref = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema = doc["components"]["schemas"][ref]
    assert set(schema["required"]) == {"account_id", "admin_user_id"}
    pattern = schema["properties"]["account_id"]["pattern"]
    assert re.match(pattern, "acme") and not re.match(pattern, "bad id")
    refused = api.call(
        "POST",
        "/api/v1/admin/accounts",
        root_key,
        json_body={"account_id": "bad id", "admin_user_id": "a"},
    )
    assert refused.status == 400


def test_public_operations_declare_no_security(api: Api) -> None:
    paths = api.call("GET", "/openapi.json").body["paths"]
    assert paths["/health"]["get"]["security"] == []
    assert paths["/auth/invites/claim"]["post"]["security"] == []
    assert paths["/me/pats"]["post"]["security"]
