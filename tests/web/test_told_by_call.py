"""Told by phone: the calls the hotline places when a volunteer takes a request and delivers it, to a
resident on a landline or who prefers voice. The worker places them through a Twilio stand-in; each
call is picked up with the TwiML the worker sent, walked as Twilio walks it (its `<Redirect>` to our
signed webhooks, its `<Gather>`), and what the resident hears is checked sentence by sentence.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from hotline.domain import outbox, steering
from hotline.domain.policy import Policy
from hotline.domain.voice import spoken_digits
from hotline.extensions import db
from hotline.models import Outbox, OutStatus, Purpose, Request, Resident, Status
from hotline.worker import Worker
from tests.calls import Caller, check_twiml
from tests.helpers import (
    BASE,
    CHEN_JIE,
    LI_WEI,
    LIU,
    TOM,
    VOLUNTEERS_CSV,
    WANG_LANDLINE,
    Phone,
    coordinator_on_page,
    get_request,
    load_roster,
)
from tests.unit.test_twilio_adapter import twilio_enums

COMPOUND = "春华苑"
# The test compound's volunteers, with their names written as a Chinese compound writes them.
HANZI_VOLUNTEERS = (VOLUNTEERS_CSV.replace("Li Wei,", "李伟,").replace("Zhang Min,", "张敏,")
                    .replace("Chen Jie,", "陈杰,"))
FIRST = 457  # the first request's number: `#457` is said "4、5、7"


@pytest.fixture
def app(make_app, twilio, clock):
    app = make_app(TWILIO_API_URL=twilio.url, HOTLINE_COMPOUND_NAME=COMPOUND)
    from hotline import init_transport

    init_transport(app)
    load_roster(app, HANZI_VOLUNTEERS)
    number_from(app, FIRST)
    return app


def number_from(app, first: int) -> None:
    """Make the next request's number `first`, on either database."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('request', 'id'), :n)"), {"n": first - 1})
        else:
            db.session.execute(text("DELETE FROM sqlite_sequence WHERE name = 'request'"))
            db.session.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES ('request', :n)"), {"n": first - 1})
        db.session.commit()


def wang_asks_by_phone(client) -> Request:
    """王阿姨 (12-302, a landline) calls, presses 1 for food and leaves a message: a request for 12-302."""
    Caller(client, WANG_LANDLINE).dial().press("1").record(8)
    with client.application.app_context():
        number = db.session.scalars(select(Request.id).where(Request.requester_phone == WANG_LANDLINE)).one()
    return get_request(client.application, number)


def calls_to(app, number: str) -> list[Outbox]:
    with app.app_context():
        rows = db.session.scalars(
            select(Outbox).where(Outbox.to == number, Outbox.kind == "call").order_by(Outbox.id)).all()
        db.session.expunge_all()
        return list(rows)


def place_calls(app, twilio, number: str) -> list[tuple[str, str]]:
    """Let the worker send what is due; return the calls it placed to `number`: (CallSid, TwiML)."""
    before = len([p for p in twilio.posts("Calls") if p.params["To"] == number])
    Worker(app).tick()
    placed = [p.params["Twiml"] for p in twilio.posts("Calls") if p.params["To"] == number][before:]
    sent = [row for row in calls_to(app, number) if row.status == OutStatus.SENT][-len(placed):] if placed else []
    return [(row.twilio_sid, twiml) for row, twiml in zip(sent, placed, strict=True)]


def pick_up(client, number: str, call: tuple[str, str]) -> Caller:
    """The phone rings and is answered: the worker's TwiML, walked."""
    sid, twiml = call
    return Caller(client, number).answer(twiml, sid=sid)


def ring_out(client, number: str, sid: str) -> None:
    """Nobody picks up: Twilio reports `no-answer` for the call."""
    phone = Caller(client, number)
    phone.outbound, phone.sid = True, sid
    phone._post(BASE + "/twilio/status", {"CallDuration": "0"}, status="no-answer", twiml=False)


def heard(caller: Caller) -> list[str]:
    """What the resident heard, sentence by sentence, every word in a voice Twilio has."""
    enums = twilio_enums()
    assert all(language in enums["SayLanguage"] for _, language in caller.says)
    return [words for words, _ in caller.says]


def sounds_like_a_person(sentences: list[str]) -> None:
    """Nothing of an SMS: no `#457`, no `12-302`, no reply words."""
    for sentence in sentences:
        assert "#" not in sentence and not re.search(r"\d+-\d+", sentence), sentence
        assert not re.search(r"(?i)\b(reply|OK|DONE)\b|回复|没收到 \d", sentence), sentence


