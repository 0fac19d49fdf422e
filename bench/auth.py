"""What authenticating a request costs, next to an unauthenticated one, as the tokens table grows.

For each backend (SQLite, PostgreSQL) and each table size (default 1,000 and 100,000 rows in
`tokens`) this script makes a fresh database, migrates it through the real Alembic path,
creates an account through the admin API, bulk-loads filler tokens with plain SQL, then issues
one genuine personal access token through `POST /me/pats`. It then drives the app in-process
with Flask's test client (no HTTP server noise), interleaving rounds of

* `GET /health`      - public: no token is read, no database query is made;
* `GET /auth/check`  - the same request path plus authentication: `Authorization: Bearer`,
                       SHA-256 of the token, one lookup by the unique index on `token_hash`,
                       the user join, the last-used check and the rate limiter.

How to read the output:

* one row per (backend, size): the median time of one request to each endpoint in µs, their
  ratio, and "auth µs" = median(/auth/check) - median(/health), the cost of authenticating;
* one row per backend: auth µs at the largest size divided by auth µs at the smallest.
  An index lookup is O(log n), so this should stay close to 1.0 (run-to-run noise is a few
  per cent); a ratio that grows with the table would mean a scan.

Usage: python bench/auth.py [--quick] [--backends sqlite,postgresql] [--sizes 1000,100000]
                            [--requests N] [--postgres-url URL]

Exit status: 0 on success; 2 when PostgreSQL was asked for and cannot be reached (with
--quick, PostgreSQL is skipped with a note instead). The token value is never printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench_databases import (
    PostgresUnreachable,
    check_postgres,
    filler_row,
    postgres_database,
    sqlite_database,
)
from bench_output import note, print_table
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text

BACKENDS = ("sqlite", "postgresql")
DEFAULT_SIZES = (1_000, 100_000)
DEFAULT_REQUESTS = 2_000
QUICK_SIZES = (1_000,)
QUICK_REQUESTS = 200
ROUND_LENGTH = 100  # requests per endpoint per round; rounds alternate between the endpoints
INSERT_BATCH = 10_000
DEFAULT_POSTGRES_URL = os.environ.get(
    "TOKENPATROL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ROOT_KEY = "bench-root-key-" + secrets.token_hex(16)
RATE_LIMITS = "read=100000000/hour,write=100000000/hour,admin=100000000/hour"
ACCOUNT_ID, USER_ID = "bench", "bench-admin"


@dataclass(frozen=True)
class Options:
    backends: tuple[str, ...]
    sizes: tuple[int, ...]
    requests: int
    quick: bool
    postgres_url: str


@dataclass(frozen=True)
class Result:
    backend: str
    size: int
    health_us: float
    auth_us: float
    load_seconds: float

    @property
    def ratio(self) -> float:
        return self.auth_us / self.health_us

    @property
    def extra_us(self) -> float:
        return self.auth_us - self.health_us


# ---- command line ----


def parse_options(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode for CI: small and fast")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated")
    parser.add_argument("--sizes", default=None, help="rows in `tokens`, comma-separated")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per endpoint")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server URL")
    args = parser.parse_args(argv)
    backends = tuple(name.strip() for name in args.backends.split(",") if name.strip())
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown or not backends:
        parser.error(f"--backends: choose from {', '.join(BACKENDS)} (got {args.backends!r})")
    try:
        sizes = _sizes(args.sizes, QUICK_SIZES if args.quick else DEFAULT_SIZES)
    except ValueError:
        sizes = ()
    if not sizes or any(size < 1 for size in sizes):
        parser.error(f"--sizes must be positive integers, e.g. 1000,100000 (got {args.sizes!r})")
    requests = args.requests or (QUICK_REQUESTS if args.quick else DEFAULT_REQUESTS)
    return Options(backends, sizes, max(requests, 1), args.quick, args.postgres_url)


def _sizes(value: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    if value is None:
        return default
    return tuple(sorted({int(item.replace("_", "")) for item in value.split(",") if item}))


# ---- databases ----


# ---- the app and its data ----


def build_app(database_url: str, instance: Path) -> Flask:
    from app import create_app
    from app.cli import upgrade_database

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "ROOT_API_KEY": ROOT_KEY,
            "SIGNING_KEYS": "k1:secret",
            "SECRET_KEY": "bench-secret-key",
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATE_LIMITS": RATE_LIMITS,
            "INSTANCE_PATH": str(instance),
            "SCHEMA_CHECK_ON_START": False,  # migrated just below, by the real upgrade path
        }
    )
    upgrade_database(app)
    return app


def create_user_key(client: FlaskClient) -> str:
    """An account and its admin user through the admin API (root key); returns the user key."""
    reply = client.post(
        "/api/v1/admin/accounts",
        json={"account_id": ACCOUNT_ID, "admin_user_id": USER_ID},
        headers=bearer(ROOT_KEY),
    )
    _expect(reply.status_code, 200, "creating the benchmark account")
    return str(reply.get_json()["result"]["user_key"])


def create_pat(client: FlaskClient, user_key: str) -> str:
    reply = client.post(
        "/me/pats", json={"name": "bench", "scope": "read"}, headers=bearer(user_key)
    )
    _expect(reply.status_code, 201, "creating the benchmark PAT")
    return str(reply.get_json()["token"])


def load_filler_tokens(app: Flask, count: int) -> None:
    """`count` PAT rows for the benchmark user, random hashes, inserted in executemany batches."""
    from app.extensions import db
    from app.models import Token, User

    with app.app_context():
        user_pk = db.session.execute(select(User.id).filter_by(user_id=USER_ID)).scalar_one()
        now = dt.datetime.now(dt.UTC)
        statement = insert(Token.__table__)
        for start in range(0, count, INSERT_BATCH):
            rows = [
                filler_row(i, user_pk, now) for i in range(start, min(start + INSERT_BATCH, count))
            ]
            db.session.execute(statement, rows)
        db.session.commit()
        db.session.execute(text("ANALYZE tokens"))
        db.session.commit()


def count_tokens(app: Flask) -> int:
    from app.extensions import db

    with app.app_context():
        return int(db.session.execute(text("SELECT count(*) FROM tokens")).scalar_one())


def dispose(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _expect(status: int, wanted: int, what: str) -> None:
    if status != wanted:  # the body is not shown: it may hold a token
        raise RuntimeError(f"{what}: HTTP {status}, expected {wanted}")


# ---- timing ----


Request = Callable[[], int]


def timed_batch(request: Request, count: int, samples: list[float]) -> None:
    """Run `request` `count` times, appending each duration in µs; any non-200 is an error."""
    for _ in range(count):
        started = time.perf_counter_ns()
        status = request()
        samples.append((time.perf_counter_ns() - started) / 1_000)
        _expect(status, 200, "a timed request")


def measure(health: Request, auth: Request, requests: int) -> tuple[float, float]:
    """Interleaved rounds of both endpoints after a warm-up; the median µs of each."""
    warmup: list[float] = []
    timed_batch(health, max(requests // 10, 20), warmup)
    timed_batch(auth, max(requests // 10, 20), warmup)
    health_samples: list[float] = []
    auth_samples: list[float] = []
    gc.collect()
    gc.disable()
    try:
        done = 0
        while done < requests:
            step = min(ROUND_LENGTH, requests - done)
            timed_batch(health, step, health_samples)
            timed_batch(auth, step, auth_samples)
            done += step
    finally:
        gc.enable()
    return statistics.median(health_samples), statistics.median(auth_samples)


def run_case(database_url: str, instance: Path, backend: str, size: int, requests: int) -> Result:
    app = build_app(database_url, instance)
    try:
        client = app.test_client()
        started = time.perf_counter()
        user_key = create_user_key(client)  # the user key is itself one row of `tokens`
        load_filler_tokens(app, max(size - 2, 0))
        pat = create_pat(client, user_key)
        load_seconds = time.perf_counter() - started
        if count_tokens(app) != max(size, 2):
            raise RuntimeError(f"expected {size} rows in tokens, found {count_tokens(app)}")
        headers = bearer(pat)
        health_us, auth_us = measure(
            lambda: client.get("/health").status_code,
            lambda: client.get("/auth/check", headers=headers).status_code,
            requests,
        )
        return Result(backend, size, health_us, auth_us, load_seconds)
    finally:
        dispose(app)


def run_backend(backend: str, options: Options, report: Callable[[Result], None]) -> None:
    for size in options.sizes:
        with tempfile.TemporaryDirectory(prefix="tokenpatrol-bench-") as workdir:
            instance = Path(workdir)
            database = (
                sqlite_database(instance)
                if backend == "sqlite"
                else postgres_database(options.postgres_url)
            )
            with database as url:
                report(run_case(url, instance, backend, size, options.requests))


# ---- output ----


def result_rows(results: list[Result]) -> list[list[str]]:
    return [
        [
            r.backend,
            f"{r.size:,}",
            f"{r.health_us:,.1f}",
            f"{r.auth_us:,.1f}",
            f"{r.ratio:.2f}x",
            f"{r.extra_us:,.1f}",
            f"{r.load_seconds:.1f}",
        ]
        for r in results
    ]


def growth_rows(results: list[Result]) -> list[list[str]]:
    rows: list[list[str]] = []
    for backend in dict.fromkeys(r.backend for r in results):
        mine = sorted((r for r in results if r.backend == backend), key=lambda r: r.size)
        small, large = mine[0], mine[-1]
        if small.size == large.size:
            continue
        growth = large.extra_us / small.extra_us if small.extra_us > 0 else float("nan")
        rows.append(
            [
                backend,
                f"{small.size:,} -> {large.size:,}",
                f"{small.extra_us:,.1f}",
                f"{large.extra_us:,.1f}",
                f"{growth:.2f}x",
                f"{large.auth_us / small.auth_us:.2f}x",
            ]
        )
    return rows


RESULT_HEADERS = ["backend", "tokens", "health µs", "auth/check µs", "ratio", "auth µs", "load s"]
GROWTH_HEADERS = [
    "backend",
    "tokens",
    "auth µs, smallest",
    "auth µs, largest",
    "auth µs ratio",
    "auth/check ratio",
]


# ---- main ----


def usable_backends(options: Options) -> tuple[str, ...]:
    """The backends to run; PostgreSQL that cannot be reached is skipped (--quick) or fatal."""
    if "postgresql" not in options.backends:
        return options.backends
    try:
        check_postgres(options.postgres_url)
    except PostgresUnreachable as error:
        if not options.quick:
            raise
        note(f"note: skipping postgresql: {error}")
        return tuple(name for name in options.backends if name != "postgresql")
    return options.backends


def quiet_library_noise() -> None:
    """Warnings only (Alembic logs every migration step at INFO); no in-memory-limiter warning."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="Using the in-memory storage")


def main(argv: list[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    quiet_library_noise()
    try:
        backends = usable_backends(options)
    except PostgresUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    note(
        f"tokenpatrol auth benchmark: {options.requests:,} timed requests per endpoint, "
        f"sizes {', '.join(f'{s:,}' for s in options.sizes)}, "
        f"backends {', '.join(backends) or 'none'}"
    )
    started = time.perf_counter()
    results: list[Result] = []

    def report(result: Result) -> None:
        results.append(result)
        note(f"  done: {result.backend}, {result.size:,} tokens")

    for backend in backends:
        run_backend(backend, options, report)
    print_table(
        "Authenticated vs unauthenticated request (median)", RESULT_HEADERS, result_rows(results)
    )
    growth = growth_rows(results)
    if growth:
        print_table("Auth cost, largest table vs smallest (expect ~1.0x)", GROWTH_HEADERS, growth)
    note(f"total time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
