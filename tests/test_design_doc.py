"""docs/design.md "Where is it" stays true: every route and `oi` command has a row, and every
`file:function` and test file the section names exists."""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import click
from flask import Flask
from flask.testing import FlaskClient

from scanner.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "design.md"
HEADING = "## Where is it"
COLUMNS = ("behaviour", "route or command", "handler", "service", "test")
NO_SERVICE = "—"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

ROUTE = re.compile(rf"^({'|'.join(HTTP_METHODS)}) (/\S*)$")
REFERENCE = re.compile(r"^([\w./-]+\.py):(\w+)$")
TEST_FILE = re.compile(r"^(tests/[\w/]+\.py)(?:::(\w+))?$")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
PARAMETER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")  # a werkzeug rule's <converter:name>


class Row(NamedTuple):
    behaviour: str
    route: str
    handler: str
    service: str
    test: str


def section() -> str:
    """The text of the "Where is it" section, up to the next heading of its level or above."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    starts = [index for index, line in enumerate(lines) if line.strip() == HEADING]
    assert starts, f"{DOC.relative_to(ROOT)} has no {HEADING!r} section"
    body: list[str] = []
    for line in lines[starts[0] + 1 :]:
        if re.match(r"^#{1,2} ", line):
            break
        body.append(line)
    return "\n".join(body)


def cells(line: str) -> list[str]:
    return [cell.strip().replace("`", "") for cell in line.strip().strip("|").split("|")]


@functools.cache
def rows() -> tuple[Row, ...]:
    table = [cells(line) for line in section().splitlines() if line.lstrip().startswith("|")]
    assert table, f"the {HEADING!r} section has no table"
    header, *body = table
    assert tuple(header) == COLUMNS, f"the table's columns are {header}, not {list(COLUMNS)}"
    parsed: list[Row] = []
    for row in body:
        if all(re.fullmatch(r":?-+:?", cell) for cell in row):
            continue  # the separator line
        assert len(row) == len(COLUMNS), f"row {row} does not have {len(COLUMNS)} cells"
        parsed.append(Row(*row))
    assert parsed, f"the {HEADING!r} table has no rows"
    return tuple(parsed)


def listed_routes() -> set[str]:
    return {row.route for row in rows()}


def command_words(cell: str) -> str:
    """`oi scan --revoke` -> `oi scan`: the command, without its options."""
    return " ".join(word for word in cell.split() if not word.startswith("-"))


def oi_commands() -> list[str]:
    """Every runnable `oi` command: the command table, and click groups down to their leaves."""
    found: list[str] = []
    for name, entry in COMMANDS.items():
        command = getattr(importlib.import_module(entry.module), entry.attribute)
        found.extend(_leaves(f"oi {name}", command))
    return found


def _leaves(prefix: str, command: object) -> Iterator[str]:
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _leaves(f"{prefix} {name}", sub)
    else:
        yield prefix


def defines(path: Path, name: str) -> bool:
    pattern = rf"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{re.escape(name)}\b"
    return re.search(pattern, path.read_text(encoding="utf-8"), re.MULTILINE) is not None


def reference_problem(reference: str) -> str | None:
    """Why `file:function` does not hold, or None when the file defines the function."""
    match = REFERENCE.match(reference)
    if match is None:
        return f"{reference!r} is not file.py:function"
    file_name, name = match.groups()
    path = ROOT / file_name
    if not path.is_file():
        return f"{reference}: no file {file_name}"
    if not defines(path, name):
        return f"{reference}: {file_name} defines no function or class {name}"
    return None


def openapi_template(rule: str) -> str:
    """`/me/pats/<token_id>` -> `/me/pats/{token_id}`."""
    return PARAMETER.sub(r"{\1}", rule)


def served_routes(app: Flask) -> set[str]:
    """`METHOD /path` for every rule the app serves, with `<x>` written as OpenAPI's `{x}`."""
    return {
        f"{method} {openapi_template(rule.rule)}"
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method in HTTP_METHODS
    }


def test_every_openapi_route_has_a_row(client: FlaskClient) -> None:
    reply = client.get("/openapi.json")
    assert reply.status_code == 200 and reply.json is not None
    documented = [
        f"{method.upper()} {path}"
        for path, operations in reply.json["paths"].items()
        for method in operations
        if method.upper() in HTTP_METHODS
    ]
    assert documented, "/openapi.json lists no operations"
    missing = [route for route in documented if route not in listed_routes()]
    assert not missing, f"{HEADING!r} has no row for these /openapi.json routes: {missing}"


def test_every_oi_command_has_a_row() -> None:
    commands = oi_commands()
    assert "oi tokens rotate" in commands and "oi scan" in commands, commands
    missing = [command for command in commands if command not in listed_routes()]
    assert not missing, f"{HEADING!r} has no row for these oi commands: {missing}"


def test_every_route_and_command_in_the_table_exists(app: Flask) -> None:
    served, commands = served_routes(app), set(oi_commands())
    wrong = []
    for row in rows():
        if row.route.startswith("oi "):
            if command_words(row.route) not in commands:
                wrong.append(f"{row.route!r} is not an oi command")
        elif ROUTE.match(row.route) is None:
            wrong.append(f"{row.route!r} is neither `METHOD /path` nor `oi ...`")
        elif row.route not in served:
            wrong.append(f"{row.route!r} is not served by the app")
    assert not wrong, f"{HEADING!r} rows name routes or commands that do not exist: {wrong}"


def test_every_handler_and_service_is_defined() -> None:
    problems = []
    for row in rows():
        problem = reference_problem(row.handler)
        if problem:
            problems.append(f"handler of {row.route!r}: {problem}")
        if row.service != NO_SERVICE:
            problem = reference_problem(row.service)
            if problem:
                problems.append(f"service of {row.route!r}: {problem}")
    assert not problems, f"{HEADING!r} names handlers or services that do not exist: {problems}"


def test_every_file_function_named_in_the_section_is_defined() -> None:
    """The leak flow above the table and the notes in its cells name code too."""
    references = sorted(
        {span for span in CODE_SPAN.findall(section()) if REFERENCE.match(span.strip())}
    )
    assert references, f"{HEADING!r} names no file:function"
    problems = [problem for ref in references if (problem := reference_problem(ref.strip()))]
    assert not problems, f"{HEADING!r} names code that does not exist: {problems}"


def test_every_test_named_exists() -> None:
    problems = []
    for row in rows():
        match = TEST_FILE.match(row.test)
        if match is None:
            problems.append(f"test of {row.route!r}: {row.test!r} is not tests/...py[::name]")
            continue
        file_name, name = match.groups()
        path = ROOT / file_name
        if not path.is_file():
            problems.append(f"test of {row.route!r}: no file {file_name}")
        elif name and not defines(path, name):
            problems.append(f"test of {row.route!r}: {file_name} has no test {name}")
    assert not problems, f"{HEADING!r} names tests that do not exist: {problems}"
