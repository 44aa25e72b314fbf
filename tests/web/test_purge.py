"""`purge --older-than`: closed requests lose their personal data; counts stay."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Inbound, Outbox, Request
from tests.helpers import LIU, TOM, WANG_FANG, load_roster, numbers_in


@pytest.fixture
def app(make_app, twilio, clock):
    app = make_app(TWILIO_API_URL=twilio.url)
    from hotline import init_transport

    init_transport(app)
    load_roster(app)
    return app


def purge(app, age="30d"):
    result = app.test_cli_runner().invoke(args=["purge", "--older-than", age])
    assert result.exit_code == 0, result.output
    return result.output


def test_closed_requests_are_forgotten_and_counted(app, phone, clock, twilio):
    [done] = numbers_in(phone(LIU).reply("降压药吃完了，我的病历号123"))
    phone(WANG_FANG).reply(f"完成 {done}")
    recording = twilio.add_recording()
    with app.app_context():
        db.session.get(Request, done).recording_sid = recording
        db.session.commit()
    [still_open] = numbers_in(phone(TOM).reply("need rice"))
    clock.advance(days=31)
    assert "1 requests purged, 1 recordings deleted" in purge(app)
    assert twilio.deleted == [recording]
    with app.app_context():
        r = db.session.get(Request, done)
        assert (r.details, r.requester_phone, r.recording_sid, r.household.room, r.household.building) == (
            "", None, None, "-", 5)
        assert r.category == "medicine" and r.status == "delivered" and r.purged_at
        assert all(e.note == "" for e in r.events)
        bodies = db.session.scalars(select(Outbox.body).where(Outbox.request_id == done)).all()
        assert bodies and set(bodies) == {"(purged)"}
        assert LIU not in db.session.scalars(select(Outbox.to).where(Outbox.request_id == done)).all()
        assert db.session.get(Request, still_open).details == "need rice"
        assert db.session.scalar(select(func.count(Inbound.id))) == 0
        assert db.session.scalar(select(func.count(Request.id))) == 2
    assert "0 requests purged" in purge(app)


def test_recent_requests_are_kept(app, phone, clock):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply(f"完成 {n}")
    clock.advance(days=29)
    assert "0 requests purged" in purge(app)


def test_a_recording_twilio_cannot_delete_now_is_retried_next_time(app, phone, clock, twilio):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply(f"完成 {n}")
    with app.app_context():
        db.session.get(Request, n).recording_sid = "RE" + "0" * 32  # not at the stand-in: 404 is "gone"
        db.session.commit()
    twilio.stop()  # Twilio unreachable
    clock.advance(days=31)
    assert "1 requests purged, 0 recordings deleted at Twilio (1 to retry)" in purge(app)


@pytest.mark.parametrize("age", ["30", "thirty days", "-3d", ""])
def test_unreadable_ages_are_refused(app, age):
    result = app.test_cli_runner().invoke(args=["purge", "--older-than", age])
    assert result.exit_code != 0 and "older-than" in result.output
