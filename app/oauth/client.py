"""The one OAuth client: `oi-cli`, public (no secret), redirecting to a loopback port, or
polling with a device code (`oi login --device`, RFC 8628).

RFC 8252 section 7.3: a native app listens on a port it picks at run time, so loopback
redirect URIs match on any port; every other part of the URI must match exactly.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE

CLIENT_ID = "oi-cli"
CLIENT_NAME = "oi, the tokenpatrol command line"
GRANT_TYPES = ("authorization_code", "refresh_token", DEVICE_CODE_GRANT_TYPE)
SCOPES = ("read", "read_write", "admin")
DEFAULT_SCOPE = "read_write"
LOOPBACK_REDIRECTS = ("http://127.0.0.1/callback", "http://[::1]/callback")


class CliClient(ClientMixin):  # type: ignore[misc]
    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> None:
        return None  # the CLI always names its loopback port

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """One scope per sign-in (a token has one scope); none asked means read_write."""
        if not scope:
            return DEFAULT_SCOPE
        requested = scope.split()
        if len(requested) != 1:
            return None
        return "read_write" if requested[0] == "write" else requested[0]

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return is_allowed_redirect(redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


def is_allowed_redirect(redirect_uri: str) -> bool:
    """Loopback on any port with the registered path; nothing else. A backslash, a space or a
    control character anywhere refuses it outright: parsers disagree about such URLs (Python
    drops a newline that a browser may keep), and the answer would redirect to one of them."""
    if "\\" in redirect_uri or " " in redirect_uri or not redirect_uri.isprintable():
        return False
    try:
        parts = urlsplit(redirect_uri)
        port = parts.port
    except ValueError:
        return False
    if parts.username or parts.password or parts.query or parts.fragment or port is None:
        return False
    without_port = f"{parts.scheme}://{parts.netloc.rsplit(':', 1)[0]}{parts.path}"
    return without_port in LOOPBACK_REDIRECTS


CLI_CLIENT = CliClient()


def query_client(client_id: str) -> CliClient | None:
    return CLI_CLIENT if client_id == CLIENT_ID else None
