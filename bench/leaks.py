"""What the leak protocol costs over HTTP, next to a plain `/health` round trip in the same run.

The script starts the service as a real process (`oi serve` on a free loopback port, the same
command users run) on a fresh database: a temporary SQLite file by default, or with
`--postgres` a new PostgreSQL database that is dropped WITH (FORCE) however the run ends. The
schema is made by `oi server upgrade-db`. An account is created through the admin API (root
key), filler rows are bulk-loaded into `tokens` with plain SQL (so lookups run against a table
of realistic size), and every token the protocol is exercised with is a genuine personal
access token issued through `POST /me/pats`. Then, with one keep-alive `requests.Session`:

* `GET /health`                 - public, no database query: the floor of one round trip
                                  (client, loopback TCP, the dev server, Flask routing);
* `POST /api/v1/leaks/check`    - 1,000 SHA-256 hashes: 100 of live PATs, 900 random ones
                                  (expected `active` and `unknown`); every reply is checked;
* `POST /api/v1/leaks/revoke`   - 100 live PATs, issued just before each round (untimed),
                                  reported from one CI location; every result must be
                                  `revoked`, and a revoked token must then get 401 from
                                  `GET /auth/check` (it got 200 just before);
* the same revoke sent again    - all `already_revoked`, the path every later CI run takes.

Health and check requests are interleaved in rounds after a warm-up, so drift hits both. The
request bodies are encoded before the clock starts; the reply is read in full before it stops.

How to read the output: one row per operation with its median, fastest and slowest time in
ms, "x /health" = median / median(/health), "µs/item" = median / items and "net µs/item" =
(median - median(/health)) / items, the cost per hash or token once the round trip itself is
taken away. `oi serve` is Werkzeug's threaded server (it logs every request), so absolute
times include its overhead; the ratio to /health is the number to compare across machines.
Revoke rows have one sample per round, so their median settles only with the full run.
`--quick` is a smoke run for CI (small table, few rounds): it checks that everything works.

Usage: python bench/leaks.py [--quick] [--postgres] [--postgres-url URL] [--filler N]
                             [--health N] [--checks N] [--revoke-rounds N]

Exit status: 0 on success; 1 when a reply is wrong (a status, a result, a revoked token that
still authenticates, a token value in the server log); 2 when PostgreSQL was asked for and
cannot be reached. No token value is ever printed: failures show HTTP statuses and counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from bench_databases import (
    PostgresUnreachable,
    check_postgres,
    filler_row,
    postgres_database,
    sqlite_database,
)
from bench_output import note, print_table
from bench_server import free_port, oi_command, serving, upgrade_database
from sqlalchemy import create_engine, insert, select, text

CHECK_BATCH = 1_000  # hashes per check request
CHECK_LIVE = 100  # of them, hashes of live PATs; the rest are random
REVOKE_BATCH = 100  # tokens per revoke request
FULL = {"filler": 100_000, "health": 1_000, "checks": 100, "revoke_rounds": 20}
QUICK = {"filler": 1_000, "health": 100, "checks": 10, "revoke_rounds": 3}
WARMUP_HEALTH, WARMUP_CHECKS = 20, 3
INSERT_BATCH = 10_000
TIMEOUT = 60  # seconds, for any one request
DEFAULT_POSTGRES_URL = os.environ.get(
    "TOKENPATROL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ROOT_KEY = "bench-root-key-" + secrets.token_hex(16)
SIGNING_KEYS = "bench:" + secrets.token_hex(16)
UNLIMITED = "100000000/minute"
RATE_LIMITS = f"read={UNLIMITED},write={UNLIMITED},admin={UNLIMITED}"
ACCOUNT_ID, USER_ID = "bench", "bench-admin"
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Options:
    quick: bool
    postgres: bool
    postgres_url: str
    filler: int
    health: int
    checks: int
    revoke_rounds: int

    @property
    def backend(self) -> str:
        return "postgresql" if self.postgres else "sqlite"


@dataclass(frozen=True)
class Issued:
    """A PAT issued over HTTP: its id and raw value (kept in memory, never printed)."""

    id: str
    raw: str = field(repr=False)

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.raw.encode()).hexdigest()


@dataclass
class Client:
    """The running service, one keep-alive session, and every token value seen (for the log)."""

    url: str
    session: requests.Session
    user_key: str = field(default="", repr=False)
    seen: list[str] = field(default_factory=lambda: [ROOT_KEY], repr=False)

    def remember(self, raw: str) -> str:
        self.seen.append(raw)
        return raw


@dataclass(frozen=True)
class Timing:
    name: str
    items: int
    samples_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)


class WrongReply(Exception):
    """The service answered something other than what the benchmark expects."""


# ---- command line ----


def parse_options(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode for CI: small and fast")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server URL")
    parser.add_argument("--filler", type=int, help="filler rows bulk-loaded into `tokens`")
    parser.add_argument("--health", type=int, help="timed /health round trips")
    parser.add_argument("--checks", type=int, help="timed 1,000-hash checks")
    parser.add_argument("--revoke-rounds", type=int, help="timed 100-token revokes")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    counts = {name: getattr(args, name) for name in defaults}
    counts = {name: defaults[name] if n is None else n for name, n in counts.items()}
    if counts["filler"] < 0 or any(n < 1 for name, n in counts.items() if name != "filler"):
        parser.error("--filler must be >= 0; --health, --checks, --revoke-rounds >= 1")
    return Options(args.quick, args.postgres, args.postgres_url, **counts)


# ---- databases ----


def load_filler_tokens(database_url: str, count: int) -> None:
    """`count` PAT rows with random hashes for the benchmark user, in executemany batches."""
    from app.models import Token, User

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            user_pk = connection.execute(
                select(User.id).where(User.user_id == USER_ID)
            ).scalar_one()
            now = dt.datetime.now(dt.UTC)
            for start in range(0, count, INSERT_BATCH):
                stop = min(start + INSERT_BATCH, count)
                rows = [filler_row(i, user_pk, now) for i in range(start, stop)]
                connection.execute(insert(Token.__table__), rows)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE tokens"))
    finally:
        engine.dispose()


# ---- the service process ----


def server_environment(database_url: str, workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOKENPATROL_")}
    env.update(
        TOKENPATROL_DATABASE_URL=database_url,
        TOKENPATROL_ROOT_API_KEY=ROOT_KEY,
        TOKENPATROL_SIGNING_KEYS=SIGNING_KEYS,
        TOKENPATROL_SECRET_KEY=secrets.token_hex(16),
        TOKENPATROL_INSTANCE_PATH=str(workdir / "instance"),
        TOKENPATROL_RATE_LIMITS=RATE_LIMITS,
        TOKENPATROL_LEAK_RATE_LIMIT=UNLIMITED,
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def running_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Start `oi serve --port <free>`, wait for /health, yield its URL; stop it afterwards."""
    port = free_port()
    with serving([*oi_command(), "serve", "--port", str(port)], env, port, log_path) as url:
        yield url


