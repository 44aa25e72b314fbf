"""The migrations, not create_all, build the schema: from nothing, on each database, twice."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from hotline import create_app
from hotline.domain import offers
from hotline.extensions import db
from hotline.models import Base, Broadcast, Outbox, Purpose, Request, UTCDateTime
from hotline.worker import call_twiml
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


BEFORE_PURPOSES = "c5ee37fa9be0"  # the last schema whose outbox said what a row is for in a string
AT = datetime(2022, 4, 12, 2, 0, tzinfo=UTC)
LANDLINE, MOBILE, OPTED_OUT, HELD = "+862160001234", "+8613800138000", "+8613700007777", "+8613700000015"
SENT_KEY, EMPTY_KEY = "a1b2c3d4e5f6", "ffffffffffff"  # a broadcast with messages; one that reached nobody


def insert(conn, table: str, **values) -> None:
    """Write a row as the old code did, with raw SQL (the models describe the new schema)."""
    names = ", ".join(f'"{name}"' for name in values)
    stamps = [sa.bindparam(name, type_=UTCDateTime()) for name, value in values.items() if isinstance(value, datetime)]
    conn.execute(sa.text(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(":" + n for n in values)})')
                 .bindparams(*stamps), values)


def old_rows(conn) -> None:
    """A compound at the old schema: a check-in call, a broadcast with a group buy and a join, a limit notice."""
    insert(conn, "building", number=5)
    insert(conn, "household", id=1, building=5, room="1201", created_at=AT)
    for n, phone in enumerate((LANDLINE, MOBILE, OPTED_OUT), start=1):
        insert(conn, "resident", id=n, name=f"r{n}", phone=phone, household_id=1, language="zh", elderly=True,
               alone=True, mobility=False, chronic=False, prefers_voice=False, created_at=AT, updated_at=AT)
    insert(conn, "check_in", id=7, resident_id=1, day=AT.date(), status="calling", attempts=1, created_at=AT)
    insert(conn, "offer", id=3, broadcast_id=SENT_KEY, item="鸡蛋", deadline=AT, created_at=AT)
    insert(conn, "offer", id=4, broadcast_id=EMPTY_KEY, item="米", deadline=AT, created_at=AT)
    insert(conn, "request", id=11, category="food", urgent=False, emergency=False, household_id=1, on_behalf=False,
           details="鸡蛋 ×2", language="zh", channel="sms", status="new", offer_id=3, quantity=2, created_at=AT,
           updated_at=AT)
    rows = [  # (id, kind, to, body, purpose, status)
        (1, "call", LANDLINE, "请按1", "checkin:7", "sent"),
        (2, "call", LANDLINE, "请按1", "checkin:999", "sent"),  # its check-in was purged
        (3, "call", LANDLINE, "团购鸡蛋", f"broadcast:{SENT_KEY}", "queued"),
        (4, "sms", MOBILE, "团购鸡蛋", f"broadcast:{SENT_KEY}", "sent"),
        (5, "sms", OPTED_OUT, "团购鸡蛋", f"broadcast:{SENT_KEY}", "skipped"),
        (6, "sms", "+8613900000001", f"电话 {HELD} 今天已提交很多请求", "limit", "sent"),
        (7, "sms", MOBILE, "已送到", "receipt", "sent"),
    ]
    for row_id, kind, to, body, purpose, status in rows:
        insert(conn, "outbox", id=row_id, kind=kind, to=to, body=body, lang="zh", purpose=purpose, lane="2-bulk",
               status=status, segments=1, attempts=1, next_attempt_at=AT + timedelta(minutes=row_id), duplicates=0,
               created_at=AT + timedelta(minutes=row_id))


@pytest.fixture
def upgraded(empty_database, tmp_path):
    """A database that held old-style rows, upgraded to the newest schema (inside the app's context)."""
    app = create_app({"ENV": hotline_env(empty_database, HOTLINE_SPOOL_DIR=str(tmp_path / "spool"))})
    with app.app_context():
        upgrade(revision=BEFORE_PURPOSES)
        with db.engine.begin() as conn:
            old_rows(conn)
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_old_purposes_become_typed_keys_and_broadcasts_become_rows(upgraded):
    rows = {row.id: row for row in db.session.scalars(sa.select(Outbox))}
    sent, empty = (db.session.scalars(sa.select(Broadcast).filter_by(key=k)).one() for k in (SENT_KEY, EMPTY_KEY))
    assert [(rows[n].purpose, rows[n].check_in_id) for n in (1, 2)] == [("checkin", 7), ("checkin", None)]
    assert {(rows[n].purpose, rows[n].broadcast_id) for n in (3, 4, 5)} == {(Purpose.BROADCAST, sent.id)}
    assert (rows[6].purpose, rows[6].about_phone) == (Purpose.LIMIT, HELD)
    assert (rows[7].purpose, rows[7].check_in_id, rows[7].broadcast_id) == (Purpose.RECEIPT, None, None)
    told = (sent.buildings, sent.texts, sent.residents, sent.sms, sent.calls, sent.skipped, sent.created_at)
    assert told == ([5], {"zh": "团购鸡蛋"}, 3, 1, 1, 1, AT + timedelta(minutes=3))
    assert (empty.residents, empty.created_at, empty.sent_by_id) == (0, AT, None)
    assert (sent.offer.id, empty.offer.id) == (3, 4)
    assert db.session.get(Request, 11).offer_id == 3  # a join still belongs to its offer
    assert offers.reached(db.session, MOBILE).id == 3  # its SMS was sent (the call to the landline waits)
    opening = ET.fromstring(call_twiml(rows[3].body, rows[3].lang, rows[3], "https://hotline.test"))
    assert urlsplit(opening.find("Gather").get("action")).query.startswith("o=3&")  # the call offers the eggs


def test_the_typed_purposes_go_back_to_strings_on_downgrade(upgraded):
    downgrade(revision=BEFORE_PURPOSES)
    with db.engine.connect() as conn:
        purposes = dict(conn.execute(sa.text("SELECT id, purpose FROM outbox")).all())
        offered = dict(conn.execute(sa.text("SELECT id, broadcast_id FROM offer")).all())
        joined = conn.scalar(sa.text("SELECT offer_id FROM request WHERE id = 11"))
    assert [purposes[n] for n in (1, 3, 6, 7)] == ["checkin:7", f"broadcast:{SENT_KEY}", "limit", "receipt"]
    assert (offered, joined) == ({3: SENT_KEY, 4: EMPTY_KEY}, 3)
    upgrade()  # and up again
    assert db.session.scalars(sa.select(Broadcast.key).order_by(Broadcast.key)).all() == [SENT_KEY, EMPTY_KEY]


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
