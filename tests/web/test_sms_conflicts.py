"""An SMS whose transaction keeps conflicting is stored, answered and shown to a person, never
answered with silence. The database itself refuses the writes (a trigger that raises a
unique-key violation on every new conversation), as a row written by someone else would."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from hotline import texts
from hotline.extensions import db
from hotline.models import Conversation, Inbound, Request
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
    caplog.set_level(logging.WARNING, logger="hotline.channels.sms")
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
