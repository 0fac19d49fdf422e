"""Keep raw tokens out of test output: find them in text, and print them redacted."""

from __future__ import annotations

from typing import Any

from scanner import formats


class Secret(str):
    """A raw token that prints as prefix + last 4, so assertion messages never show it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({formats.redact(self)!r})"


def find_tokens(text: str) -> list[str]:
    """Every substring of `text` that is a valid token of a registered format."""
    return [match for match in formats.TOKEN_SHAPED.findall(text) if formats.identify(match)]


def wrap_secrets(value: Any) -> Any:
    """Walk decoded JSON; every string that is a token becomes a `Secret`."""
    if isinstance(value, dict):
        return {key: wrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wrap_secrets(item) for item in value]
    if isinstance(value, str) and formats.identify(value):
        return Secret(value)
    return value
