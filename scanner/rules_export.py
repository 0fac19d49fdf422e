"""The registry in other scanners' formats: gitleaks (and GitLab), Kingfisher, GitHub, regexes.

Every rule is made from `scanner.formats.REGISTRY`, so a new format reaches every scanner at
once, and its id is `formats.rule_id(fmt)`: the name the service answers GitHub's and GitLab's
alerts by. A regex sees the shape only (prefix, length, alphabet): a right-shaped string with a
wrong checksum or signature matches too, and only `oi scan` (which checks them) tells it apart.
Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import NamedTuple

from scanner import formats

EXPORTS = ("gitleaks", "kingfisher", "github", "regex")

BASE62 = "[0-9A-Za-z]"
B64URL = "[A-Za-z0-9_-]"
# Every payload `SignedFormat.sign` makes is a JSON object whose first key starts with a letter,
# so its base64url starts with these three characters (`{"` + a letter).
SIGNED_PAYLOAD_START = "eyJ"
# A 32-byte HMAC in 43 base64url characters leaves two bits of the last one zero.
SIGNATURE_LAST = "[AEIMQUYcgkosw048]"
# RE2 (gitleaks, GitHub) refuses a counted repeat over 1000, and a chain of them costs seconds
# per file: linear-time engines get the payload's lower bound only. The registry's upper bound
# stays in the plain regexes, where it keeps a backtracking engine's work bounded.
RE2_REPEAT_LIMIT = 1000


class Rule(NamedTuple):
    """One format as every export needs it: the token alone, and what may not follow it."""

    id: str
    name: str
    prefix: str
    token: str  # the token, for a linear-time engine (RE2, Rust, Hyperscan)
    exact_token: str  # the same with every bound of the registry (Python, PCRE)
    alphabet: str  # a character class: none of it may follow the token
    example: str  # right-shaped, but never a valid token (its checksum or payload is wrong)

    def regex(self, *, exact: bool = False) -> str:
        """Group 1 is the token; the character after it (or the end) is matched, not kept.
        Text glued before the prefix is allowed, as `oi scan` allows it; after the token none
        of its alphabet may follow, as a regex cannot check where a checksum ends."""
        token = self.exact_token if exact else self.token
        return rf"({token})(?:[^{self.alphabet[1:-1]}]|$)"


def rules() -> tuple[Rule, ...]:
    """One rule per registered format, in the registry's order."""
    return tuple(_rule(fmt) for fmt in formats.REGISTRY)


def _rule(fmt: formats.TokenFormat) -> Rule:
    if isinstance(fmt, formats.ChecksumFormat):
        return _checksum_rule(fmt)
    return _signed_rule(fmt)


def _checksum_rule(fmt: formats.ChecksumFormat) -> Rule:
    body = formats.RANDOM_LENGTH + formats.CHECKSUM_LENGTH
    token = re.escape(fmt.prefix) + f"{BASE62}{{{body}}}"
    name = f"tokenpatrol {fmt.description}"
    return Rule(formats.rule_id(fmt), name, fmt.prefix, token, token, BASE62, _bad_checksum(fmt))


def _signed_rule(fmt: formats.SignedFormat) -> Rule:
    shortest, longest = formats.SIGNED_PAYLOAD_LENGTH
    rest = shortest - len(SIGNED_PAYLOAD_START)
    head = re.escape(fmt.prefix) + SIGNED_PAYLOAD_START
    tail = rf"\.{B64URL}{{{formats.SIGNATURE_LENGTH - 1}}}{SIGNATURE_LAST}"
    token = f"{head}{B64URL}{{{rest},}}{tail}"
    exact = f"{head}{B64URL}{{{rest},{longest - len(SIGNED_PAYLOAD_START)}}}{tail}"
    name = f"tokenpatrol {fmt.description}"
    return Rule(formats.rule_id(fmt), name, fmt.prefix, token, exact, B64URL, _unsigned(fmt))