# --------------------------------------------------------------------------------------------
# 王阿姨, in Mandarin: accepted, then delivered
# --------------------------------------------------------------------------------------------
def test_the_acceptance_call_greets_and_says_the_request_in_words(app, client, phone, twilio):
    r = wang_asks_by_phone(client)
    assert r.number == FIRST and r.volunteer.phone == LI_WEI
    phone(LI_WEI).reply(f"OK {r.number}")
    [call] = place_calls(app, twilio, WANG_LANDLINE)
    root = check_twiml(call[1])
    assert [verb.tag for verb in root] == ["Redirect"]  # the words are made when she answers

    wang = pick_up(client, WANG_LANDLINE, call)
    told = "您的请求4、5、7，志愿者李伟已经接单了，会尽快送到12号楼302室。"
    assert heard(wang) == ["您好，这里是春华苑邻里互助热线。", told, "我再说一遍。", told, "谢谢，再见。"]
    assert {language for _, language in wang.says} == {"cmn-CN"}
    assert wang.ended
    sounds_like_a_person(heard(wang))


def test_the_delivery_call_says_who_brought_it_where_and_reopens_on_one(app, client, phone, twilio):
    r = wang_asks_by_phone(client)
    phone(LI_WEI).reply(f"OK {r.number}")
    pick_up(client, WANG_LANDLINE, place_calls(app, twilio, WANG_LANDLINE)[0])
    phone(LI_WEI).reply(f"DONE {r.number}")
    [call] = place_calls(app, twilio, WANG_LANDLINE)

    wang = pick_up(client, WANG_LANDLINE, call)
    assert heard(wang) == [
        "您好，这里是春华苑邻里互助热线。",
        "您的请求4、5、7，志愿者李伟已经送到12号楼302室了。",
        "如果没有收到，请按1。",
        "再听一遍，请按星号键。",
    ]
    assert wang.waits_for == "Gather" and spoken_digits(str(r.number), "zh") == "4、5、7"
    sounds_like_a_person(heard(wang))
    wang.press("*")  # once more, without the greeting
    assert heard(wang)[4:] == ["您的请求4、5、7，志愿者李伟已经送到12号楼302室了。", "如果没有收到，请按1。",
                               "再听一遍，请按星号键。"]
    wang.press("1")
    assert wang.ended and heard(wang)[-2:] == ["好的。我们已经通知志愿者和工作人员。", "谢谢，再见。"]
    assert get_request(app, r.number).status == Status.ACCEPTED


# --------------------------------------------------------------------------------------------
# One call, not two back to back
# --------------------------------------------------------------------------------------------
def test_done_without_ok_makes_one_call_that_says_delivered(app, client, phone, twilio):
    r = wang_asks_by_phone(client)
    phone(LI_WEI).reply(f"DONE {r.number}")  # taken and delivered at once
    acceptance, delivery = calls_to(app, WANG_LANDLINE)
    assert acceptance.status == OutStatus.SKIPPED and acceptance.last_error == outbox.SUPERSEDED
    assert delivery.purpose == Purpose.RECEIPT and delivery.status == OutStatus.QUEUED

    [call] = place_calls(app, twilio, WANG_LANDLINE)
    wang = pick_up(client, WANG_LANDLINE, call)
    assert heard(wang)[:2] == ["您好，这里是春华苑邻里互助热线。", "您的请求4、5、7，志愿者李伟已经送到12号楼302室了。"]
    assert not any("接单" in sentence for sentence in heard(wang))
    wang.silence().silence()  # she listens and says nothing: asked once more, then goodbye
    assert wang.ended and heard(wang)[-1] == "谢谢，再见。"
    assert get_request(app, r.number).status == Status.DELIVERED
    assert place_calls(app, twilio, WANG_LANDLINE) == []


def test_done_before_the_acceptance_call_went_out_makes_one_call(app, client, phone, twilio):
    r = wang_asks_by_phone(client)
    phone(LI_WEI).reply(f"OK {r.number}")
    phone(LI_WEI).reply(f"DONE {r.number}")  # before the worker placed the acceptance call
    assert [row.status for row in calls_to(app, WANG_LANDLINE)] == [OutStatus.SKIPPED, OutStatus.QUEUED]
    [call] = place_calls(app, twilio, WANG_LANDLINE)
    assert "已经送到" in heard(pick_up(client, WANG_LANDLINE, call))[1]


def test_an_acceptance_call_answered_after_the_delivery_says_delivered_and_is_the_only_one_heard(
    app, client, phone, twilio
):
    r = wang_asks_by_phone(client)
    phone(LI_WEI).reply(f"OK {r.number}")
    [ringing] = place_calls(app, twilio, WANG_LANDLINE)  # placed; it rings while the volunteer delivers
    phone(LI_WEI).reply(f"DONE {r.number}")
    wang = pick_up(client, WANG_LANDLINE, ringing)
    assert heard(wang)[1] == "您的请求4、5、7，志愿者李伟已经送到12号楼302室了。"
    delivery = calls_to(app, WANG_LANDLINE)[-1]
    assert delivery.status == OutStatus.SKIPPED and delivery.last_error == outbox.TOLD
    assert place_calls(app, twilio, WANG_LANDLINE) == []


