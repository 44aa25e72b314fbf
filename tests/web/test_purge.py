"""`purge --older-than`: closed requests lose their personal data; counts stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline import clock as hotline_clock
from hotline.domain import outbox
from hotline.extensions import db
from hotline.models import CheckIn, CheckInStatus, Inbound, Outbox, OutStatus, Request, Resident
from tests.helpers import LIU, SUN_HONG, TOM, WANG_FANG, load_roster, numbers_in


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


def send_everything(app):
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def messages_about_no_request(app) -> list[Outbox]:
    with app.app_context():
        rows = db.session.scalars(select(Outbox).where(Outbox.request_id.is_(None)).order_by(Outbox.id)).all()
        db.session.expunge_all()
        return rows


def test_messages_about_no_request_are_forgotten_by_age(app, phone, clock, twilio):
    stranger, later = "+8613700001111", "+8613700002222"
    phone(stranger).text("救命 我摔倒了")  # no address yet: coordinators get the number and the words at once
    with app.app_context():
        later_on = hotline_clock.now() + timedelta(days=90)
        held = outbox.queue_sms(db.session, TOM, "not sent yet", "en", not_before=later_on)
        db.session.commit()
        held_id = held.id
    send_everything(app)
    old = messages_about_no_request(app)
    assert any(r.to == SUN_HONG and stranger in r.body and "摔倒" in r.body for r in old)
    clock.advance(days=31)
    phone(later).text("救命 我摔倒了")
    send_everything(app)

    assert f"{len(old) - 1} messages about no request" in purge(app)
    after = {r.id: r for r in messages_about_no_request(app)}
    for row in old:
        now = after[row.id]
        if row.id == held_id:  # still to be sent: left as it is
            assert (now.body, now.to, now.status) == ("not sent yet", TOM, OutStatus.QUEUED)
        else:
            assert now.body == "(purged)" and now.to not in (row.to, stranger)
    assert any(later in r.body for r in after.values() if r.id > max(x.id for x in old))  # a recent one stays


def test_check_in_answers_are_forgotten_by_age_but_not_within_the_silent_days(app, clock):
    with app.app_context():
        liu = db.session.scalars(select(Resident).where(Resident.phone == LIU)).one()
        now = hotline_clock.now()
        for days_ago in (40, 2):
            db.session.add(CheckIn(resident=liu, day=(now - timedelta(days=days_ago)).date(),
                                   status=CheckInStatus.FINE, created_at=now - timedelta(days=days_ago)))
        db.session.commit()
    # the 2-day-old answer still tells that Liu was heard from (3 silent days by default)
    assert "1 check-in calls" in purge(app, "1d")
    with app.app_context():
        days = db.session.scalars(select(CheckIn.day)).all()
    assert days == [(now - timedelta(days=2)).date()]


@pytest.mark.parametrize("age", ["30", "thirty days", "-3d", ""])
def test_unreadable_ages_are_refused(app, age):
    result = app.test_cli_runner().invoke(args=["purge", "--older-than", age])
    assert result.exit_code != 0 and "older-than" in result.output
