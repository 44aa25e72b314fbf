"""The last rows of a transaction written in one statement per table, as the unit of work would write them."""

from __future__ import annotations

from sqlalchemy import event, select

from hotline import clock
from hotline.database import insert_added
from hotline.domain import requests
from hotline.models import Category, Channel, Inbound, Lane, Outbox, OutStatus, Request


def inserts_of(session, action) -> list[str]:
    """The INSERT statements `action` sends (an executemany counted once)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT"):
            seen.append(statement.split("(")[0].strip())

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_rows_added_are_written_in_one_statement_per_table_with_their_defaults(session):
    request = Request(category=Category.FOOD, household=requests.household(session, 12, "302"), channel=Channel.SMS)
    session.add(request)
    session.flush()
    session.add(Outbox(kind="sms", to="+8613900001111", body="first", lane=Lane.URGENT, request=request))
    session.add(Outbox(kind="sms", to="+8613900002222", body="second", lane=Lane.NORMAL, request=None))
    session.add(Inbound(sid="SM1", kind="sms", phone="+8613900003333", body="hello"))
    before = clock.now()

    assert sorted(inserts_of(session, lambda: insert_added(session, Outbox, Inbound))) == [
        "INSERT INTO inbound", "INSERT INTO outbox"]
    assert not session.new
    session.commit()
    first, second = session.scalars(select(Outbox).order_by(Outbox.id))
    assert (first.body, first.request_id, first.lane, first.status, first.lang, first.attempts) == (
        "first", request.id, Lane.URGENT, OutStatus.QUEUED, "zh", 0)
    assert (second.body, second.request_id, second.lane, second.status) == ("second", None, Lane.NORMAL,
                                                                            OutStatus.QUEUED)
    assert first.created_at > before and second.next_attempt_at > before and first.sent_at is None
    inbound = session.scalar(select(Inbound))
    assert (inbound.sid, inbound.body, inbound.reply) == ("SM1", "hello", "")


def test_rows_given_other_columns_are_written_in_a_statement_of_their_own(session):
    session.add(Outbox(kind="sms", to="+8613900001111", body="queued"))
    session.add(Outbox(kind="sms", to="+8613900002222", body="answered", status=OutStatus.SENT, transport="twilio"))

    assert inserts_of(session, lambda: insert_added(session, Outbox)) == ["INSERT INTO outbox"] * 2
    session.commit()
    assert [(row.body, row.status, row.transport) for row in session.scalars(select(Outbox).order_by(Outbox.id))] \
        == [("queued", OutStatus.QUEUED, None), ("answered", OutStatus.SENT, "twilio")]


def test_a_row_that_refers_to_one_not_written_yet_is_left_to_the_flush(session):
    request = Request(category=Category.FOOD, household=requests.household(session, 12, "302"), channel=Channel.SMS)
    session.add(request)
    session.add(Outbox(kind="sms", to="+8613900001111", body="about it", request=request))

    assert inserts_of(session, lambda: insert_added(session, Outbox)) == []
    assert len(session.new) == 2
    session.commit()
    assert session.scalar(select(Outbox.request_id)) == request.id
