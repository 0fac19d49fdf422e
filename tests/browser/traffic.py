"""What a browser page sent and received, so tests can prove where secrets never went.

Every request URL, every redirect's Location header and every HTML document the server sent
is kept, with what the page logged to its console and every uncaught script error. The
helpers that search them answer with redacted text only: a failing assertion never prints a
raw token.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from playwright.sync_api import ConsoleMessage, Error, Page, Request, Response

from scanner import formats
from tests.support.secrets import Secret, find_tokens

CSP_WORDS = ("Content Security Policy", "Content-Security-Policy")
# Chromium logs every 4xx answer as a console error; pages answer 400/401 on purpose (a wrong
# password), so statuses are judged from the responses instead: a failed script, stylesheet
# or image is a problem, a document with an error status is not, and neither is the icon the
# browser asks for on its own.
NETWORK_NOISE = "Failed to load resource"
BROWSER_OWN_REQUESTS = ("/favicon.ico",)


@dataclass
class Traffic:
    urls: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    documents: list[tuple[str, str]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def __repr__(self) -> str:  # pytest prints fixtures on failure: counts and problems only
        return (
            f"Traffic({len(self.urls)} urls, {len(self.locations)} redirects, "
            f"{len(self.documents)} documents, problems={[*self.console, *self.errors]!r})"
        )

    def watch(self, page: Page) -> None:
        self.pages.append(page)
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{error.name}: {error.message}"))

    def settle(self) -> None:
        """Let pending event handlers finish (they run while the test calls into Playwright)."""
        for page in self.pages:
            if not page.is_closed():
                page.evaluate("0")

    # -- what the handlers record --

    def _on_request(self, request: Request) -> None:
        self.urls.append(request.url)

    def _on_response(self, response: Response) -> None:
        self.urls.append(response.url)
        broken = response.status >= 400 and response.request.resource_type != "document"
        if broken and urlsplit(response.url).path not in BROWSER_OWN_REQUESTS:
            self.errors.append(f"{response.status} for {formats.redact_text(response.url)}")
        location = response.headers.get("location")
        if location is not None:
            self.locations.append(location)
        is_html = response.headers.get("content-type", "").startswith("text/html")
        if response.request.resource_type != "document" or not is_html or location is not None:
            return
        try:
            self.documents.append((response.url, response.text()))
        except Error as error:  # the body went away (the page navigated on): say so
            self.documents.append((response.url, f"<body unavailable: {error.message}>"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.text.startswith(NETWORK_NOISE):
            return
        if message.type in ("error", "warning") or any(w in message.text for w in CSP_WORDS):
            self.console.append(f"{message.type}: {formats.redact_text(message.text)}")

    # -- questions tests ask --

    def pages_holding(self, secret: str) -> list[str]:
        """Paths of the HTML documents whose source holds `secret`."""
        self.settle()
        return [urlsplit(url).path for url, html in self.documents if secret in html]

    def problems(self) -> list[str]:
        """Console errors, CSP reports and uncaught exceptions: a clean page logs none."""
        self.settle()
        return [*self.console, *self.errors]


def without_fragment(url: str) -> str:
    """What reaches a server: the fragment (`#...`) stays in the browser."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))


def secrets_in(text: str) -> list[Secret]:
    """Every valid token in `text`, printable safely."""
    return [Secret(token) for token in find_tokens(text)]


def places_holding(secrets: Iterable[str], places: Mapping[str, str]) -> list[str]:
    """'<place> holds <redacted secret>' for each secret found in each named text."""
    return [
        f"{name} holds {formats.redact(secret)}"
        for name, text in places.items()
        for secret in secrets
        if secret in text
    ]


def addresses(traffic: Traffic) -> dict[str, str]:
    """Every URL and Location header seen, named by a redacted copy of itself."""
    traffic.settle()
    seen = [*traffic.urls, *traffic.locations]
    return {f"address #{i} {formats.redact_text(url)}": url for i, url in enumerate(seen)}


def hygiene_problems(
    traffic: Traffic,
    log_text: str,
    secrets: Iterable[str],
    shown_on: Mapping[str, str] | None = None,
) -> list[str]:
    """Where raw secrets went that they must not: any URL or Location header, the server log,
    and any page but the one that shows a new token once (`shown_on`: secret -> that path)."""
    secrets, shown_on = list(secrets), shown_on or {}
    problems = places_holding(secrets, addresses(traffic))
    problems += places_holding(secrets, {"the server log": log_text})
    problems += [f"the server log holds {secret!r}" for secret in secrets_in(log_text)]
    for secret in secrets:
        expected = [shown_on[secret]] if secret in shown_on else []
        pages = traffic.pages_holding(secret)
        if pages != expected:
            problems.append(f"{formats.redact(secret)} is in pages {pages}, expected {expected}")
    return problems