def assert_no_token_in_log(log_path: Path, values: list[str]) -> None:
    """No token value the benchmark handled may appear in what the server logged."""
    logged = log_path.read_text(errors="replace")
    leaked = sum(1 for value in values if value in logged)
    if leaked:
        raise WrongReply(f"{leaked} token value(s) appear in the server log ({log_path.name})")


# ---- talking to the service ----


def expect(reply: requests.Response, wanted: int, what: str) -> Any:
    """The decoded JSON body when the status is `wanted`; never shows the body otherwise."""
    if reply.status_code != wanted:  # the body is not shown: it may hold a token
        raise WrongReply(f"{what}: HTTP {reply.status_code}, expected {wanted}")
    return reply.json() if reply.content else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_account(client: Client) -> None:
    """An account and its admin user through the admin API (root key); keeps the user key."""
    reply = client.session.post(
        f"{client.url}/api/v1/admin/accounts",
        json={"account_id": ACCOUNT_ID, "admin_user_id": USER_ID},
        headers=bearer(ROOT_KEY),
        timeout=TIMEOUT,
    )
    body = expect(reply, 200, "creating the benchmark account")
    client.user_key = client.remember(str(body["result"]["user_key"]))


def issue_pats(client: Client, count: int, name: str) -> list[Issued]:
    return [issue_pat(client, f"{name}-{index}") for index in range(count)]


def issue_pat(client: Client, name: str) -> Issued:
    reply = client.session.post(
        f"{client.url}/me/pats",
        json={"name": name, "scope": "read"},
        headers=bearer(client.user_key),
        timeout=TIMEOUT,
    )
    body = expect(reply, 201, "issuing a PAT")
    return Issued(str(body["id"]), client.remember(str(body["token"])))


def auth_status(client: Client, token: str) -> int:
    reply = client.session.get(f"{client.url}/auth/check", headers=bearer(token), timeout=TIMEOUT)
    return reply.status_code