def _bad_checksum(fmt: formats.ChecksumFormat) -> str:
    """A fixed example whose checksum is wrong: it matches the rule, and no scanner of ours
    counts it."""
    import hashlib

    digest = hashlib.sha256(fmt.prefix.encode()).digest()
    random_part = "".join(formats.BASE62_ALPHABET[byte % 62] for byte in digest)
    valid = fmt.from_random(random_part[: formats.RANDOM_LENGTH])
    last = formats.BASE62_ALPHABET.index(valid[-1])
    return valid[:-1] + formats.BASE62_ALPHABET[(last + 1) % 62]


def _unsigned(fmt: formats.SignedFormat) -> str:
    """A fixed example whose payload lacks the token fields: shaped like one, never valid."""
    import base64
    import hashlib

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    payload = b64(json.dumps({"example": "not a token", "rule": formats.rule_id(fmt)}).encode())
    return f"{fmt.prefix}{payload}.{b64(hashlib.sha256(payload.encode()).digest())}"


def render(export: str) -> str:
    """The text of one export; `KeyError` for a name not in `EXPORTS`."""
    writers: dict[str, Callable[[tuple[Rule, ...]], str]] = {
        "gitleaks": gitleaks_toml,
        "kingfisher": kingfisher_yaml,
        "github": github_json,
        "regex": plain_regexes,
    }
    return writers[export](rules())


def plain_regexes(found: tuple[Rule, ...]) -> str:
    """One regex per line (Python, PCRE, `grep -P`): group 1 is the token."""
    return "".join(rule.regex(exact=True) + "\n" for rule in found)


def gitleaks_toml(found: tuple[Rule, ...]) -> str:
    """A gitleaks config (`gitleaks dir --config FILE`), also GitLab's custom ruleset."""
    lines = ['title = "tokenpatrol"', ""]
    for rule in found:
        lines += [
            "[[rules]]",
            f"id = {_toml_string(rule.id)}",
            f"description = {_toml_string(rule.name)}",
            f"regex = '''{rule.regex()}'''",
            "secretGroup = 1",
            f"keywords = [{_toml_string(rule.prefix)}]",
            'tags = ["tokenpatrol"]',
            "",
        ]
    return "\n".join(lines)


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of printable ASCII is a TOML basic string


def kingfisher_yaml(found: tuple[Rule, ...]) -> str:
    """A Kingfisher rules file (`kingfisher scan --rules-path FILE`)."""
    lines = ["rules:"]
    for rule in found:
        lines += [
            f"  - name: {json.dumps(rule.name)}",
            f"    id: {json.dumps(rule.id)}",
            f"    pattern: {json.dumps(rule.regex())}",
            "    min_entropy: 3.0",
            "    confidence: high",
            "    examples:",
            f"      - {json.dumps(rule.example)}",
            "    negative_examples:",
            *(f"      - {json.dumps(text)}" for text in look_alikes(rule)),
        ]
    return "\n".join(lines) + "\n"


def look_alikes(rule: Rule) -> tuple[str, ...]:
    """Strings one step off the example's shape: shorter, longer, a character out of the
    alphabet, a near prefix. No rule may match them."""
    example = rule.example
    near = rule.prefix[:-1] + "-" + example[len(rule.prefix) :]
    return (example[:-1], example + "x", example[:-2] + "!" + example[-1], near)


def github_json(found: tuple[Rule, ...]) -> str:
    """GitHub's custom patterns (the fields of its form) and the partner program's list."""
    custom = [
        {
            "name": rule.name,
            "secret_format": rule.token,
            "before_secret": r"\A|[^0-9A-Za-z]",
            "after_secret": rf"\z|[^{rule.alphabet[1:-1]}]",
        }
        for rule in found
    ]
    partner = [{"type": rule.id, "name": rule.name, "regex": rule.regex()} for rule in found]
    document = {"custom_patterns": custom, "partner_program": partner}
    return json.dumps(document, indent=2) + "\n"
