"""Requests per second under load: `/auth/check` with a valid token next to `/health`, both on
the same gunicorn (deploy/gunicorn.conf.py) over PostgreSQL, measured by wrk in one run.

For each size of the tokens table (default 1,000 and 1,000,000 rows) the script makes a fresh
PostgreSQL database (dropped WITH (FORCE) however the run ends), migrates it with
`oi server upgrade-db`, starts gunicorn, creates an account through the admin API (root key),
bulk-loads filler tokens with one `INSERT ... SELECT generate_series` (then VACUUM ANALYZE,
so that autovacuum does not start on the new rows during the timed rounds), and
issues one genuine personal access token through `POST /me/pats`. Rate limits live in Redis
when it answers (as in production; `--memory-limits` keeps them in process memory), with a
budget too large to run out. Then wrk (Debian package `wrk`) drives, in alternating rounds:

* `GET /health`      - public: no token read, no database query, no rate-limit counter;
* `GET /auth/check`  - the same plus authentication: the checksum, SHA-256, the process's
                       auth cache and one Redis round trip (the budget's count, its window
                       and the auth epoch in one script); the first request of each worker
                       also makes the indexed lookup with the user and the PATs setting.

The token reaches wrk through a Lua script reading it from the environment, never on a
command line, in a URL or in the output. Every round must answer only 2xx (wrk's "Non-2xx"
count), or the run fails.

How to read the output: one row per table size: median requests/s of each endpoint over the
rounds, "ratio" = rps(/auth/check) / rps(/health) (target: at least 0.8x), and the p50 and
p99 latency of each. The last line compares the ratio at the largest size with the smallest:
an indexed lookup should keep it level as the table grows. Figures are for this machine only
(wrk and gunicorn share its cores); the ratio is what carries over.

Usage: python bench/load.py [--quick] [--sizes 1000,1000000] [--seconds N] [--rounds N]
                            [--connections N] [--workers N] [--memory-limits]
                            [--postgres-url URL]

Exit status: 0 on success; 1 when a reply was wrong (non-2xx under load); 2 when PostgreSQL or
wrk is missing (with --quick: a note and exit 0, so CI without them still passes the smoke).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from bench_databases import PostgresUnreachable, check_postgres, postgres_database
from bench_output import note, print_table
from bench_server import free_port, serving, upgrade_database
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
GUNICORN_CONFIG = REPO / "deploy" / "gunicorn.conf.py"
DEFAULT_POSTGRES_URL = os.environ.get(
    "TOKENPATROL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TOKENPATROL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT_KEY = "bench-root-key-" + secrets.token_hex(16)
SIGNING_KEYS = "bench:" + secrets.token_hex(16)
HUGE_LIMITS = "read=1000000000/hour,write=1000000000/hour,admin=1000000000/hour"
TARGET_RATIO = 0.8  # issue 15: an authenticated request at least 0.8x /health
LUA = 'wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")\n'


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...]
    seconds: int
    rounds: int
    connections: int
    workers: int | None
    memory_limits: bool
    quick: bool
    postgres_url: str


@dataclass(frozen=True)
class WrkRun:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


@dataclass(frozen=True)
class SizeResult:
    size: int
    health: list[WrkRun]
    auth: list[WrkRun]

    @property
    def health_rps(self) -> float:
        return statistics.median(run.rps for run in self.health)

    @property
    def auth_rps(self) -> float:
        return statistics.median(run.rps for run in self.auth)

    @property
    def ratio(self) -> float:
        return self.auth_rps / self.health_rps


def parse_options(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode for CI: small and short")
    parser.add_argument("--sizes", help="comma-separated table sizes (default 1000,1000000)")
    parser.add_argument("--seconds", type=int, help="wrk duration of one round (default 10)")
    parser.add_argument("--rounds", type=int, help="rounds per endpoint (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the config's)")
    parser.add_argument("--memory-limits", action="store_true", help="rate limits in memory")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args(argv)
    try:
        sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None
    except ValueError:
        parser.error("--sizes takes comma-separated integers")
    return Options(
        sizes=sizes or ((1_000,) if args.quick else (1_000, 1_000_000)),
        seconds=args.seconds or (2 if args.quick else 10),
        rounds=args.rounds or (1 if args.quick else 3),
        connections=args.connections,
        workers=args.workers,
        memory_limits=args.memory_limits,
        quick=args.quick,
        postgres_url=args.postgres_url,
    )


def main(argv: list[str]) -> int:
    options = parse_options(argv)
    missing = _missing_prerequisite(options)
    if missing:
        note(missing)
        return 0 if options.quick else 2
    limits = "process memory" if options.memory_limits or not _redis_answers() else "Redis"
    note(f"rate limits in {limits}; wrk -c {options.connections}, {options.seconds} s rounds")
    results = []
    with tempfile.TemporaryDirectory(prefix="tokenpatrol-load-") as workdir:
        for size in options.sizes:
            result = measure_size(size, options, Path(workdir), limits == "Redis")
            if result is None:
                return 1
            results.append(result)
    report(results)
    return 0


def measure_size(size: int, options: Options, workdir: Path, redis: bool) -> SizeResult | None:
    with postgres_database(options.postgres_url, prefix="bench_load") as database_url:
        env = _server_env(database_url, workdir / f"instance-{size}", options, redis)
        upgrade_database(env)
        with gunicorn(env, workdir / f"gunicorn-{size}.log") as base_url:
            user_key = _create_account(base_url)
            started = time.perf_counter()
            _bulk_load(database_url, size)
            note(f"{size:,} tokens loaded in {time.perf_counter() - started:.1f} s")
            token = _create_pat(base_url, user_key)
            health, auth = [], []
            _wrk(f"{base_url}/health", 1, options, None)  # warm-up, untimed
            _wrk(f"{base_url}/auth/check", 1, options, token)
            for _ in range(options.rounds):
                health.append(_wrk(f"{base_url}/health", options.seconds, options, None))
                auth.append(_wrk(f"{base_url}/auth/check", options.seconds, options, token))
            log = (workdir / f"gunicorn-{size}.log").read_text(errors="replace")
    if any(run.non_2xx for run in health + auth):
        note(f"FAILED: non-2xx answers under load at {size:,} tokens")
        return None
    if token in log or token[7:] in log:
        note("FAILED: the token value appeared in the server log")
        return None
    return SizeResult(size, health, auth)


def report(results: list[SizeResult]) -> None:
    rows = [
        [
            f"{r.size:,}",
            f"{r.health_rps:,.0f}",
            f"{r.auth_rps:,.0f}",
            f"{r.ratio:.2f}x",
            _latency(r.health),
            _latency(r.auth),
        ]
        for r in results
    ]
    print_table(
        "GET /auth/check vs GET /health on one gunicorn, PostgreSQL (wrk, median of rounds)",
        [
            "tokens",
            "/health rps",
            "/auth/check rps",
            "ratio",
            "/health p50/p99 ms",
            "/auth/check p50/p99 ms",
        ],
        rows,
    )
    lowest = min(r.ratio for r in results)
    note(f"ratio: {'meets' if lowest >= TARGET_RATIO else 'MISSES'} the {TARGET_RATIO}x target")
    if len(results) > 1:
        drift = results[-1].ratio / results[0].ratio
        note(
            f"ratio at {results[-1].size:,} tokens / ratio at {results[0].size:,}: {drift:.2f} "
            "(level means the lookup does not slow as the table grows)"
        )


def _latency(runs: list[WrkRun]) -> str:
    p50 = statistics.median(run.p50_ms for run in runs)
    p99 = statistics.median(run.p99_ms for run in runs)
    return f"{p50:.2f} / {p99:.2f}"


def _wrk(url: str, seconds: int, options: Options, token: str | None) -> WrkRun:
    threads = "2"
    command = [
        "wrk",
        "-t",
        threads,
        "-c",
        str(options.connections),
        "-d",
        f"{seconds}s",
        "--latency",
        url,
    ]
    env = dict(os.environ)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    try:
        if token is not None:
            command[1:1] = ["-s", script.name]
            env["BENCH_TOKEN"] = token
        output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(script.name)
    return _parse_wrk(output)


def _parse_wrk(output: str) -> WrkRun:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return WrkRun(
        rps,
        _ms(percentiles["50"]),
        _ms(percentiles["99"]),
        int(non_2xx.group(1)) if non_2xx else 0,
    )


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """gunicorn with the repository's config on the port TOKENPATROL_BIND names."""
    command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "app:create_app()"]
    port = int(env["TOKENPATROL_BIND"].rsplit(":", 1)[1])
    with serving(command, env, port, log_path) as base_url:
        yield base_url


