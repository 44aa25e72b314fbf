"""The migrations, not create_all, build the schema: from nothing, on each database, twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from hotline import create_app
from hotline.extensions import db
from hotline.models import Base
from tests.conftest import hotline_env
from tests.helpers import POSTGRES, create_database, drop_database


@pytest.fixture
def empty_database(database_url, tmp_path):
    """An empty database: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/migrated.db"
        return
    name, url = create_database(prefix="hotline_mig_")
    yield url
    drop_database(POSTGRES, name)


def test_init_db_migrates_an_empty_database_and_models_agree(empty_database, tmp_path):
    app = create_app({"ENV": hotline_env(empty_database, HOTLINE_SPOOL_DIR=str(tmp_path / "spool"))})
    for _ in range(2):  # safe to run again
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"render_as_batch": True})
            assert compare_metadata(context, Base.metadata) == []
        db.engine.dispose()


TYPED_ACTORS = "c5ee37fa9be0"  # the migration that makes timeline actors typed


def test_old_timeline_rows_read_back_with_typed_actors_and_go_back_again(empty_database, tmp_path):
    app = create_app({"ENV": hotline_env(empty_database, HOTLINE_SPOOL_DIR=str(tmp_path / "spool"))})
    with app.app_context():
        directory = app.extensions["migrate"].directory
        before = ScriptDirectory(directory).get_revision(TYPED_ACTORS).down_revision
        upgrade(directory=directory, revision=before)
        with db.engine.begin() as conn:
            old_style_timeline(conn)
        upgrade(directory=directory, revision=TYPED_ACTORS)
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT kind, actor_kind, actor_volunteer_id, actor_user_id, channel, note "
                                        "FROM request_event ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [
            ("created", "resident", None, None, "sms", "rice"),
            ("assigned", "system", None, None, "sms", ""),
            ("accepted", "volunteer", 7, None, "sms", ""),
            ("note", "coordinator", None, 3, "admin", "call her first"),
            ("declined", "coordinator", 8, None, "sms", ""),
            ("handed_on", "volunteer", None, None, "sms", "off duty"),  # volunteer 99 is gone
            ("status_changed", "coordinator", None, None, "admin", "x"),  # the user `gone` too
            ("note", "system", None, None, "system", "[long_ago] what it was"),  # a kind nobody writes
        ]
        downgrade(directory=directory, revision=before)
        with db.engine.connect() as conn:
            actors = conn.execute(sa.text("SELECT actor FROM request_event ORDER BY id")).scalars().all()
        assert actors == ["resident", "system", "volunteer:7", "admin:sun", "coordinator:8", "volunteer", "admin:",
                          "system"]
        db.engine.dispose()


def old_style_timeline(conn) -> None:
    """One request's timeline as the hotline wrote it before actors were typed."""
    now = datetime(2022, 4, 12, 2, 0, tzinfo=UTC)
    tables = sa.MetaData()
    tables.reflect(conn)
    conn.execute(sa.insert(tables.tables["building"]), [{"number": 12}])
    conn.execute(sa.insert(tables.tables["household"]), [{"id": 1, "building": 12, "room": "302", "created_at": now}])
    conn.execute(sa.insert(tables.tables["volunteer"]), [
        {"id": number, "name": name, "phone": phone, "languages": "zh", "role": role, "on_duty": True, "rank": 0,
         "created_at": now, "updated_at": now}
        for number, name, phone, role in ((7, "Li Wei", "+8613900000121", "volunteer"),
                                          (8, "Sun Hong", "+8613900000001", "coordinator"))])
    conn.execute(sa.insert(tables.tables["user"]), [
        {"id": 3, "username": "sun", "password_hash": "-", "role": "coordinator", "active": True, "language": "zh",
         "created_at": now, "session_stamp": "s"}])
    conn.execute(sa.insert(tables.tables["request"]), [
        {"id": 1, "category": "food", "urgent": False, "emergency": False, "household_id": 1, "on_behalf": False,
         "details": "rice", "language": "zh", "channel": "sms", "status": "assigned", "volunteer_id": 7,
         "created_at": now, "updated_at": now}])
    steps = [("created", "resident", "sms", "rice"), ("assigned", "system", "sms", ""),
             ("accepted", "volunteer:7", "sms", ""), ("note", "admin:sun", "admin", "call her first"),
             ("declined", "coordinator:8", "sms", ""), ("handed_on", "volunteer:99", "sms", "off duty"),
             ("status_changed", "admin:gone", "admin", "x"), ("long_ago", "system", "pigeon", "what it was")]
    conn.execute(sa.insert(tables.tables["request_event"]), [
        {"request_id": 1, "at": now, "kind": kind, "actor": actor, "channel": channel, "note": note}
        for kind, actor, channel, note in steps])
