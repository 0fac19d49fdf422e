"""`oi rules --format ...`: the registry's formats as other scanners' rules, checked by running
those scanners (the real gitleaks 8.30 and Kingfisher 2.14) and Python's `re` on planted tokens
and look-alikes.

A look-alike is a string of the wrong shape: too short, too long, a character out of the
alphabet, a near prefix. A right-shaped string whose checksum (or signature) is wrong cannot be
told apart by a regex: the exported rules match it, and only `oi scan` rejects it (the last
tests say so).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner import formats
from tests.scanner.conftest import new_api_token, run_main, scan_stdin
from tests.support.scanner_binaries import gitleaks, kingfisher
from tests.support.secrets import Secret, find_tokens

EXPORTS = ("gitleaks", "kingfisher", "github", "regex")
Found = set[tuple[str, Secret]]
KINGFISHER_SCAN = ["--no-validate", "--no-rule-cache"]  # nothing validated online, no cache


def planted() -> dict[str, Secret]:
    """One fresh valid token of every registered format, keyed by its rule id."""
    tokens: dict[str, Secret] = {}
    for fmt in formats.REGISTRY:
        if isinstance(fmt, formats.ChecksumFormat):
            tokens[formats.rule_id(fmt)] = Secret(fmt.generate())
        else:
            tokens[formats.rule_id(fmt)] = new_api_token()
    return tokens


def look_alikes(token: str) -> list[str]:
    """Strings one step off the token's shape, none of which a rule may report."""
    fmt = formats.format_for(token)
    assert fmt is not None
    prefix, body = fmt.prefix, token[len(fmt.prefix) :]
    middle = len(body) // 2
    near = [prefix[:-1] + "-" + body, prefix.upper() + body, prefix[1:] + body]
    shapes = [token[:-1], token + "Z", prefix + body[:middle] + "#" + body[middle + 1 :], *near]
    if isinstance(fmt, formats.SignedFormat):
        payload, signature = body.split(".")
        shapes += [
            prefix + payload.replace(payload[5], "+", 1) + "." + signature,  # standard base64
            prefix + payload + "." + signature[:-1] + "B",  # not canonical base64url
            prefix + payload[:12] + "." + signature,  # payload too short
            prefix + "QUJD" + payload[3:] + "." + signature,  # not a JSON object
        ]
    return shapes


def planted_text(tokens: dict[str, Secret]) -> str:
    """The tokens in the places people leave them, and the look-alikes of other tokens (so a
    rule that reports part of one is caught), each on a line of its own."""
    lines = []
    for (rule_id, token), decoy in zip(tokens.items(), planted().values(), strict=True):
        lines += [f"{rule_id.upper()}={token}", f'  "token": "{token}",', f"it is {token}."]
        lines += [f"decoy {shape} here" for shape in look_alikes(decoy)]
    last = next(iter(tokens.values()))
    return "\n".join(lines) + f"\nat the very end {last}"  # no newline after the last one


def expected(tokens: dict[str, Secret]) -> Found:
    return {(rule_id, token) for rule_id, token in tokens.items()}


def export(name: str) -> str:
    result = run_main(["rules", "--format", name])
    assert result.rc == 0 and result.err == "", result.why
    return result.out


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the real scanners --------------------------------------------------------------------------


