"""Show a new secret exactly once, after a redirect, without putting it in a URL or a cookie.

The value waits in the signed-in session's row on the server (`WebSession`), encrypted
(Fernet, key derived from SECRET_KEY), until the page it belongs to takes it: taking it is a
conditional UPDATE that clears it, so of any number of requests carrying the same cookie (a
copy replayed later, two tabs) exactly one shows it. Signing out discards it.
"""

from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from app.models import WebSession
from app.services import sealing
from app.web.session import current_session

REVEAL_TTL_SECONDS = 600
PURPOSE = "web reveal"  # the key derivation's label: sealed values from before still open


def stash(page: str, raw: str) -> None:
    """Keep `raw` for the next view of `page` (one waiting secret per session)."""
    row = current_session()
    if row is None:  # pragma: no cover - every caller is a signed-in page
        return
    row.reveal_page = page
    row.reveal_sealed = sealing.seal(PURPOSE, raw)
    db.session.commit()


def pop(page: str) -> str | None:
    """The value stashed for `page`, once; None when there is none, it is stale or another
    request took it."""
    row = current_session()
    if row is None or row.reveal_page != page or not row.reveal_sealed:
        return None
    sealed = row.reveal_sealed
    taken = db.session.execute(
        update(WebSession)
        .where(WebSession.id == row.id, WebSession.reveal_sealed == sealed)
        .values(reveal_page=None, reveal_sealed=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if getattr(taken, "rowcount", 0) != 1:
        return None
    return sealing.unseal(PURPOSE, sealed, ttl_seconds=REVEAL_TTL_SECONDS)
