"""`/healthz`: 200 when the database answers; a check that only reads, so it never waits for a writer."""

from flask import Blueprint
from sqlalchemy import text

from hotline.database import reads_only
from hotline.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers, 503 when it does not."""
    try:
        with reads_only():
            db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not healthy
        db.session.rollback()
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}
