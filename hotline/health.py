"""`/healthz`: 200 when the database answers."""

from flask import Blueprint
from sqlalchemy import text

from hotline.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not healthy
        db.session.rollback()
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}