def timed(send: Callable[[], requests.Response]) -> tuple[float, requests.Response]:
    """One request, in ms, from before it is sent until its whole reply has been read."""
    started = time.perf_counter_ns()
    reply = send()
    _ = reply.content
    return (time.perf_counter_ns() - started) / 1e6, reply


def get_health(client: Client) -> tuple[float, requests.Response]:
    return timed(lambda: client.session.get(f"{client.url}/health", timeout=TIMEOUT))


def post_json(client: Client, path: str, body: bytes) -> tuple[float, requests.Response]:
    return timed(
        lambda: client.session.post(
            f"{client.url}{path}", data=body, headers=JSON_HEADERS, timeout=TIMEOUT
        )
    )


# ---- checks ----


def check_body(live: list[Issued]) -> tuple[bytes, dict[str, str]]:
    """1,000 hashes, live ones spread among random ones; expected tokenId (or "") by hash."""
    expected = {token.hash: token.id for token in live}
    while len(expected) < CHECK_BATCH:
        expected.setdefault(secrets.token_hex(32), "")
    hashes = list(expected)
    secrets.SystemRandom().shuffle(hashes)
    return json.dumps({"hashes": hashes}).encode(), {h: expected[h] for h in hashes}


def verify_check(reply: requests.Response, expected: dict[str, str], status: str) -> None:
    """Same hashes in the same order; live ones answer `status` with their id, others unknown."""
    results = expect(reply, 200, "a leak check")["results"]
    if [result["hash"] for result in results] != list(expected):
        raise WrongReply("a leak check: the hashes came back in another order or number")
    wrong = sum(1 for result in results if _check_mismatch(result, expected, status))
    if wrong:
        raise WrongReply(f"a leak check: {wrong} of {len(results)} results are wrong")


def _check_mismatch(result: dict[str, Any], expected: dict[str, str], status: str) -> bool:
    token_id = expected[result["hash"]]
    if not token_id:
        return result["status"] != "unknown" or result["tokenId"] is not None
    return (result["status"], result["tokenId"], result["kind"]) != (status, token_id, "pat")


