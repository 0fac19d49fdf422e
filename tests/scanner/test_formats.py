"""The token registry: generate, parse, validate, and never be fooled or crash."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner import formats
from tests.support.secrets import Secret

KEYS = {"k1": b"first secret", "k0": b"older secret"}
CHECKSUM_FORMATS = [fmt for fmt in formats.REGISTRY if isinstance(fmt, formats.ChecksumFormat)]


def sign(payload_extra: dict[str, object] | None = None, kid: str = "k1") -> str:
    payload = {
        "v": 1,
        "tid": "apt_x",
        "sub": "acme/alice",
        "scope": "read",
        "iat": 1_700_000_000,
        "exp": None,
        "iss": "https://tokens.example",
        "n": "00" * 16,
        **(payload_extra or {}),
    }
    return formats.API_TOKEN.sign(payload, kid, KEYS[kid])


def mutations(token: str) -> list[str]:
    """Every token that differs from `token` in exactly one character (within the alphabet)."""
    alphabet = formats.BASE62_ALPHABET + "_-."
    return [
        token[:i] + ch + token[i + 1 :]
        for i in range(len(token))
        for ch in alphabet
        if ch != token[i]
    ]


def test_pat_matches_the_contract_layout() -> None:
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    random_part, check = token[7:37], token[37:]
    assert len(token) == 43 and token.startswith("oi_pat_")
    assert set(token[7:]) <= set(formats.BASE62_ALPHABET)
    import zlib

    expected = zlib.crc32(random_part.encode())
    decoded = 0
    for ch in check:
        decoded = decoded * 62 + formats.BASE62_ALPHABET.index(ch)
    assert decoded == expected


def test_base62_checksum_is_left_padded() -> None:
    assert formats.base62_encode(0, 6) == "000000"
    assert formats.base62_encode(61, 6) == "00000z"
    assert formats.base62_encode(62, 6) == "000010"


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CHECKSUM_FORMATS), st.data())
def test_every_checksum_token_validates_and_every_single_change_fails(
    fmt: formats.ChecksumFormat, data: st.DataObject
) -> None:
    token = Secret(fmt.generate())
    assert formats.identify(token) is fmt
    for changed in mutations(token):
        assert formats.identify(changed) is None, Secret(changed)


@settings(max_examples=10, deadline=None)
@given(
    scope=st.sampled_from(["read", "read_write", "admin"]), exp=st.none() | st.integers(0, 2**40)
)
def test_every_api_token_verifies_and_every_single_change_fails(
    scope: str, exp: int | None
) -> None:
    token = Secret(sign({"scope": scope, "exp": exp}))
    assert formats.API_TOKEN.verify(token, KEYS) is not None
    for changed in mutations(token):
        assert formats.API_TOKEN.verify(changed, KEYS) is None, Secret(changed)


def test_api_token_payload_round_trips_and_names_its_key() -> None:
    payload = formats.API_TOKEN.verify(sign(kid="k0"), KEYS)
    assert payload is not None and payload["kid"] == "k0" and payload["sub"] == "acme/alice"


def test_api_token_signed_with_an_unknown_key_is_refused() -> None:
    token = sign()
    assert formats.API_TOKEN.verify(token, {"k1": b"another secret"}) is None
    assert formats.API_TOKEN.verify(token, {"k9": KEYS["k1"]}) is None


def test_tampered_payload_is_refused_even_with_a_fresh_encoding() -> None:
    token = sign()
    body, signature = token[len("oai_") :].split(".")
    import base64

    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["scope"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert formats.API_TOKEN.verify(f"oai_{forged}.{signature}", KEYS) is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_strings_never_validate_and_never_raise(text: str) -> None:
    assert formats.identify(text) is None
    assert formats.API_TOKEN.verify(text, KEYS) is None
    for prefix in ("oi_pat_", "oi_inv_", "oai_"):
        assert formats.identify(prefix + text) is None


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_random_oai_payloads_never_raise(raw: bytes) -> None:
    import base64

    body = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    candidate = f"oai_{body}.{'A' * 43}"
    assert formats.API_TOKEN.verify(candidate, KEYS) is None


def test_redaction_and_fingerprint_never_show_the_token() -> None:
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    assert formats.redact(token) == f"oi_pat_...{token[-4:]}"
    assert len(formats.fingerprint(token)) == 12 and formats.fingerprint(
        token
    ) in formats.token_hash(token)
