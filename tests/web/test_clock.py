"""Time is passed in: each app reads the clock it was made with (`create_app(clock=...)`, the real time
unless given) in its requests, its worker's steps, in threads of their own, and its CLI commands; two apps
in one process keep their own clocks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from hotline import clock
from hotline.domain import outbox
from hotline.extensions import db
from hotline.models import Inbound, Outbox, OutStatus
from hotline.worker import Worker
from tests.conftest import START, SteppingClock
from tests.helpers import LIU, TOM, Phone


def received_at(app, phone: str) -> datetime:
    with app.app_context():
        return db.session.scalars(select(Inbound.received_at).where(Inbound.phone == phone)).one()


def test_a_request_stamps_its_rows_with_the_clock_of_the_app_it_reaches(make_app):
    stepping = SteppingClock()
    stepped, real = make_app(clock=stepping), make_app()  # one database, two apps, two clocks
    before = datetime.now(UTC)
    Phone(stepped, stepped.test_client(), TOM).text("7号楼1101 需要买菜")
    Phone(real, real.test_client(), LIU).text("5号楼1201 需要买药")
    after = datetime.now(UTC)
    assert START < received_at(stepped, TOM) <= stepping.at < before
    assert before <= received_at(real, LIU) <= after


def test_an_app_context_reads_its_app_s_clock_and_gives_it_back_when_popped(make_app):
    stepping = SteppingClock()
    stepped, real = make_app(clock=stepping), make_app()
    before = datetime.now(UTC)
    with stepped.app_context():
        assert clock.now() == stepping.at
        with real.app_context():
            assert clock.now() >= before
        assert clock.now() == stepping.at
    assert clock.now() >= before  # no app: the real time


def queued(app, text: str) -> int:
    with app.app_context():
        row = outbox.queue_sms(db.session, TOM, text, "en")
        db.session.commit()
        return row.id


def sent_at(app, row_id: int) -> datetime:
    with app.app_context():
        row = db.session.get(Outbox, row_id)
        assert row.status == OutStatus.SENT, (row.status, row.last_error)
        return row.sent_at


def test_a_worker_in_a_thread_and_a_cli_command_read_the_app_s_clock(make_app, twilio):
    stepping = SteppingClock()
    app = make_app(clock=stepping, TWILIO_API_URL=twilio.url)
    by_thread = queued(app, "sent by a worker thread")
    worker = threading.Thread(target=Worker(app, name="w1").tick)  # a thread starts with no clock bound
    worker.start()
    worker.join(60)
    stepping.advance(days=1)
    by_command = queued(app, "sent by `flask tick`")
    result = app.test_cli_runner().invoke(args=["tick"])
    assert "1 messages sent" in result.output, result.output
    next_day = START + timedelta(days=1)
    assert START < sent_at(app, by_thread) < next_day < sent_at(app, by_command) <= stepping.at
