"""THE token registry: every secret tokenpatrol issues, how it is made and how it is recognised.

The service imports this module to mint and check tokens and the scanner imports it to
find them, so there is exactly one definition of each format. Standard library only: the
pre-commit path loads it on every commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported: the pre-commit path pays for every import
if TYPE_CHECKING:
    from typing import Any

# hashlib, hmac, json, base64, secrets and zlib are imported inside the functions that need
# them: `oi scan --staged` loads this module on every commit and most commits hold no token.

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_LENGTH = 30
CHECKSUM_LENGTH = 6
FINGERPRINT_LENGTH = 12

# Fields every `oai_` payload carries; the scanner counts a candidate only when all are there.
API_TOKEN_FIELDS = frozenset({"v", "kid", "tid", "sub", "scope", "iat", "exp", "iss", "n"})
API_TOKEN_VERSION = 1


def token_hash(token: str) -> str:
    """SHA-256 of the whole token, hex: the only form a token is ever stored in."""
    import hashlib

    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(token: str) -> str:
    """First 12 hex of the token's SHA-256: stable, safe to print, safe in a baseline."""
    return token_hash(token)[:FINGERPRINT_LENGTH]


def redact(token: str) -> str:
    """Prefix and last four characters, e.g. `oi_pat_...a1B2`: what people and logs see."""
    fmt = format_for(token)
    prefix = fmt.prefix if fmt else token[:4]
    return f"{prefix}...{token[-4:]}"


def base62_encode(number: int, width: int) -> str:
    """Big-endian base62, left-padded with `0` to `width` (GitHub's checksum encoding)."""
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(BASE62_ALPHABET[remainder])
    return "".join(reversed(digits)).rjust(width, "0")


