"""Broadcasts a coordinator controls, on both databases: scheduled for a time the worker keeps, stopped while
sending (what went stays sent, the rest is cancelled and counted), and what became of them per building."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline import clock as hotline_clock
from hotline.domain import broadcast
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Broadcast, Outbox, OutStatus
from hotline.worker import Worker, claim, send
from tests.helpers import BASE, LIU, TOM, Phone, load_roster, sign
from tests.twilio_standin import ACCOUNT_SID

RESIDENTS = """name,phone,building,room,language,flags
Tom Baker,+86 139 1234 5678,7,1101,en,
Ann Lee,13700007777,7,402,en,
赵先生,13700007001,7,501,zh,
刘伯伯,138 0013 8000,5,1201,zh,elderly
钱女士,13700005001,5,301,zh,
孙先生,13700005002,5,302,zh,
"""
ANN, ZHAO, QIAN, SUN = "+8613700007777", "+8613700007001", "+8613700005001", "+8613700005002"
TEXT = {"zh": "明天上午9点在楼下发放蔬菜。", "en": "Vegetables downstairs at 9 am tomorrow."}


@pytest.fixture
def app(make_app, twilio, clock):
    app = make_app(TWILIO_API_URL=twilio.url)
    load_roster(app, residents=RESIDENTS)
    return app


def announce(app, send_at_in: timedelta | None = None) -> str:
    """Broadcast TEXT by SMS to buildings 5 and 7 (six residents); return its key."""
    with app.app_context():
        send_at = hotline_clock.now() + send_at_in if send_at_in else None
        key = broadcast.new_id()
        broadcast.send(db.session, broadcast.Announcement(TEXT, frozenset({5, 7}), send_at=send_at), key)
        db.session.commit()
        return key


def progress(app, key: str) -> broadcast.Progress:
    with app.app_context():
        return broadcast.progress(db.session, key, rate=1.0)


def statuses(app, key: str) -> dict[str, OutStatus]:
    with app.app_context():
        rows = db.session.scalars(select(Outbox).join(Broadcast).where(Broadcast.key == key))
        return {row.to: row.status for row in rows}


def test_a_scheduled_broadcast_waits_for_its_time_and_the_worker_sends_it_then(app, clock, twilio):
    key = announce(app, send_at_in=timedelta(hours=8))
    with app.app_context():
        sent = broadcast.find(db.session, key)
        assert sent.send_at == sent.created_at + timedelta(hours=8) - timedelta(seconds=1)  # stored in UTC
        rows = db.session.scalars(select(Outbox).where(Outbox.broadcast_id == sent.id)).all()
        assert len(rows) == 6 and {row.next_attempt_at for row in rows} == {sent.send_at}
    early = progress(app, key)
    assert early.scheduled and early.waiting == 6 and early.eta_seconds > 8 * 3600 - 60
    Worker(app).tick()
    clock.advance(hours=7, minutes=55)  # the stepping clock adds a second per reading
    Worker(app).tick()
    assert twilio.posts("Messages") == [] and set(statuses(app, key).values()) == {OutStatus.QUEUED}
    clock.advance(minutes=5)
    Worker(app).tick()
    assert len(twilio.posts("Messages")) == 6 and set(statuses(app, key).values()) == {OutStatus.SENT}
    done = progress(app, key)
    assert not done.scheduled and done.finished and done.sent == 6


def test_stopping_mid_send_keeps_what_went_and_cancels_and_counts_the_rest(app, clock, twilio):
    key = announce(app)
    policy = Policy.from_config(app.config)
    worker = Worker(app, name="w1")
    with app.app_context():
        session = db.session
        claims = claim(session, policy, "w1", hotline_clock.now(), limit=3)
        session.commit()
        for c in claims[:2]:  # two go out; the third is taken by the worker but not yet sent
            send(session, policy, worker.transport, session.get(Outbox, c.id), "w1", None)
            session.commit()
        assert broadcast.stop(session, key) == 3  # the three still queued
        session.commit()
        send(session, policy, worker.transport, session.get(Outbox, claims[2].id), "w1", None)
        session.commit()
    Worker(app).tick()
    assert len(twilio.posts("Messages")) == 2  # nothing after the stop
    counts = sorted(statuses(app, key).values())
    assert counts == sorted([OutStatus.SENT] * 2 + [OutStatus.CANCELLED] * 4)
    p = progress(app, key)
    assert (p.sent, p.cancelled, p.waiting, p.done, p.total, p.finished) == (2, 4, 0, 6, 6, True)
    assert p.stopped_at is not None and not p.stoppable
    with app.app_context():
        stopped_at = broadcast.find(db.session, key).stopped_at
        assert broadcast.stop(db.session, key) == 0  # stopping again cancels nothing more
        db.session.commit()
        assert broadcast.find(db.session, key).stopped_at == stopped_at


def test_a_scheduled_broadcast_stopped_before_its_time_never_goes(app, clock, twilio):
    key = announce(app, send_at_in=timedelta(hours=1))
    with app.app_context():
        assert broadcast.stop(db.session, key) == 6
        db.session.commit()
    clock.advance(hours=2)
    Worker(app).tick()
    assert twilio.posts("Messages") == [] and set(statuses(app, key).values()) == {OutStatus.CANCELLED}
    assert progress(app, key).cancelled == 6


def test_per_building_delivered_failed_and_replied(app, clock, twilio, phone):
    key = announce(app)
    Worker(app).tick()
    with app.app_context():
        rows = db.session.execute(select(Outbox.to, Outbox.twilio_sid).where(Outbox.broadcast_id.is_not(None)))
        sid_of = dict(rows.all())
    for to, status in ((TOM, "delivered"), (ANN, "undelivered"), (LIU, "delivered"), (QIAN, "delivered"),
                       (SUN, "failed")):
        params = {"MessageSid": sid_of[to], "MessageStatus": status, "AccountSid": ACCOUNT_SID}
        response = app.test_client().post("/twilio/status", data=params,
                                          headers={"X-Twilio-Signature": sign(BASE + "/twilio/status", params)})
        assert response.status_code == 204
    Phone(app, app.test_client(), TOM).text("Thanks, see you there")
    phone(QIAN).text("几点发？")
    with app.app_context():
        reach = {r.building: r for r in broadcast.reach_by_building(db.session, key)}
    assert sorted(reach) == [5, 7]
    seven, five = reach[7], reach[5]
    assert (seven.residents, seven.delivered, seven.failed, seven.replied) == (3, 1, 1, 1)  # Zhao: no word yet
    assert (five.residents, five.delivered, five.failed, five.replied) == (3, 2, 1, 1)


def test_a_reply_before_the_broadcast_reached_them_is_no_reply(app, clock, twilio, phone):
    phone(ZHAO).text("5号楼有人需要帮忙吗")
    key = announce(app, send_at_in=timedelta(minutes=10))
    clock.advance(minutes=10)
    Worker(app).tick()
    with app.app_context():
        assert sum(r.replied for r in broadcast.reach_by_building(db.session, key)) == 0
        assert broadcast.reach_by_building(db.session, "ffffffffffff") == []