def measure_checks(client: Client, options: Options, live: list[Issued]) -> list[Timing]:
    """Interleaved rounds: a share of the /health round trips, then one 1,000-hash check."""
    body, expected = check_body(live)
    health: list[float] = []
    checks: list[float] = []
    per_round = max(options.health // options.checks, 1)
    for _ in range(WARMUP_HEALTH):
        expect(get_health(client)[1], 200, "/health")
    for _ in range(WARMUP_CHECKS):
        verify_check(post_json(client, "/api/v1/leaks/check", body)[1], expected, "active")
    with gc_paused():
        for _ in range(options.checks):
            for _ in range(per_round):
                elapsed, reply = get_health(client)
                expect(reply, 200, "/health")
                health.append(elapsed)
            elapsed, reply = post_json(client, "/api/v1/leaks/check", body)
            verify_check(reply, expected, "active")
            checks.append(elapsed)
    return [Timing("GET /health", 1, health), Timing("leaks/check", CHECK_BATCH, checks)]


# ---- revokes ----


def revoke_body(tokens: list[Issued], round_number: int) -> bytes:
    line = round_number + 1
    location = {
        "repo": "example/bench-leaks",
        "commit": secrets.token_hex(20),
        "path": "config/settings.py",
        "line": line,
        "url": f"https://git.example.com/example/bench-leaks/blob/main/config/settings.py#L{line}",
    }
    return json.dumps(
        {"tokens": [token.raw for token in tokens], "location": location, "source": "ci"}
    ).encode()


def verify_revoke(reply: requests.Response, tokens: list[Issued], result: str) -> None:
    """One result per token, in order, each `result` with the token's id and a safe fingerprint."""
    body = expect(reply, 200, "a leak revoke")
    results = body["results"]
    if len(results) != len(tokens):
        raise WrongReply(f"a leak revoke: {len(results)} results for {len(tokens)} tokens")
    wrong = sum(
        1
        for got, token in zip(results, tokens, strict=True)
        if (got["result"], got["tokenId"], got["kind"], got["fingerprint"])
        != (result, token.id, "pat", token.hash[:12])
    )
    if wrong:
        raise WrongReply(f"a leak revoke: {wrong} of {len(tokens)} results are not {result!r}")


def revoke_round(client: Client, round_number: int) -> tuple[float, float]:
    """Issue 100 PATs (untimed), revoke them, revoke them again; both times in ms, verified."""
    tokens = issue_pats(client, REVOKE_BATCH, f"revoke-{round_number}")
    probes = (tokens[0].raw, tokens[-1].raw)
    if [auth_status(client, probe) for probe in probes] != [200, 200]:
        raise WrongReply("a freshly issued PAT does not authenticate")
    body = revoke_body(tokens, round_number)
    with gc_paused():
        first, reply = post_json(client, "/api/v1/leaks/revoke", body)
    verify_revoke(reply, tokens, "revoked")
    with gc_paused():
        again, reply = post_json(client, "/api/v1/leaks/revoke", body)
    verify_revoke(reply, tokens, "already_revoked")
    if [auth_status(client, probe) for probe in probes] != [401, 401]:
        raise WrongReply("a revoked PAT still authenticates on /auth/check (expected 401)")
    verify_revoked_by_hash(client, tokens)
    return first, again


def verify_revoked_by_hash(client: Client, tokens: list[Issued]) -> None:
    """All revoked tokens answer `revoked` on a check by hash (untimed)."""
    body = json.dumps({"hashes": [token.hash for token in tokens]}).encode()
    expected = {token.hash: token.id for token in tokens}
    verify_check(post_json(client, "/api/v1/leaks/check", body)[1], expected, "revoked")


def measure_revokes(client: Client, rounds: int) -> list[Timing]:
    first: list[float] = []
    again: list[float] = []
    for round_number in range(rounds):
        revoked, repeated = revoke_round(client, round_number)
        first.append(revoked)
        again.append(repeated)
    return [
        Timing("leaks/revoke", REVOKE_BATCH, first),
        Timing("leaks/revoke again", REVOKE_BATCH, again),
    ]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No client-side garbage collection inside a timed stretch."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# ---- one run ----


def run(options: Options) -> tuple[list[Timing], float]:
    """Fresh database, migrate, serve, load, measure; the timings and the setup time in s."""
    with tempfile.TemporaryDirectory(prefix="tokenpatrol-bench-leaks-") as workdir:
        base = Path(workdir)
        database = (
            postgres_database(options.postgres_url, "bench_leaks")
            if options.postgres
            else sqlite_database(base)
        )
        with database as url:
            env = server_environment(url, base)
            upgrade_database(env)
            log_path = base / "server.log"
            with running_server(env, log_path) as server, requests.Session() as session:
                client = Client(server, session)
                started = time.perf_counter()
                create_account(client)
                load_filler_tokens(url, options.filler)
                live = issue_pats(client, CHECK_LIVE, "check")
                setup_seconds = time.perf_counter() - started
                timings = measure_checks(client, options, live)
                timings += measure_revokes(client, options.revoke_rounds)
            assert_no_token_in_log(log_path, client.seen)
    return timings, setup_seconds


# ---- output ----


HEADERS = [
    "operation",
    "items",
    "samples",
    "median ms",
    "min ms",
    "max ms",
    "x /health",
    "µs/item",
    "net µs/item",
]


def result_rows(timings: list[Timing]) -> list[list[str]]:
    health = timings[0].median_ms
    return [
        [
            t.name,
            f"{t.items:,}",
            f"{len(t.samples_ms):,}",
            f"{t.median_ms:,.2f}",
            f"{min(t.samples_ms):,.2f}",
            f"{max(t.samples_ms):,.2f}",
            f"{t.median_ms / health:,.1f}x",
            f"{t.median_ms * 1_000 / t.items:,.1f}",
            f"{(t.median_ms - health) * 1_000 / t.items:,.1f}",
        ]
        for t in timings
    ]


# ---- main ----


def main(argv: list[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    try:
        if options.postgres:
            check_postgres(options.postgres_url)
    except PostgresUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    note(
        f"tokenpatrol leak benchmark: {options.backend}, {options.filler:,} filler tokens, "
        f"{options.health:,} /health, {options.checks:,} checks of {CHECK_BATCH:,} hashes "
        f"({CHECK_LIVE} live), {options.revoke_rounds:,} revokes of {REVOKE_BATCH} tokens"
    )
    started = time.perf_counter()
    try:
        timings, setup_seconds = run(options)
    except WrongReply as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print_table(
        f"Leak protocol over HTTP, `oi serve` on {options.backend} (median of each)",
        HEADERS,
        result_rows(timings),
    )
    note(f"setup {setup_seconds:.1f} s, total time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
