"""The test's own app served over real HTTP from a thread of this process.

For a client test that needs the clock stopped on both sides (time-machine patches this
process only): the `oi` client in-process and the service in a thread see the same instant.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server


@contextmanager
def serving_in_thread(app: Flask) -> Iterator[str]:
    """Serve `app` on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="wsgi-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()
