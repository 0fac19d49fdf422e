"""Gunicorn settings for tokenpatrol in production.

    oi server upgrade-db
    gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'

Every setting can be changed through the environment (TOKENPATROL_BIND, TOKENPATROL_WORKERS,
TOKENPATROL_THREADS, TOKENPATROL_TIMEOUT) or on the gunicorn command line.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from app.config import StartupRefused, check_production_environment

# No development mode here (it turns authentication off), and no database behind the
# migrations: gunicorn stops before it binds, with one line saying why, instead of every worker
# failing to boot with a traceback.
try:
    check_production_environment()
    from app import create_app

    create_app()  # it checks the schema (and disposes of its connections before the fork)
except StartupRefused as refused:
    sys.exit(f"tokenpatrol: {refused.message}")

bind = os.environ.get("TOKENPATROL_BIND", "127.0.0.1:8000")

# One thread per worker process and 2 x cores + 1 processes. Every authenticated request makes
# several short round trips to Redis (and, on a cache miss, PostgreSQL); threads sharing one
# interpreter then queue for its lock after each round trip, which measured slower
# (bench/load.py on 2 vCPUs: /auth/check at about 1,200 rps with 4 threads, 1,330-1,490
# with 1). gthread, not sync, so keep-alive connections from a proxy are kept.
workers = int(os.environ.get("TOKENPATROL_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("TOKENPATROL_THREADS", "1"))

timeout = int(os.environ.get("TOKENPATROL_TIMEOUT", "30"))  # a stuck worker is replaced
graceful_timeout = 30  # in-flight requests finish on SIGTERM (a revocation answers after commit)
keepalive = 5
max_requests = 10_000  # recycle workers now and then; the jitter keeps them from doing it at once
max_requests_jitter = 1_000

# The access log names the path only (%(U)s has no query string) and no request header, so
# neither `?access_token=` nor `Authorization` / `X-API-Key` can reach it. The app's logging
# filter redacts anything token-shaped that a client puts into the path itself.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms pid=%(p)s'