# --------------------------------------------------------------------------------------------
# Tom, in English, who prefers a call
# --------------------------------------------------------------------------------------------
def test_an_english_resident_hears_english_with_the_volunteers_name_in_pinyin(app, client, phone, twilio):
    with app.app_context():
        db.session.scalars(select(Resident).filter_by(phone=TOM)).one().prefers_voice = True
        db.session.commit()
    [number] = [int(n) for n in re.findall(r"#(\d+)", phone(TOM).reply("I need eggs and rice"))]
    assert get_request(app, number).volunteer.phone == CHEN_JIE  # 陈杰, of building 7
    phone(CHEN_JIE).reply(f"OK {number}")
    [call] = place_calls(app, twilio, TOM)
    tom = pick_up(client, TOM, call)
    told = ("Your request 4, 5, 7 has been taken by volunteer Chen Jie, who will bring it to building 7, "
            "room 1101 as soon as possible.")
    assert heard(tom) == ["Hello, this is the Chun Hua Yuan neighbour hotline.", told, "Once again.", told,
                          "Thank you. Goodbye."]
    assert {language for _, language in tom.says} == {"en-US"}
    sounds_like_a_person(heard(tom))

    phone(CHEN_JIE).reply(f"DONE {number}")
    tom = pick_up(client, TOM, place_calls(app, twilio, TOM)[0])
    assert heard(tom)[1:3] == [
        "Your request 4, 5, 7 has been delivered to building 7, room 1101 by volunteer Chen Jie.",
        "If nothing arrived, press 1.",
    ]


# --------------------------------------------------------------------------------------------
# The compound's name, and who may hear
# --------------------------------------------------------------------------------------------
def test_without_a_compound_name_the_call_says_our_compound(make_app, twilio, clock):
    app = make_app(TWILIO_API_URL=twilio.url)
    from hotline import init_transport

    init_transport(app)
    load_roster(app, HANZI_VOLUNTEERS)
    client = app.test_client()
    r = wang_asks_by_phone(client)
    Phone(app, client, LI_WEI).reply(f"OK {r.number}")
    wang = pick_up(client, WANG_LANDLINE, place_calls(app, twilio, WANG_LANDLINE)[0])
    assert heard(wang)[0] == "您好，这里是本小区的邻里互助热线。"


def test_a_call_about_a_request_tells_nobody_else(app, client, phone, twilio):
    r = wang_asks_by_phone(client)
    phone(LI_WEI).reply(f"OK {r.number}")
    [(sid, twiml)] = place_calls(app, twilio, WANG_LANDLINE)
    liu = Caller(client, LIU).answer(twiml, sid=sid)  # the same call's URL, reached from another phone
    assert heard(liu) == ["谢谢，再见。"] and liu.ended


def test_keys_on_a_call_placed_before_calls_opened_this_way_still_reopen(app, client, phone):
    r = wang_asks_by_phone(client)
    phone(LI_WEI).reply(f"DONE {r.number}")
    old = Caller(client, WANG_LANDLINE)
    old.outbound = True  # its inline TwiML asked at once: the first we hear of the call is the key
    old._go(f"{BASE}/twilio/voice/receipt?r={r.number}&lang=zh&n=1", {"Digits": "1"})
    assert old.ended and heard(old) == ["好的。我们已经通知志愿者和工作人员。", "谢谢，再见。"]
    assert get_request(app, r.number).status == Status.ACCEPTED


def test_an_acceptance_call_that_rang_out_is_not_placed_again_after_the_delivery_call(app, client, phone, twilio):
    r = wang_asks_by_phone(client)
    phone(LI_WEI).reply(f"OK {r.number}")
    [(first, _)] = place_calls(app, twilio, WANG_LANDLINE)
    phone(LI_WEI).reply(f"DONE {r.number}")  # while the first call rings
    [delivery] = place_calls(app, twilio, WANG_LANDLINE)
    ring_out(client, WANG_LANDLINE, first)
    acceptance = calls_to(app, WANG_LANDLINE)[0]
    assert acceptance.status == OutStatus.SENT and acceptance.delivery_status == "no-answer"  # not again
    assert "已经送到" in heard(pick_up(client, WANG_LANDLINE, delivery))[1]


def test_a_cancelled_request_is_said_cancelled(app, client, twilio):
    r = wang_asks_by_phone(client)
    with app.app_context():
        request = db.session.get(Request, r.number)
        steering.change_status(db.session, Policy.from_config(app.config), request, Status.CANCELLED,
                                    coordinator_on_page(db.session), "she has it already")
        db.session.commit()
    [call] = place_calls(app, twilio, WANG_LANDLINE)
    wang = pick_up(client, WANG_LANDLINE, call)
    assert heard(wang) == ["您好，这里是春华苑邻里互助热线。", "您的请求4、5、7已经取消了。", "谢谢，再见。"]
