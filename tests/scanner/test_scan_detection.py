"""Detection through `oi scan -`: recall 100 %, zero false positives, never a crash."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner import detect, formats
from tests.scanner.conftest import (
    SIGNING_KEY,
    SIGNING_KID,
    GitRepo,
    api_payload,
    expected,
    fingerprints,
    leaked,
    new_api_token,
    new_invite,
    new_pat,
    run_oi,
    scan_json,
    scan_stdin,
)
from tests.support.secrets import Secret

# The autouse environment fixture is function-scoped; it need not be reset between examples.
FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SEPARATORS = [b"\n", b" ", b"\t", b"\r\n", b"\x00", b'"', b"'", b"=", b",", b";", b":", b"\xff"]
# Glued on too: the checksum or the payload decides, not the neighbouring byte.
SEPARATORS += [b"", b"x", b"_", b"-"]
ALLOW = b"oi: allow"
CHECKSUM_FORMATS = [fmt for fmt in formats.REGISTRY if isinstance(fmt, formats.ChecksumFormat)]


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- strategies: tokens built from hypothesis data, so every example replays exactly -----------

random_parts = st.text(alphabet=formats.BASE62_ALPHABET, min_size=30, max_size=30)


@st.composite
def checksum_tokens(draw: st.DrawFn) -> Secret:
    fmt = draw(st.sampled_from(CHECKSUM_FORMATS))
    random_part = draw(random_parts)
    return Secret(fmt.from_random(random_part))


@st.composite
def api_tokens(draw: st.DrawFn) -> Secret:
    payload = {
        "v": 1,
        "tid": "apt_" + draw(st.text(alphabet="0123456789abcdef", min_size=1, max_size=12)),
        "sub": draw(st.text(min_size=1, max_size=20)),
        "scope": draw(st.sampled_from(["read", "read_write", "admin"])),
        "iat": draw(st.integers(0, 2**33)),
        "exp": draw(st.none() | st.integers(0, 2**33)),
        "iss": "https://tokens.example",
        "n": draw(st.binary(min_size=16, max_size=16)).hex(),
    }
    return Secret(formats.API_TOKEN.sign(payload, SIGNING_KID, SIGNING_KEY))


tokens = checksum_tokens() | api_tokens()

# Noise made of the pieces the matcher cares about: prefixes, alphabets, dots, newlines, NULs.
noise_pieces = st.sampled_from(
    [
        b"oi_pat_",
        b"oi_inv_",
        b"oai_",
        b"oi_",
        b"oi: allow",
        b".",
        b"-",
        b"_",
        b"=",
        b"\n",
        b"\r",
        b"\x00",
        b"\xff\xfe",
        b"eyJ2IjoxfQ",
        b"0" * 36,
    ]
)
token_shaped_noise = st.lists(
    noise_pieces | st.text(alphabet=formats.BASE62_ALPHABET, max_size=40).map(str.encode),
    max_size=40,
).map(b"".join)


def kind_of(token: str) -> str:
    fmt = formats.identify(token)
    assert fmt is not None
    return fmt.kind


# --- never crash, never invent a finding ---------------------------------------------------------


@FAST
@given(st.binary(max_size=8192))
def test_random_bytes_never_crash_and_never_match(data: bytes) -> None:
    result = scan_stdin(data)
    assert result.rc == 0, result.why
    assert result.findings == []


@FAST
@given(token_shaped_noise)
def test_token_shaped_noise_never_crashes_nor_matches(data: bytes) -> None:
    """Prefixes, alphabets, dots and NULs glued at random: no crash, and no valid token."""
    result = scan_stdin(data)
    assert result.rc == 0, result.why
    assert result.findings == []


# --- recall: a token anywhere is found exactly once ----------------------------------------------


def allowed_at(data: bytes, offset: int) -> bool:
    """True when the line holding `offset` carries the inline `oi: allow` marker."""
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    return ALLOW in data[start : len(data) if end == -1 else end]


@FAST
@given(
    token=tokens,
    before=st.binary(max_size=4096),
    after=st.binary(max_size=4096),
    open_sep=st.sampled_from(SEPARATORS),
    close_sep=st.sampled_from(SEPARATORS),
)
def test_a_token_anywhere_in_random_bytes_is_found_exactly_once(
    token: Secret, before: bytes, after: bytes, open_sep: bytes, close_sep: bytes
) -> None:
    """Found once, on the right line; unless the random bytes put `oi: allow` on its line."""
    head = before + open_sep
    data = head + token.encode() + close_sep + after
    result = scan_stdin(data)

    if allowed_at(data, len(head)):
        assert (result.rc, result.findings) == (0, []), result.why
        return
    assert result.rc == 1, result.why
    [finding] = result.findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["kind"] == kind_of(token)
    assert finding["redacted"] == formats.redact(token)
    assert finding["line"] == head.count(b"\n") + 1
    assert leaked(result.out + result.err, [token]) == []


@FAST
@given(
    parts=st.lists(
        st.tuples(tokens, st.binary(max_size=300)), min_size=1, max_size=6, unique_by=lambda p: p[0]
    ),
)
def test_several_tokens_in_noise_are_each_found(parts: list[tuple[Secret, bytes]]) -> None:
    data = b""
    offsets: list[tuple[Secret, int]] = []
    for token, noise in parts:
        data += b"\n" + noise + b" "
        offsets.append((token, len(data)))
        data += token.encode() + b" "
    wanted = [token for token, offset in offsets if not allowed_at(data, offset)]

    result = scan_stdin(data)

    assert result.rc == (1 if wanted else 0), result.why
    assert fingerprints(result.findings) == expected(*wanted)


@FAST
@given(token=tokens, encoding_junk=st.sampled_from([b"\xef\xbb\xbf", b"\xc3\xa9 ", b"\x1b[0m "]))
def test_tokens_after_non_ascii_bytes(token: Secret, encoding_junk: bytes) -> None:
    result = scan_stdin(encoding_junk + token.encode() + b"\n")
    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(token)


# --- where tokens really live --------------------------------------------------------------------

CONTEXTS = [
    "{t}",
    "TOKEN={t}",
    "export OI_TOKEN={t};",
    'token = "{t}"',
    "token: '{t}'",
    '{{"token": "{t}"}}',
    "Authorization: Bearer {t}",
    "X-API-Key: {t}",
    "https://user:{t}@tokens.example/path",
    "https://tokens.example/?token={t}&x=1",
    "<token>{t}</token>",
    "({t})",
    "[{t}]",
    "the token is {t}.",
    "`{t}`",
    "{t},{t2}",
]


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("make", [new_pat, new_invite, new_api_token], ids=["pat", "inv", "api"])
def test_tokens_in_real_contexts_are_found(context: str, make: Callable[[], Secret]) -> None:
    first, second = make(), make()
    text = context.format(t=first, t2=second)
    planted = [tok for tok in (first, second) if tok in text]

    result = scan_stdin(f"line one\n{text}\n".encode())

    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(*planted)
    assert {item["line"] for item in result.findings} == {2}


# --- glued to text: a token is a token whatever stands next to it ---------------------------------


def new_oauth_access() -> Secret:
    return Secret(formats.OAUTH_ACCESS_TOKEN.generate())


GLUED = [
    "PASSWORD{t}",
    "x_{t}",
    "foo{t}",
    "9{t}",
    "-{t}",
    "{t}x",
    "{t}_",
    "{t}-",
    "{t}Suffix123",
    "PASSWORD{t}END",
    "{t}{t2}",
    "MY_TOKEN_{t}_{t2}_END",
    "oi_pat_{t}",
    "oai_{t}",
    "oai_oai_x{t}",
    # A look-alike ending in `oi` right before the token's `_pat_...`: it must not hide it.
    "oi_pat_" + "A" * 34 + "{t}",
]


@pytest.mark.parametrize("context", GLUED)
@pytest.mark.parametrize(
    "make", [new_pat, new_invite, new_oauth_access, new_api_token], ids=["pat", "inv", "oat", "api"]
)
def test_tokens_glued_to_text_are_found(context: str, make: Callable[[], Secret]) -> None:
    first, second = make(), make()
    text = context.format(t=first, t2=second)
    planted = [tok for tok in (first, second) if tok in text]

    result = scan_stdin(f"line one\n{text}\nline three\n".encode())

    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(*planted)
    assert {item["line"] for item in result.findings} == {2}
    assert leaked(result.out + result.err, planted) == []


words = st.text(alphabet=formats.BASE62_ALPHABET + "_-", max_size=60)


@FAST
@given(token=tokens, before=words, after=words)
def test_a_token_glued_between_words_is_found_exactly_once(
    token: Secret, before: str, after: str
) -> None:
    result = scan_stdin(f"first\nkey: {before}{token}{after}\n".encode())

    assert result.rc == 1, result.why
    [finding] = result.findings
    assert finding["fingerprint"] == formats.fingerprint(token)
    assert finding["line"] == 2


def test_glued_tokens_in_a_repository_are_found_by_every_scan(git_repo: GitRepo) -> None:
    pat, api = new_pat(), new_api_token()
    git_repo.write("settings.ini", f"PASSWORD{pat}\nx_{api}_end\n")
    git_repo.add()

    rc, report = scan_json("--staged", cwd=git_repo.path)
    assert (rc, fingerprints(report["findings"])) == (1, expected(pat, api)), "staged"
    git_repo.commit("glued")
    for args in ((), ("--history",)):
        rc, report = scan_json(*args, cwd=git_repo.path)
        assert (rc, fingerprints(report["findings"])) == (1, expected(pat, api)), args


# --- look-alikes that must never be reported ------------------------------------------------------


def _flip_last(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


def _swap_checksum_case(token: str) -> str:
    swapped = token[:-6] + token[-6:].swapcase()
    return swapped if swapped != token else _flip_last(token)


def _pat_with_body(random_part: str) -> str:
    return formats.PERSONAL_ACCESS_TOKEN.from_random(random_part)


def _oai(payload_bytes: bytes) -> str:
    signature = new_api_token().split(".")[1]
    return "oai_" + b64url(payload_bytes) + "." + signature


def _lookalikes() -> dict[str, str]:
    pat, inv, api = new_pat(), new_invite(), new_api_token()
    body = pat[len("oi_pat_") :]
    signed, signature = api.split(".")
    return {
        "pat bad checksum": _flip_last(pat),
        "invite bad checksum": _flip_last(inv),
        "pat checksum in the wrong case": _swap_checksum_case(pat),
        "pat too short": _pat_with_body(body[:29]),
        "pat too long": _pat_with_body(body[:30] + "Q"),
        "pat one char cut": pat[:-1],
        "pat bad checksum glued to a word": "PASSWORD" + _flip_last(pat),
        "pat bad checksum glued to words on both sides": "x_" + _flip_last(pat) + "suffix",
        "invite bad checksum glued after a prefix": "oi_inv_" + _flip_last(inv),
        "upper-case prefix": "OI_PAT_" + body,
        "other prefix": "oi_xyz_" + body,
        "placeholder": "oi_pat_" + "X" * 36,
        "zeros": "oi_pat_" + "0" * 36,
        "api truncated signature": api[:-1],
        "api truncated signature glued after a word": "PASSWORD" + api[:-1],
        "api payload missing fields glued to a word": "x_"
        + _oai(json.dumps({"v": 1, "kid": "k1", "sub": "x"}).encode()),
        "api bad payload after a good prefix": "oai_" + _oai(b"not json, though long enough"),
        "api non-json payload": _oai(b"this is not json at all, not even close"),
        "api json array payload": _oai(json.dumps([1, 2, 3, 4, 5, 6, 7, 8]).encode()),
        "api payload missing fields": _oai(json.dumps({"v": 1, "kid": "k1", "sub": "x"}).encode()),
        "api payload not utf-8": _oai(b"\xff\xfe\xfd" * 10),
        "api padded payload": signed + "==" + "." + signature,
        "api two dots": signed + ".." + signature,
        "api no signature": signed,
    }


LOOKALIKE_NAMES = sorted(_lookalikes())


@pytest.mark.parametrize("name", LOOKALIKE_NAMES)
def test_lookalikes_are_not_reported(name: str) -> None:
    fake = Secret(_lookalikes()[name])
    result = scan_stdin(f"value: {fake}\n".encode())

    assert result.rc == 0, result.why
    assert result.findings == []


def test_lookalikes_sanity_they_really_are_invalid() -> None:
    """Guards the test itself: no look-alike is, as a whole, a valid token."""
    for name, fake in _lookalikes().items():
        assert formats.identify(fake) is None, name


def test_an_api_token_with_a_full_but_forged_payload_is_still_ours() -> None:
    """Offline the signature cannot be checked: a complete payload is reported."""
    forged = Secret(formats.API_TOKEN.sign(api_payload(), "kx", b"some other key"))
    result = scan_stdin(f"{forged}\n".encode())
    assert result.rc == 1, result.why
    assert fingerprints(result.findings) == expected(forged)


def test_lookalikes_in_a_repository_produce_no_findings(git_repo: GitRepo) -> None:
    """Zero false positives end to end: tree, staged and history scans of the look-alikes."""
    fakes = _lookalikes()
    content = "".join(f"{name}: {fake}\n" for name, fake in fakes.items())
    git_repo.write("lookalikes.txt", content)
    git_repo.add()

    rc, report = scan_json("--staged", cwd=git_repo.path)
    assert (rc, report["findings"]) == (0, []), "staged"
    git_repo.commit("look-alikes")
    for args in ((), ("--history",), ("--no-ignore",)):
        rc, report = scan_json(*args, cwd=git_repo.path)
        assert (rc, report["findings"]) == (0, []), args


# --- adversarial input: a hook must not hang on a big minified file -------------------------------

MEGABYTE = 1 << 20
HANG_SECONDS = 240


@pytest.mark.parametrize(
    "unit",
    [
        b"-oai_",
        b"-oai_" + b"A" * 64,
        b".oai_" + b"A" * 20 + b".",
        b" oi_pat_",
        b"oi_" * 7,
        b"oai_" * 2047 + b"A" * 12 + b"." + b"A" * 43,
        b"oi_pat_" + b"A" * 34,
    ],
    ids=["dash-oai", "dash-oai-run", "dotted-oai", "space-pat", "oi-stems", "oai-run", "pat-chain"],
)
def test_a_megabyte_of_near_misses_scans_in_linear_time(tmp_path: Path, unit: bytes) -> None:
    """1 MB built from prefix fragments finishes (a quadratic regex would take hours on it).

    The bound only catches a scan that never ends; it is no measure of speed (bench/ has that),
    so a busy machine cannot fail it.
    """
    data = unit * (MEGABYTE // len(unit))
    try:
        result = run_oi(
            ["scan", "-", "--no-verify"], cwd=tmp_path, stdin=data, timeout=HANG_SECONDS
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"scanning 1 MB of {unit[:12]!r}... took more than {HANG_SECONDS} s")
    assert result.rc == 0, result.why


# Inputs that would make a detector that tries every glued start do quadratic work.
ADVERSARIAL = {
    # Thousands of prefixes in one run before one signature: each a possible start.
    "prefixes before a signature": b"oai_" * 2047 + b"A" * 12 + b"." + b"A" * 43 + b" ",
    # A few prefixes, each with the longest payload to decode.
    "long payloads before a signature": b"oai_" * 8 + b"A" * 8150 + b"." + b"A" * 43 + b" ",
    "one endless run of prefixes": b"oai_",
    "signed look-alikes glued end to end": b"oai_" + b"A" * 16 + b"." + b"A" * 43,
    # Each look-alike ends in `oi`, the start of the next one's prefix.
    "overlapping checksum look-alikes": b"oi_pat_" + b"A" * 34,
    "checksum look-alikes glued to words": b"PASSWORDoi_pat_" + b"A" * 36,
}
WORK_PER_BYTE = 10  # bytes the registry may examine per byte of input, at any input size


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_detection_work_is_linear_in_the_input(name: str) -> None:
    """Counted, not timed: the bytes handed to the registry's checks (`detect.candidates`)
    stay within a fixed multiple of the input, for an eighth of a megabyte as for a megabyte."""
    unit = ADVERSARIAL[name]
    for size in (MEGABYTE // 8, MEGABYTE):
        data = unit * (size // len(unit))
        examined = list(detect.candidates(data))
        work = sum(candidate.end - candidate.start for candidate in examined)
        assert work <= WORK_PER_BYTE * len(data), f"{work / len(data):.0f} bytes examined per byte"
        assert all(candidate.format is None for candidate in examined)
