"""Group buys by phone: a broadcast carries an offer; residents join by SMS or by a key."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from hotline import clock as hotline_clock
from hotline.domain import broadcast, offers
from hotline.extensions import db
from hotline.models import Outbox, Request, Status
from hotline.worker import call_twiml
from tests.helpers import BASE, LIU, TOM, WANG_FANG, WANG_LANDLINE, get_request, load_roster, numbers_in, sign
from tests.twilio_standin import ACCOUNT_SID, HOTLINE_NUMBER

EGGS = "鸡蛋30个 45元"


@pytest.fixture
def offer(app, clock):
    """Eggs offered to buildings 5 and 12 (刘伯伯, and 王阿姨 on a landline), open for two days."""
    load_roster(app)
    with app.app_context():
        text = {"zh": "团购鸡蛋：30个45元，周四送到。回复“参加 数量”报名。", "en": "Eggs, 30 for 45 yuan: JOIN 2"}
        sent = broadcast.send(db.session, broadcast.Announcement(text, frozenset({5, 12})), broadcast.new_id())
        found = offers.create(db.session, sent, EGGS, hotline_clock.now() + timedelta(days=2))
        db.session.commit()
        return found.id


def test_joining_by_sms_makes_a_food_request_with_its_quantity(app, phone, offer):
    reply = phone(LIU).reply("参加 2份")
    [n] = numbers_in(reply)
    assert "×2" in reply
    r = get_request(app, n)
    assert (r.category, r.quantity, r.offer_id, r.household.label) == ("food", 2, offer, "5-1201")
    assert r.status == Status.NEW and r.volunteer is None  # delivered with the group, not one by one
    assert not any(f"#{n}" in m for m in phone(WANG_FANG).inbox())
    assert numbers_in(phone(LIU).reply("参加 3")) == [n] and get_request(app, n).quantity == 3
    assert [e.kind for e in get_request(app, n).events][-1] == "quantity_changed"


def test_a_bare_join_is_one(app, phone, offer):
    [n] = numbers_in(phone(LIU).reply("参加"))
    assert get_request(app, n).quantity == 1


def test_only_those_the_offer_reached_can_join(app, phone, offer):
    answer = phone(TOM).reply("JOIN 2")  # building 7: not offered
    assert not numbers_in(answer) and "no group buy" in answer


def test_after_the_deadline_joins_are_refused_politely(app, phone, offer, clock):
    clock.advance(days=3)
    answer = phone(LIU).reply("参加 2")
    assert not numbers_in(answer) and "截止" in answer
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Request.id))) == 0


def test_joining_by_key_on_the_broadcast_call(app, offer):
    with app.app_context():
        row = db.session.scalars(select(Outbox).where(Outbox.to == WANG_LANDLINE)).one()
        assert row.kind == "call"
        opening = ET.fromstring(call_twiml(row.body, row.lang, row, BASE))
    said = "".join(opening.itertext())
    assert "团购鸡蛋" in said and "按1" in said
    url = opening.find("Gather").get("action")
    for digits in ("1", "2"):
        answer = post(app, url, digits)
        url = answer.find("Gather").get("action") if answer.find("Gather") is not None else None
    with app.app_context():
        r = db.session.scalars(select(Request)).one()
        assert (r.quantity, r.offer_id, r.channel, r.household.label) == (2, offer, "voice", "12-302")
    assert answer.find("Hangup") is not None and str(r.id) in "".join(answer.itertext()).replace("、", "")


def post(app, url: str, digits: str) -> ET.Element:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    params = {"CallSid": "CA" + "7" * 32, "From": HOTLINE_NUMBER, "To": WANG_LANDLINE, "AccountSid": ACCOUNT_SID,
              "Digits": digits, "CallStatus": "in-progress"}
    response = app.test_client().post(path, data=params, headers={"X-Twilio-Signature": sign(BASE + path, params)})
    assert response.status_code == 200
    return ET.fromstring(response.get_data(as_text=True))