def _b64url_encode(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes | None:
    """Strict decode: None for anything that is not canonical unpadded base64url."""
    import base64
    import binascii

    if not _B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _b64url_encode(raw) == text else None


_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")


class ChecksumFormat:
    """`prefix` + 30 random base62 + 6-char CRC32 checksum of the random part.

    With `checksum_covers_prefix` the CRC is taken over prefix and random part together, so a
    one-character change that turns one prefix into another (`oi_oat_` -> `oi_pat_`) fails too.
    """

    __slots__ = ("checksum_covers_prefix", "description", "kind", "prefix")

    def __init__(
        self, kind: str, prefix: str, description: str, checksum_covers_prefix: bool = False
    ) -> None:
        self.kind, self.prefix, self.description = kind, prefix, description
        self.checksum_covers_prefix = checksum_covers_prefix

    def __repr__(self) -> str:
        return f"ChecksumFormat({self.kind!r}, {self.prefix!r})"

    def _checksum(self, random_part: str) -> str:
        return checksum(self.prefix + random_part if self.checksum_covers_prefix else random_part)

    @property
    def length(self) -> int:
        return len(self.prefix) + RANDOM_LENGTH + CHECKSUM_LENGTH

    @property
    def pattern(self) -> str:
        """Regular expression source for a candidate: the length is fixed, so nothing glued on
        either side changes what the checksum is checked on."""
        return re.escape(self.prefix) + f"[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}"

    def generate(self) -> str:
        import secrets

        random_part = "".join(secrets.choice(BASE62_ALPHABET) for _ in range(RANDOM_LENGTH))
        return self.from_random(random_part)

    def from_random(self, random_part: str) -> str:
        """The token for a given 30-character random part (its checksum appended)."""
        return self.prefix + random_part + self._checksum(random_part)

    def is_valid(self, token: str) -> bool:
        """True only for a well-formed token of this format whose checksum matches."""
        if len(token) != self.length or not token.startswith(self.prefix):
            return False
        body = token[len(self.prefix) :]
        if not _BASE62_RE.fullmatch(body):
            return False
        random_part, check = body[:RANDOM_LENGTH], body[RANDOM_LENGTH:]
        import hmac

        return hmac.compare_digest(self._checksum(random_part), check)


_BASE62_RE = re.compile(r"[0-9A-Za-z]+")


def checksum(text: str) -> str:
    """CRC32 of `text`, big-endian base62, six characters."""
    import zlib

    return base62_encode(zlib.crc32(text.encode("ascii")), CHECKSUM_LENGTH)


SIGNED_PAYLOAD_LENGTH = (16, 8192)  # base64url characters between a signed token's prefix and dot
SIGNATURE_LENGTH = 43  # an HMAC-SHA256 in unpadded base64url


class SignedFormat:
    """`oai_` + b64url(JSON payload) + `.` + b64url(HMAC-SHA256 of everything before the dot)."""

    __slots__ = ("description", "kind", "prefix")

    def __init__(self, kind: str, prefix: str, description: str) -> None:
        self.kind, self.prefix, self.description = kind, prefix, description

    def __repr__(self) -> str:
        return f"SignedFormat({self.kind!r}, {self.prefix!r})"

    @property
    def pattern(self) -> str:
        # Possessive: the payload alphabet has no dot, so backtracking could never help. (The
        # scanner does not search with it: scanner/detect.py reads each run of base64url once.)
        shortest, longest = SIGNED_PAYLOAD_LENGTH
        payload = rf"[A-Za-z0-9_-]{{{shortest},{longest}}}+"
        return re.escape(self.prefix) + payload + rf"\.[A-Za-z0-9_-]{{{SIGNATURE_LENGTH}}}"

    def sign(self, payload: Mapping[str, Any], kid: str, secret: bytes) -> str:
        import json

        body = json.dumps({**payload, "kid": kid}, separators=(",", ":"), sort_keys=True)
        signed_part = self.prefix + _b64url_encode(body.encode("utf-8"))
        return signed_part + "." + _mac(signed_part, secret)

    def decode_payload(self, token: str) -> dict[str, Any] | None:
        """The payload if the token is shaped like ours (no key needed), else None."""
        parts = self._split(token)
        if parts is None:
            return None
        raw = _b64url_decode(parts[0][len(self.prefix) :])
        if raw is None:
            return None
        import json

        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
        if not isinstance(payload, dict) or not payload.keys() >= API_TOKEN_FIELDS:
            return None
        return payload

    def verify(self, token: str, keys: Mapping[str, bytes]) -> dict[str, Any] | None:
        """The payload if the signature checks out under the key its `kid` names, else None."""
        payload = self.decode_payload(token)
        parts = self._split(token)
        if payload is None or parts is None:
            return None
        secret = keys.get(payload["kid"]) if isinstance(payload["kid"], str) else None
        if secret is None:
            return None
        import hmac

        return payload if hmac.compare_digest(_mac(parts[0], secret), parts[1]) else None

    def is_valid(self, token: str) -> bool:
        """Offline check: shaped like ours with a decodable payload (the signature needs a key)."""
        return self.decode_payload(token) is not None

    def _split(self, token: str) -> tuple[str, str] | None:
        if not token.startswith(self.prefix) or token.count(".") != 1:
            return None
        signed_part, signature = token.split(".")
        if _b64url_decode(signature) is None or len(signature) != SIGNATURE_LENGTH:
            return None
        return signed_part, signature


def _mac(signed_part: str, secret: bytes) -> str:
    import hashlib
    import hmac

    return _b64url_encode(hmac.new(secret, signed_part.encode("ascii"), hashlib.sha256).digest())


PERSONAL_ACCESS_TOKEN = ChecksumFormat(
    "personal_access_token", "oi_pat_", "personal access token or user key"
)
INVITE_TOKEN = ChecksumFormat("invite_token", "oi_inv_", "invite link token")
API_TOKEN = SignedFormat("api_token", "oai_", "signed API token")
OAUTH_ACCESS_TOKEN = ChecksumFormat(
    "oauth_access_token", "oi_oat_", "OAuth access token (oi login, 8 hours)", True
)
OAUTH_REFRESH_TOKEN = ChecksumFormat(
    "oauth_refresh_token", "oi_ort_", "OAuth refresh token (oi login, rotated on use)", True
)

TokenFormat = ChecksumFormat | SignedFormat

#: Every format the service issues. The scanner searches for exactly these.
REGISTRY: tuple[TokenFormat, ...] = (
    PERSONAL_ACCESS_TOKEN,
    INVITE_TOKEN,
    API_TOKEN,
    OAUTH_ACCESS_TOKEN,
    OAUTH_REFRESH_TOKEN,
)


def format_for(token: str) -> TokenFormat | None:
    """The registered format whose prefix the token carries (not yet validated)."""
    for fmt in REGISTRY:
        if token.startswith(fmt.prefix):
            return fmt
    return None


def identify(token: str) -> TokenFormat | None:
    """The format that fully validates this token offline, or None: never raises."""
    try:
        fmt = format_for(token)
        return fmt if fmt is not None and fmt.is_valid(token) else None
    except Exception:  # noqa: BLE001 - a registry check must never crash a caller
        return None


#: Anything shaped like a registered token (checksum or signature not yet checked).
TOKEN_SHAPED = re.compile("|".join(f"(?:{fmt.pattern})" for fmt in REGISTRY))


def redact_text(text: str) -> str:
    """`text` with every token-shaped substring replaced by its redacted form."""
    return TOKEN_SHAPED.sub(lambda match: redact(match.group()), text)


RULE_ID_PREFIX = "tokenpatrol_"


def rule_id(fmt: TokenFormat) -> str:
    """The name other scanners and platforms call a format by: a gitleaks or Kingfisher rule
    id, GitHub's token `type`, and (after `gitleaks_rule_id_`) GitLab's revocable type."""
    return RULE_ID_PREFIX + fmt.kind
