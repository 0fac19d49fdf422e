"""Red-team finding 7: concurrent rotations of one token made 2 or 3 live replacements in 6 of
10 trials. A rotation succeeds only on a still-live row: exactly one winner, on gunicorn with
2 workers x 4 threads on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.gunicorn import running_gunicorn

TRIALS, RACERS = 10, 6


def rotate(url: str, headers: dict[str, str]) -> requests.Response:
    return requests.post(url, json={}, headers=headers, timeout=60)


def test_concurrent_rotations_of_one_token_have_one_winner(
    postgres_url: str, tmp_path: Path
) -> None:
    with running_gunicorn(postgres_url, tmp_path, workers=2, TOKENPATROL_THREADS="4") as server:
        api = Api(base_url=server.url)
        key = api.create_account(ROOT_KEY, "acme", "alice")
        headers = {"Authorization": f"Bearer {key}"}
        with ThreadPoolExecutor(RACERS) as pool:
            for trial in range(TRIALS):
                token = api.create_token(key, name=f"race-{trial}")
                url = f"{server.url}/me/pats/{token['id']}/rotate"
                replies = list(pool.map(rotate, [url] * RACERS, [headers] * RACERS))
                statuses = sorted(reply.status_code for reply in replies)
                assert statuses == [201] + [404] * (RACERS - 1), (trial, statuses)
                live = [
                    t for t in api.call("GET", "/me/pats", key).body if t["name"] == f"race-{trial}"
                ]
                assert len(live) == 1, (trial, len(live))
