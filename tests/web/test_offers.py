"""Group buys by phone: a broadcast carries an offer and says how to join; residents join by SMS or by a key;
a `参加` goes to the newest open group buy the phone received, and a second one asks before it changes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from hotline import clock as hotline_clock
from hotline.domain import broadcast
from hotline.extensions import db
from hotline.models import Offer, Outbox, Request, Status
from hotline.worker import Worker, call_twiml
from tests.helpers import BASE, LIU, TOM, WANG_FANG, WANG_LANDLINE, get_request, load_roster, numbers_in, sign
from tests.twilio_standin import ACCOUNT_SID, HOTLINE_NUMBER

EGGS = "鸡蛋30个 45元"
TEXT = {"zh": "团购鸡蛋：30个45元，周四送到。", "en": "Eggs, 30 for 45 yuan, on Thursday."}


@pytest.fixture
def app(make_app, twilio, clock):
    """The hotline sending to a Twilio stand-in: an offer reaches a phone when its message is sent."""
    return make_app(TWILIO_API_URL=twilio.url)


def offer_to(app, buildings: set[int], item: str = EGGS, open_for: timedelta = timedelta(days=2),
             send_at_in: timedelta | None = None, sent: bool = True) -> int:
    """Announce a group buy of `item` to `buildings` (at once, or scheduled), and let the worker send what is due."""
    with app.app_context():
        now = hotline_clock.now()
        announcement = broadcast.Announcement(
            TEXT, frozenset(buildings), send_at=now + send_at_in if send_at_in else None, offer_item=item,
            offer_deadline=now + open_for)
        made = broadcast.send(db.session, announcement, broadcast.new_id())
        db.session.commit()
        offer_id = made.offer.id
    if sent:
        Worker(app).tick()
    return offer_id


@pytest.fixture
def offer(app):
    """Eggs offered to buildings 5 and 12 (刘伯伯, and 王阿姨 on a landline), open for two days, sent."""
    load_roster(app)
    return offer_to(app, {5, 12})


def test_joining_by_sms_makes_a_food_request_with_its_quantity(app, phone, offer):
    reply = phone(LIU).reply("参加 2份")
    [n] = numbers_in(reply)
    assert "×2" in reply
    r = get_request(app, n)
    assert (r.category, r.quantity, r.offer_id, r.household.label) == ("food", 2, offer, "5-1201")
    assert r.status == Status.NEW and r.volunteer is None  # delivered with the group, not one by one
    assert not any(f"#{n}" in m for m in phone(WANG_FANG).inbox())


def test_the_sms_says_how_to_join_in_each_language(app, phone):
    load_roster(app)
    offer_to(app, {5, 7})
    assert phone(LIU).inbox()[-1] == TEXT["zh"] + '\n回复"参加 2"报名2份'
    assert phone(TOM).inbox()[-1] == TEXT["en"] + '\nReply "JOIN 2" to order 2'


def test_a_second_join_says_what_is_booked_and_asks_before_changing_it(app, phone, offer):
    [n] = numbers_in(phone(LIU).reply("参加 2"))
    asked = phone(LIU).reply("参加 3")
    assert numbers_in(asked) == [n] and "×2" in asked and "×3" in asked and asked.endswith("回复1是，2不是")
    assert get_request(app, n).quantity == 2  # nothing changes before the answer
    assert numbers_in(phone(LIU).reply("2")) == [n] and get_request(app, n).quantity == 2
    assert phone(LIU).reply("参加 3").endswith("回复1是，2不是")
    changed = phone(LIU).reply("1")
    assert numbers_in(changed) == [n] and "×3" in changed
    r = get_request(app, n)
    assert r.quantity == 3 and [e.kind for e in r.events][-1] == "quantity_changed"
    assert "×3" in phone(LIU).reply("参加")  # a bare one only says what is booked
    assert get_request(app, n).quantity == 3
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Request.id))) == 1


def test_in_english_join_and_yes_change_the_booking(app, phone):
    load_roster(app)
    offer_to(app, {7})
    [n] = numbers_in(phone(TOM).reply("JOIN 2"))
    asked = phone(TOM).reply("join 4")
    assert numbers_in(asked) == [n] and "Change it to x4? Reply 1 for yes, 2 for no." in asked
    changed = phone(TOM).reply("YES")  # an opt-in word to Twilio, and here the answer to our question too
    assert numbers_in(changed) == [n] and "x4" in changed and get_request(app, n).quantity == 4
    assert phone(TOM).text("1") != [changed]  # the question was answered: a later "1" changes nothing
    assert get_request(app, n).quantity == 4


def test_a_yes_to_a_later_question_is_not_taken_for_the_group_buy(app, phone, offer):
    [n] = numbers_in(phone(LIU).reply("参加 2"))
    phone(LIU).reply("参加 5")  # "change it to 5?"
    asked = phone(LIU).reply("12号楼302 要买米")  # another flat than his own: "is it yours, 5-1201?"
    assert "回复1是，2不是" in asked and "5" in asked
    phone(LIU).text("1")  # answers the later question
    assert get_request(app, n).quantity == 2


def test_a_join_goes_to_the_newest_open_group_buy_received(app, phone, clock):
    load_roster(app)
    eggs = offer_to(app, {5})
    rice = offer_to(app, {5}, item="大米10斤")
    offer_to(app, {5}, item="牛奶", send_at_in=timedelta(hours=3))  # scheduled: not received yet
    offer_to(app, {5, 7}, item="面条", open_for=timedelta(minutes=30))
    joined = phone(LIU).reply("参加 1")  # noodles: the newest, still open
    [n] = numbers_in(joined)
    assert "面条" in joined
    clock.advance(minutes=40)  # noodles closed: the newest open one is the rice
    [m] = numbers_in(phone(LIU).reply("参加 2"))
    assert m != n and get_request(app, m).offer_id == rice != eggs
    assert "has closed" in phone(TOM).reply("JOIN 1")  # Tom got only the noodles, closed now


def test_a_join_is_never_filed_under_another_request(app, phone, offer):
    [own] = numbers_in(phone(LIU).reply("5号楼1201 需要降压药"))
    [n] = numbers_in(phone(LIU).reply("参加 1"))  # `1` is a quantity, not request #1
    assert n != own and get_request(app, n).offer_id == offer
    with app.app_context():
        replies = db.session.scalars(select(Outbox).where(Outbox.to == LIU, Outbox.delivery_status == "twiml")
                                     .order_by(Outbox.id)).all()
        assert [r.request_id for r in replies] == [own, n]
    [later] = numbers_in(phone(LIU).reply("5号楼1201 还要买菜"))  # a need of his own: not folded into the join
    assert later not in (n, own) and get_request(app, later).offer_id is None


def test_a_quantity_out_of_range_is_refused_and_nothing_is_made(app, phone, offer):
    for body in ("参加 457", "JOIN 0"):
        answer = phone(LIU).reply(body)
        assert not numbers_in(answer) and ("1到99" in answer or "1 to 99" in answer)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Request.id))) == 0


def test_an_offer_not_yet_sent_cannot_be_joined(app, phone):
    load_roster(app)
    offer_to(app, {5}, sent=False)
    assert "没有可以参加的团购" in phone(LIU).reply("参加 2")
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Offer.id))) == 1
        assert db.session.scalar(select(db.func.count(Request.id))) == 0


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


def call_keys(app, *keys: str, call: str = "7") -> ET.Element:
    """One broadcast call to 王阿姨's landline (its CallSid made of `call`), the `keys` pressed in turn; the last
    answer."""
    with app.app_context():
        row = db.session.scalars(select(Outbox).where(Outbox.to == WANG_LANDLINE)).one()
        answer = ET.fromstring(call_twiml(row.body, row.lang, row, BASE))
    for digits in keys:
        answer = post(app, answer.find("Gather").get("action"), digits, call_sid="CA" + call * 32)
    return answer


def said(answer: ET.Element) -> str:
    return "".join(answer.itertext()).replace("、", "")


def test_a_second_join_on_the_call_says_what_is_booked_and_asks_before_changing_it(app, offer):
    joined = call_keys(app, "1", "2", call="1")
    with app.app_context():
        n = db.session.scalars(select(Request.id)).one()
    assert joined.find("Hangup") is not None and str(n) in said(joined)
    asked = call_keys(app, "1", "3", call="2")  # a second call: 3 instead of 2
    assert asked.find("Gather") is not None  # a question, not a goodbye
    assert "已经登记了2份" in said(asked) and str(n) in said(asked) and "改为3份吗" in said(asked)
    options = ["".join(o.itertext()) for o in asked.iter("Say")]
    assert "改为3份，请按1。" in options and "不改，请按2。" in options
    assert get_request(app, n).quantity == 2  # nothing changes before the answer
    kept = post(app, asked.find("Gather").get("action"), "2", call_sid="CA" + "2" * 32)
    assert kept.find("Hangup") is not None and "仍是2份" in said(kept) and get_request(app, n).quantity == 2
    again = call_keys(app, "1", "2", call="3")  # the same number again: told it is booked, nothing to change
    assert again.find("Hangup") is not None and "不用再报" in said(again) and get_request(app, n).quantity == 2
    changed = call_keys(app, "1", "3", "1", call="4")
    assert changed.find("Hangup") is not None and "已改为3份" in said(changed)
    r = get_request(app, n)
    assert r.quantity == 3 and r.details.endswith("×3") and [e.kind for e in r.events].count("quantity_changed") == 1
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Request.id))) == 1  # one join for the household, still


def post(app, url: str, digits: str, call_sid: str = "CA" + "7" * 32) -> ET.Element:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    params = {"CallSid": call_sid, "From": HOTLINE_NUMBER, "To": WANG_LANDLINE, "AccountSid": ACCOUNT_SID,
              "Digits": digits, "CallStatus": "in-progress"}
    response = app.test_client().post(path, data=params, headers={"X-Twilio-Signature": sign(BASE + path, params)})
    assert response.status_code == 200
    return ET.fromstring(response.get_data(as_text=True))