def test_gitleaks_finds_every_planted_token_and_no_look_alike(tmp_path: Path) -> None:
    binary = gitleaks()
    tokens = planted()
    config = write(tmp_path, "tokenpatrol.toml", export("gitleaks"))
    source = write(tmp_path / "src", "leaks.txt", planted_text(tokens))
    report = tmp_path / "report.json"
    command = [binary, "dir", str(source.parent), "--config", str(config), "--no-banner"]
    command += ["--report-format", "json", "--report-path", str(report), "--exit-code", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, formats.redact_text(done.stderr)
    found = {(item["RuleID"], Secret(item["Secret"])) for item in json.loads(report.read_text())}
    assert found == expected(tokens)


def test_kingfisher_finds_every_planted_token_and_no_look_alike(tmp_path: Path) -> None:
    binary = kingfisher()
    tokens = planted()
    rules = write(tmp_path, "tokenpatrol.yml", export("kingfisher"))
    source = write(tmp_path / "src", "leaks.txt", planted_text(tokens))
    report = tmp_path / "report.json"
    command = [binary, "scan", str(source.parent), *_kingfisher_options(rules), *KINGFISHER_SCAN]
    done = subprocess.run(
        [*command, "--format", "json", "--output", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 200), formats.redact_text(done.stderr)  # 200: findings
    findings = json.loads(report.read_text())["findings"]
    found = {(item["rule"]["id"], Secret(item["finding"]["snippet"])) for item in findings}
    assert found == expected(tokens)


def test_kingfisher_checks_each_rules_example_and_negative_examples(tmp_path: Path) -> None:
    """`kingfisher rules check` runs every rule on its example (right-shaped, never valid) and
    its negative examples (look-alikes), through Kingfisher's own scan-time filters."""
    binary = kingfisher()
    rules = write(tmp_path, "tokenpatrol.yml", export("kingfisher"))
    done = subprocess.run(
        [binary, "rules", "check", *_kingfisher_options(rules), "--warnings-as-errors"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout + done.stderr


def _kingfisher_options(rules: Path) -> list[str]:
    """Only our rules, and no update check (nothing leaves the machine)."""
    return ["--rules-path", str(rules), "--load-builtins", "false", "--no-update-check"]


# --- the regexes, in Python's re ----------------------------------------------------------------


def test_regex_lines_find_every_planted_token_and_no_look_alike() -> None:
    tokens = planted()
    lines = export("regex").splitlines()
    assert len(lines) == len(formats.REGISTRY)
    text = planted_text(tokens)
    found = {
        (rule_id, Secret(match.group(1)))
        for rule_id, line in zip(tokens, lines, strict=True)
        for match in re.finditer(line, text)
    }
    assert found == expected(tokens)


def test_github_custom_patterns_and_partner_regexes_find_every_token_and_no_look_alike() -> None:
    tokens = planted()
    document = json.loads(export("github"))
    text = planted_text(tokens)
    custom: Found = set()
    for rule_id, pattern in zip(tokens, document["custom_patterns"], strict=True):
        before, after = (
            pattern[key].replace(r"\z", r"\Z") for key in ("before_secret", "after_secret")
        )
        combined = f"(?:{before})({pattern['secret_format']})(?={after})"
        custom |= {(rule_id, Secret(match.group(1))) for match in re.finditer(combined, text)}
    partner = {
        (entry["type"], Secret(match.group(1)))
        for entry in document["partner_program"]
        for match in re.finditer(entry["regex"], text)
    }
    assert custom == expected(tokens)
    assert partner == expected(tokens)


def test_the_plain_oai_regex_keeps_the_registry_payload_bounds() -> None:
    """The registry takes payloads of 16 to 8192 characters; the plain regex says the same."""
    (line,) = (line for line in export("regex").splitlines() if "oai_" in line)
    token = new_api_token()
    payload, signature = token[len(formats.API_TOKEN.prefix) :].split(".")
    shortest, longest = formats.SIGNED_PAYLOAD_LENGTH
    for length, matches in ((shortest, True), (longest, True), (longest + 1, False)):
        stretched = (payload * (longest // len(payload) + 2))[:length]
        candidate = f"{formats.API_TOKEN.prefix}{stretched}.{signature}"
        assert (re.search(line, f" {candidate} ") is not None) is matches, length


# --- the files themselves -----------------------------------------------------------------------


def test_gitleaks_toml_has_one_rule_per_format_named_by_its_rule_id() -> None:
    config = tomllib.loads(export("gitleaks"))
    rules = config["rules"]
    assert [rule["id"] for rule in rules] == [formats.rule_id(fmt) for fmt in formats.REGISTRY]
    for rule, fmt in zip(rules, formats.REGISTRY, strict=True):
        assert rule["keywords"] == [fmt.prefix] and rule["secretGroup"] == 1, rule["id"]
        assert re.compile(rule["regex"]).groups == 1, rule["id"]


def test_kingfisher_yaml_has_one_rule_per_format_named_by_its_rule_id() -> None:
    document: dict[str, Any] = yaml.safe_load(export("kingfisher"))
    rules = document["rules"]
    assert [rule["id"] for rule in rules] == [formats.rule_id(fmt) for fmt in formats.REGISTRY]
    for rule in rules:
        assert {"name", "pattern", "confidence", "examples", "negative_examples"} <= rule.keys()
        assert all(re.search(rule["pattern"], example) for example in rule["examples"]), rule["id"]
        assert not any(re.search(rule["pattern"], text) for text in rule["negative_examples"])


@pytest.mark.parametrize("name", EXPORTS)
def test_no_export_holds_a_valid_token(name: str) -> None:
    """The examples are right-shaped but never valid: committing an export trips no scanner of
    ours, and the output path prints no secret."""
    text = export(name)
    if name == "kingfisher":  # its examples are shaped like tokens
        assert len(formats.TOKEN_SHAPED.findall(text)) >= len(formats.REGISTRY)
    assert find_tokens(text) == []


def test_a_bad_checksum_matches_the_regex_and_only_oi_scan_rejects_it() -> None:
    """The limit every regex export has: the shape is right, the checksum is not."""
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    (line,) = (line for line in export("regex").splitlines() if "oi_pat_" in line)
    assert re.search(line, f"key={forged}\n") is not None
    result = scan_stdin(f"key={forged}\n".encode())
    assert result.rc == 0 and result.findings == [], result.why


def test_an_unknown_format_is_one_line_and_exit_2() -> None:
    result = run_main(["rules", "--format", "trufflehog"])
    assert result.rc == 2 and result.out == "", result.why
    assert result.err.splitlines() == [
        "oi rules: error: unknown format 'trufflehog' "
        "(choose from gitleaks, kingfisher, github, regex)"
    ]


def test_oi_help_lists_rules() -> None:
    result = run_main(["help"])
    assert result.rc == 0 and re.search(r"^  rules\s+\S", result.out, re.MULTILINE), result.why


def test_a_token_glued_after_text_is_found_as_oi_scan_finds_it() -> None:
    """Text before the prefix does not hide a token (`PASSWORD<token>`), in oi scan or here."""
    tokens = planted()
    text = "\n".join(f"PASSWORD{token}" for token in tokens.values())
    found = {
        (rule_id, Secret(match.group(1)))
        for rule_id, line in zip(tokens, export("regex").splitlines(), strict=True)
        for match in re.finditer(line, text)
    }
    assert found == expected(tokens)
    assert len(scan_stdin(text.encode()).findings) == len(tokens)


def test_oi_rules_loads_the_standard_library_and_scanner_only() -> None:
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"  # what the interpreter's start-up loaded (site, .pth)
        "from scanner.cli import main\n"
        "rc = main(['rules', '--format', 'kingfisher'])\n"
        "roots = {name.split('.')[0] for name in set(sys.modules) - before}\n"
        "others = sorted(roots - set(sys.stdlib_module_names) - {'scanner', '__main__'})\n"
        "print('OTHERS', rc, others, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )
    stderr = done.stderr[-2000:]
    assert done.returncode == 0 and "OTHERS 0 []" in stderr, stderr
