"""What the `oi` client commands share: `--json`/`--app-url`, tables, and showing a new secret.

Each method of `Call` returns the command's exit code, so a command ends `return call.show(...)`.

Tables go through rich; off a terminal, or with NO_COLOR or TERM=dumb, they come out plain (no
escape sequence; off a terminal no wrapping either) so they read well in logs and pipes. Every
cell passes through `redact_text`: a token pasted into a name must not come back out whole.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from scanner import formats
from scanner.cli import credentials, profiles
from scanner.printable import printable
from scanner.report.text import colour_wanted

if TYPE_CHECKING:
    from rich.console import Console

WIDE_ENOUGH = 1000  # off a terminal: never wrap a row
Item = dict[str, Any]
Row = Callable[[Item], Sequence[object]]
EXIT_OK = 0


@dataclass(frozen=True)
class Call:
    """One invocation's options: where to send requests, and whether to print raw JSON."""

    app_url: str | None
    as_json: bool

    def request(self, method: str, path: str, body: Any = None) -> Any:
        return credentials.current(self.app_url).request(method, path, body)

    def show(self, answer: Any, render: Callable[[Any], None]) -> int:
        """The API's JSON exactly (`--json`), else `render` of the answer's `result` or itself."""
        if self.as_json:
            click.echo(json.dumps(answer, indent=2))
        else:
            render(answer.get("result") if _enveloped(answer) else answer)
        return EXIT_OK

    def table(self, path: str, columns: Sequence[str], row: Row, empty: str) -> int:
        """GET `path` (a list) and print one table row per item."""
        answer = self.request("GET", path)
        return self.show(answer, lambda items: print_table(columns, map(row, items), empty))

    def done(self, answer: Any, message: str) -> int:
        return self.show(answer, lambda _result: click.echo(printable(message)))

    def secret(self, answer: Any, key: str, label: str, summary: Callable[[Item], str]) -> int:
        """A new secret (`result[key]`): summary on stderr, the value once on stdout."""

        def render(result: Item) -> None:
            click.echo(printable(formats.redact_text(summary(result))), err=True)
            show_secret_once(label, str(result.get(key)))

        self.show(answer, render)
        if self.as_json:
            warn_shown_once(label)
        return EXIT_OK


def segment(value: str) -> str:
    """One path segment, quoted: an id such as `../x` must not walk to another endpoint."""
    from urllib.parse import quote

    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _checked_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else profiles.checked_url(value, "--app-url")


#: `--app-url`, refused at once (one line, exit 2) unless it is an http:// or https:// URL.
app_url_option = click.option(
    "--app-url",
    callback=_checked_url,
    help="The service's base URL (overrides OPENINDEX_APP_URL and the profile).",
)


def api_command(func: Callable[..., int]) -> Callable[..., int]:
    """Add `--json` and `--app-url`, and hand the command a `Call` built from them."""

    @click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
    @app_url_option
    @functools.wraps(func)
    def wrapper(*args: Any, as_json: bool, app_url: str | None, **kwargs: Any) -> int:
        return func(Call(app_url, as_json), *args, **kwargs)

    return wrapper


def console() -> Console:
    from rich.console import Console

    screen = Console(highlight=False, emoji=False)
    if screen.is_terminal and colour_wanted(sys.stdout):
        return screen
    width = None if screen.is_terminal else WIDE_ENOUGH
    return Console(highlight=False, emoji=False, width=width, color_system=None, no_color=True)


def print_table(columns: Sequence[str], rows: Iterable[Sequence[object]], empty: str) -> None:
    """A rich table, or `empty` (on stderr) when there are no rows."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(*columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for row in rows:
        table.add_row(*(Text(shown(cell)) for cell in row))
    if table.row_count:
        console().print(table)
    else:
        click.echo(empty, err=True)


def print_fields(fields: dict[str, Any]) -> None:
    """`key: value` lines for one record."""
    for key, value in fields.items():
        click.echo(f"{key}: {shown(value)}")


def shown(value: object) -> str:
    """A value from the server as it may be printed: no whole token, nothing a terminal runs."""
    return printable(formats.redact_text(cell_text(value)))


def cell_text(value: object, missing: str = "-") -> str:
    """Times as `YYYY-MM-DD HH:MM` UTC, None as `missing`, everything else as text."""
    if value is None:
        return missing
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return _short_time(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def show_secret_once(label: str, value: str) -> None:
    """The one place a raw secret is printed: alone on stdout, with a warning on stderr."""
    click.echo(value)
    warn_shown_once(label)


def warn_shown_once(label: str) -> None:
    click.echo(f"This {label} is shown only once: store it now.", err=True)


def _short_time(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


def _enveloped(answer: Any) -> bool:
    return isinstance(answer, dict) and answer.get("status") == "ok" and "result" in answer