def _server_env(database_url: str, instance: Path, options: Options, redis: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENPATROL_")}
    env.update(
        TOKENPATROL_DATABASE_URL=database_url,
        TOKENPATROL_ROOT_API_KEY=ROOT_KEY,
        TOKENPATROL_SIGNING_KEYS=SIGNING_KEYS,
        TOKENPATROL_INSTANCE_PATH=str(instance),
        TOKENPATROL_RATE_LIMITS=HUGE_LIMITS,
        TOKENPATROL_BIND=f"127.0.0.1:{free_port()}",
    )
    if redis:
        env["TOKENPATROL_RATELIMIT_STORAGE_URI"] = REDIS_URL
        env["TOKENPATROL_RATELIMIT_KEY_PREFIX"] = "bench-" + secrets.token_hex(6)
    if options.workers:
        env["TOKENPATROL_WORKERS"] = str(options.workers)
    return env


def _create_account(base_url: str) -> str:
    reply = requests.post(
        f"{base_url}/api/v1/admin/accounts",
        headers={"X-API-Key": ROOT_KEY},
        json={"account_id": "bench", "admin_user_id": "bench-admin"},
        timeout=30,
    )
    reply.raise_for_status()
    return str(reply.json()["result"]["user_key"])


def _create_pat(base_url: str, user_key: str) -> str:
    reply = requests.post(
        f"{base_url}/me/pats",
        headers={"Authorization": f"Bearer {user_key}"},
        json={"name": "load", "scope": "read"},
        timeout=30,
    )
    reply.raise_for_status()
    return str(reply.json()["token"])


def _bulk_load(database_url: str, count: int) -> None:
    """`count` filler tokens of the bench user, by SQL alone (distinct 64-hex hashes)."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        user_pk = connection.execute(text("SELECT id FROM users LIMIT 1")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO tokens (id, kind, user_pk, name, scope, token_hash, display_prefix, "
                "last4, created_at) SELECT 'pat_filler' || g, 'pat', :user_pk, 'filler', 'read', "
                "md5(g::text) || md5((-g)::text), 'oi_pat_', '0000', now() "
                "FROM generate_series(1, :count) AS g"
            ),
            {"user_pk": user_pk, "count": count},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE tokens"))
    engine.dispose()


def _missing_prerequisite(options: Options) -> str | None:
    if shutil.which("wrk") is None:
        return "wrk is not installed (Debian package wrk): bench/load.py skipped"
    try:
        check_postgres(options.postgres_url)
    except PostgresUnreachable as error:
        return f"{error}: bench/load.py skipped"
    return None


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
