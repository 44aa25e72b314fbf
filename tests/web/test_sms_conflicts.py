"""An SMS whose transaction keeps conflicting is stored, answered and shown to a person, never
answered with silence. The database itself refuses the writes (a trigger that raises a
unique-key violation on every new conversation), as a row written by someone else would."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from hotline import database, texts
from hotline.domain import inbox
from hotline.extensions import db
from hotline.models import Conversation, Inbound, Request
from hotline.worker import Worker
from tests.helpers import SUN_HONG, load_roster

STRANGER = "+8613700002222"

SQLITE_TRIGGER = ["""CREATE TRIGGER conversation_taken BEFORE INSERT ON conversation
BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: conversation.key'); END"""]
POSTGRES_TRIGGER = [
    """CREATE FUNCTION conversation_taken() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'duplicate key' USING ERRCODE = 'unique_violation', CONSTRAINT = 'uq_conversation_key'; END $$""",
    "CREATE TRIGGER conversation_taken BEFORE INSERT ON conversation"
    " FOR EACH ROW EXECUTE FUNCTION conversation_taken()",
]


@pytest.fixture
def conversations_conflict(app, clock):
    load_roster(app)
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        for statement in POSTGRES_TRIGGER if postgres else SQLITE_TRIGGER:
            db.session.execute(text(statement))
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(text("DROP TRIGGER conversation_taken" + (" ON conversation" if postgres else "")))
        if postgres:
            db.session.execute(text("DROP FUNCTION conversation_taken()"))
        db.session.commit()


def test_an_sms_that_keeps_conflicting_is_kept_for_a_person(app, phone, conversations_conflict, caplog):
    caplog.set_level(logging.WARNING, logger="hotline.domain.inbox")
    reply = phone(STRANGER).reply("需要买菜，家里没菜了")  # half a request: it would start a conversation
    assert reply == texts.t("zh", "sms.kept_for_a_person")
    with app.app_context():
        [kept] = db.session.scalars(select(Inbound).where(Inbound.phone == STRANGER))
        assert kept.body == "需要买菜，家里没菜了" and "<Message>" in kept.reply
        assert db.session.scalar(select(Conversation)) is None and db.session.scalar(select(Request)) is None
    assert "家里没菜了" in phone(SUN_HONG).last()  # the coordinator is shown it
    conflicts = [r for r in caplog.records if "conflicted" in r.getMessage()]
    assert len(conflicts) == 4 and conflicts[-1].levelno == logging.ERROR  # three tries, then given up
    assert all(STRANGER not in r.getMessage() for r in caplog.records)


# --------------------------------------------------------------------------------------------
# A sender held too long, and a fallback that fails itself: spooled and answered, never a 500
# --------------------------------------------------------------------------------------------
def spooled_files(app) -> list:
    return sorted(app.extensions["spool"].folder.glob("*.json"))


def test_a_sender_held_by_another_transaction_is_spooled_and_answered_in_time(app, phone, clock, monkeypatch):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the advisory lock per sender is PostgreSQL's (SQLite takes every transaction in turn)")
    load_roster(app)
    monkeypatch.setattr(database, "SENDER_LOCK_TIMEOUT_MS", 300)
    with app.app_context():
        holder = db.engine.connect()  # another web process, stuck while it holds the sender
        # should the lock timeout not work, PostgreSQL itself ends the holder after 10 s and the webhook goes on
        holder.execute(text("SET idle_in_transaction_session_timeout = 10000"))
        holder.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:phone))"),
                       {"space": database.SENDER_LOCKS, "phone": STRANGER})
        try:
            reply = phone(STRANGER).reply("12号楼302室 需要买菜")
            assert reply == texts.t("zh", "sms.holding")
            assert len(spooled_files(app)) == 1
            assert db.session.scalar(select(Inbound)) is None
        finally:
            holder.rollback()
            holder.close()
        assert Worker(app).replay_spool() == 1  # the holder is gone: the worker takes it
        assert db.session.scalar(select(Inbound.phone)) == STRANGER
        assert db.session.scalar(select(Request.requester_phone)) == STRANGER
    assert spooled_files(app) == []


def test_when_even_keeping_it_for_a_person_fails_the_sms_is_spooled_not_a_500(app, phone, clock, monkeypatch, caplog):
    load_roster(app)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(inbox, "handle_sms", broken)
    monkeypatch.setattr(inbox.requests, "tell_coordinators", broken)  # what keeping it for a person does
    reply = phone(STRANGER).reply("12号楼302室 需要买菜")
    assert reply == texts.t("zh", "sms.holding")
    assert len(spooled_files(app)) == 1
    assert any("spooled" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    with app.app_context():
        assert db.session.scalar(select(Inbound)) is None
    monkeypatch.undo()  # the bug is fixed: the worker takes it
    assert Worker(app).replay_spool() == 1
    with app.app_context():
        assert db.session.scalar(select(Request.requester_phone)) == STRANGER


def purge(app) -> str:
    return app.test_cli_runner().invoke(args=["purge", "--older-than", "30d"]).output


def test_a_spooled_sms_that_still_fails_is_set_aside_and_holds_nothing_up(app, clock, monkeypatch):
    load_roster(app)
    spool = app.extensions["spool"]
    (spool.folder / "00000000000000000001-garbled.json").write_text("{not json")  # a file cut short
    for n, (sender, body) in enumerate(((STRANGER, "12号楼302室 需要买菜"), (SUN_HONG, "LIST"))):
        spool.put("sms", f"SM{n:032d}", {"MessageSid": f"SM{n:032d}", "From": sender, "Body": body})

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(inbox, "handle_sms", broken)
    monkeypatch.setattr(inbox.requests, "tell_coordinators", broken)
    assert Worker(app).replay_spool() == 0  # each fails: set aside, none held up by the one before
    assert spooled_files(app) == []
    assert len(list(spool.folder.glob("*.failed"))) == 2 and len(list(spool.folder.glob("*.unreadable"))) == 1
    monkeypatch.undo()
    clock.advance(days=29)
    assert "and 0 spool files set aside removed" in purge(app)
    clock.advance(days=2)
    assert "and 3 spool files set aside removed" in purge(app)
    assert list(spool.folder.iterdir()) == []
