"""SQLite's write-ahead log is copied into the database file by the worker, not by a webhook's commit."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from hotline.database import WAL_AUTOCHECKPOINT_PAGES
from hotline.extensions import db
from hotline.models import Inbound
from hotline.worker import Worker


def _write_rows(session, count: int) -> None:
    session.add_all(Inbound(sid=f"SM{n:032d}", kind="sms", phone="+8613900001111", body="x" * 1000)
                    for n in range(count))
    session.commit()


def test_a_commit_leaves_the_log_for_the_worker_to_copy(app, session):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log: PostgreSQL checkpoints on its own, and `checkpoint` leaves it be")
    assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == WAL_AUTOCHECKPOINT_PAGES
    session.commit()
    path = db.engine.url.database
    _write_rows(session, 2000)  # about 2 MB, far past SQLite's own 1,000 pages
    before = os.path.getsize(path)

    Worker(app).tick()

    assert os.path.getsize(path) > before + 1_000_000  # the rows reached the database file only now
    connection = db.engine.raw_connection()
    try:
        busy, logged, copied = connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        connection.close()
    assert busy == 0 and logged == copied  # nothing of the log is left to copy
