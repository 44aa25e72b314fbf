"""Residents calling the hotline: calls walked through signed webhooks, TwiML parsed, never grepped.

Each call is a `tests.calls.Caller`: the phone and Twilio's voice engine together, checking every
TwiML document it gets.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from hotline.channels import voice as voice_channel
from hotline.extensions import db
from hotline.models import Conversation, Inbound, Lane, Outbox, OutStatus, Purpose, Request, Status, Volunteer
from hotline.worker import call_twiml
from tests.calls import STRANGER, Caller, check_twiml, digits_said, is_chinese
from tests.helpers import (
    BASE,
    LI_WEI,
    LIU,
    SUN_HONG,
    TOM,
    WANG_FANG,
    WANG_LANDLINE,
    ZHANG_MIN,
    coordinator_on_page,
    get_request,
    load_roster,
    sign,
)
from tests.twilio_standin import ACCOUNT_SID, HOTLINE_NUMBER


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


@pytest.fixture
def caller(client):
    """Callers: `caller(LIU).dial().press("1").record(8)`."""
    return lambda number: Caller(client, number)


def voice_requests(app) -> list[Request]:
    with app.app_context():
        rows = db.session.scalars(select(Request).where(Request.channel == "voice").order_by(Request.id)).all()
        for r in rows:
            _ = (r.household, r.volunteer, r.resident, r.events)
        db.session.expunge_all()
        return list(rows)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def outbox_to(app, number: str) -> list[Outbox]:
    with app.app_context():
        rows = db.session.scalars(select(Outbox).where(Outbox.to == number).order_by(Outbox.id)).all()
        db.session.expunge_all()
        return list(rows)


# --------------------------------------------------------------------------------------------
# The main menu, heard by everyone
# --------------------------------------------------------------------------------------------
def test_known_caller_is_greeted_with_building_and_room_and_hears_every_option_in_mandarin(caller):
    liu = caller(LIU).dial()
    assert liu.waits_for == "Gather"
    gather = liu.waiting[0]
    assert gather.get("input") == "dtmf speech" and gather.get("numDigits") == "1"
    assert gather.get("language") == "cmn-Hans-CN"
    hints = gather.get("hints").split(",")
    assert {"买菜", "吃的", "药", "配药", "帮忙"} <= set(hints)
    first, greeting, *options = liu.says
    assert first == ("紧急情况，请挂断电话，拨打一二零。", "cmn-CN")  # the first words a caller hears
    assert "5号楼" in greeting[0] and digits_said(greeting[0]) == ["5", "1201"]
    spoken_keys = [digits_said(text)[-1] if digits_said(text) else "*" for text, _ in options]
    assert spoken_keys == ["1", "2", "3", "4", "5", "0", "9", "*"]
    assert all(lang == "cmn-CN" and is_chinese(text) for text, lang in options if not text.startswith("For English"))
    [english] = [(text, lang) for text, lang in options if lang == "en-US"]
    assert english[0] == "For English, press 9."


def test_known_callers_food_request_takes_one_key_then_the_beep_then_the_number(app, caller, phone):
    liu = caller(LIU).dial().press("1")
    assert liu.waits_for == "Record"
    said_after_key = liu.says[len(liu.says) - 1 :]
    assert len(said_after_key) == 1 and "嘀声" in said_after_key[0][0]  # only how to leave the message
    liu.record(8)
    assert liu.ended
    [r] = voice_requests(app)
    assert (r.category, r.household.building, r.household.room, r.channel, r.language) == (
        "food", 5, "1201", "voice", "zh")
    assert r.resident.phone == LIU and r.requester_phone == LIU and not r.on_behalf
    assert r.recording_sid == liu.recording_sid
    assert r.volunteer.phone == WANG_FANG and r.status == Status.ASSIGNED
    assert digits_said(liu.after_beep).count(str(r.number)) == 2  # said twice, digit by digit
    assert "、" in liu.after_beep or r.number < 10
    alert = phone(WANG_FANG).last()
    assert f"#{r.number}" in alert and "5-1201" in alert


@pytest.mark.parametrize(("key", "words", "category"), [
    ("2", "我要配药", "medicine"), ("3", "帮忙", "help"), ("1", "买菜", "food"), ("2", "药", "medicine"),
])
def test_every_category_by_key_or_by_word(app, caller, key, words, category):
    caller(LIU).dial().press(key).record(5)
    caller(LIU).dial().say(words).record(5)
    assert [r.category for r in voice_requests(app)] == [category, category]


def test_star_repeats_the_menu_without_using_up_a_try(caller):
    liu = caller(LIU).dial()
    first = liu.says[2:]
    mark = len(liu.says)
    liu.press("*")
    assert liu.says[mark:] == first  # the options again, without the 120 advice and the greeting
    for _ in range(5):
        liu.press("*")
    assert liu.waits_for == "Gather"
    liu.press("1")
    assert liu.waits_for == "Record"


def test_silence_repeats_the_menu_and_the_third_silence_dials_the_coordinator(caller):
    liu = caller(LIU).dial()
    options = liu.says[2:]
    liu.silence()
    assert liu.says[-len(options) :] == options and liu.waits_for == "Gather"
    liu.silence()
    assert liu.waits_for == "Gather"
    liu.silence()
    assert liu.waits_for == "Dial"
    dial = liu.waiting[0]
    assert dial.find("Number").text == SUN_HONG


def test_wrong_keys_are_said_so_and_the_third_puts_the_caller_through(caller):
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.press("7")
    assert liu.says[mark][0] == "没有这个选项。"
    liu.press("8").press("#")
    assert liu.waits_for == "Dial"


def test_a_person_who_answers_ends_the_call(app, caller):
    liu = caller(LIU).dial().press("0")
    assert liu.waits_for == "Dial" and "转接" in liu.says[-1][0]
    liu.dial_outcome("completed")
    assert liu.ended and voice_requests(app) == []


def test_nobody_answers_a_callback_request_is_made_and_routed(app, caller, phone):
    liu = caller(LIU).dial().press("0")
    mark = len(liu.says)
    liu.dial_outcome("no-answer")
    assert liu.ended
    [r] = voice_requests(app)
    assert (r.category, r.household.label, r.volunteer.phone) == ("help", "5-1201", WANG_FANG)
    assert "回电" in liu.heard_since(mark) and str(r.number) in digits_said(liu.heard_since(mark))
    assert f"#{r.number}" in phone(WANG_FANG).last()


def test_no_coordinator_on_duty_means_a_callback_without_ringing(app, caller):
    with app.app_context():
        db.session.execute(db.update(Volunteer).values(on_duty=False).where(Volunteer.phone == SUN_HONG))
        db.session.commit()
    liu = caller(LIU).dial().press("0")
    assert liu.ended and liu.waits_for is None
    [r] = voice_requests(app)
    assert r.category == "help"


def test_unknown_caller_nobody_answers_coordinators_are_asked_to_call_back(app, caller):
    stranger = caller(STRANGER).dial().press("0").dial_outcome("busy")
    assert stranger.ended and voice_requests(app) == []
    [alert] = [row for row in outbox_to(app, SUN_HONG)]
    assert STRANGER in alert.body and alert.lane == Lane.URGENT


# --------------------------------------------------------------------------------------------
# Unknown callers and other households
# --------------------------------------------------------------------------------------------
def test_unknown_caller_keys_in_building_and_room_hears_them_back_and_confirms(app, caller):
    stranger = caller(STRANGER).dial()
    assert "号楼" not in stranger.says[1][0]  # nobody to greet by address
    stranger.press("2")
    assert stranger.waits_for == "Gather" and stranger.waiting[0].get("finishOnKey") == "#"
    stranger.press("12#").press("302#")
    readback, *options = [text for text, _ in stranger.says[-4:]]
    assert options == ["对的，请按1。", "重新输入，请按2。", "再听一遍，请按星号键。"]
    assert "12号楼" in readback and digits_said(readback)[-1] == "302"
    stranger.press("1")
    assert stranger.waits_for == "Record"
    stranger.record(20)
    [r] = voice_requests(app)
    assert (r.category, r.household.label, r.resident, r.requester_phone) == ("medicine", "12-302", None, STRANGER)


def test_two_re_enters_the_address(app, caller):
    stranger = caller(STRANGER).dial().press("1").press("12#").press("302#").press("2")
    stranger.press("13#").press("501#").press("1").record(6)
    [r] = voice_requests(app)
    assert r.household.label == "13-501"


def test_a_building_not_in_the_compound_is_said_so_and_asked_again(app, caller):
    stranger = caller(STRANGER).dial().press("1")
    mark = len(stranger.says)
    stranger.press("99#")
    assert stranger.says[mark][0] == "99号楼不在本小区。" and "楼号" in stranger.says[mark + 1][0]
    stranger.press("7#").press("1101#").press("1").record(5)
    assert voice_requests(app)[0].household.label == "7-1101"


def test_building_and_room_by_voice(app, caller):
    stranger = caller(STRANGER).dial().say("吃的").say("十二号楼").say("三零二").say("对的")
    stranger.record(5)
    [r] = voice_requests(app)
    assert (r.category, r.household.label) == ("food", "12-302")


def test_key_five_asks_a_known_caller_for_the_other_household(app, caller, phone):
    liu = caller(LIU).dial().press("5")
    assert liu.says[-6][0] == "替别的住户求助。需要什么？" and liu.waits_for == "Gather"
    liu.press("2").press("12#").press("302#").press("1").record(10)
    [r] = voice_requests(app)
    assert (r.household.label, r.on_behalf, r.resident, r.requester_phone) == ("12-302", True, None, LIU)
    assert r.volunteer.phone in (LI_WEI, ZHANG_MIN)


# --------------------------------------------------------------------------------------------
# The voice message: recorded, empty, hung up on; never lost, never twice
# --------------------------------------------------------------------------------------------
def test_an_empty_recording_still_makes_the_request_without_a_message(app, caller):
    liu = caller(LIU).dial().press("1").silence()
    assert liu.ended
    [r] = voice_requests(app)
    assert r.recording_sid is None and r.category == "food"
    assert str(r.number) in digits_said(liu.after_beep)


def test_hanging_up_mid_recording_makes_one_request_with_the_recording(app, caller):
    liu = caller(LIU).dial().press("2").hang_up()
    [r] = voice_requests(app)
    assert r.category == "medicine" and r.recording_sid == liu.recording_sid
    liu.again()  # Twilio retries the action
    assert len(voice_requests(app)) == 1


def test_hanging_up_mid_menu_leaves_no_request(app, caller):
    caller(LIU).dial().hang_up()
    caller(STRANGER).dial().press("1").press("12#").hang_up()
    caller(LIU).dial().press("5").press("1").hang_up()
    assert voice_requests(app) == []


def test_the_same_step_twice_is_processed_once(app, caller):
    liu = caller(LIU).dial().press("1")
    first = liu.last_xml
    assert liu.again() == first
    liu.record(8)
    after = liu.last_xml
    assert liu.again() == after
    assert len(voice_requests(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Inbound).where(Inbound.kind == "voice")) == 4


def test_the_call_state_is_a_database_row_keyed_by_call_sid(app, caller):
    liu = caller(LIU).dial().press("5")
    with app.app_context():
        row = db.session.scalar(select(Conversation).filter_by(key=f"call:{liu.sid}"))
        assert row.state["node"] == "other_category" and row.state["for_other"] is True
    response = liu.client.post("/twilio/voice/step?n=2", data={"CallSid": liu.sid, "Digits": "1"})
    assert response.status_code == 403  # unsigned: refused, nothing touched


# --------------------------------------------------------------------------------------------
# Key 4, English, speech
# --------------------------------------------------------------------------------------------
def test_key_four_speaks_each_request_with_its_number_digit_by_digit_and_status(app, caller):
    caller(LIU).dial().press("1").record(5)
    caller(LIU).dial().press("2").record(5)
    numbers = [r.number for r in voice_requests(app)]
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.press("4")
    heard = liu.says[mark : mark + 2]
    assert [digits_said(text)[0] for text, _ in heard] == [str(n) for n in numbers]
    assert all("已通知志愿者" in text for text, _ in heard)
    assert liu.waits_for == "Gather"  # back at the main menu


def test_key_four_for_a_caller_with_no_requests(caller):
    stranger = caller(STRANGER).dial()
    mark = len(stranger.says)
    stranger.press("4")
    assert stranger.says[mark][0] == "您现在没有请求。"


@pytest.mark.parametrize("words", ["取消", "我要取消", "不用送了", "cancel"])
def test_cancel_said_at_the_menu_cancels_the_one_open_request_on_one_key(app, caller, words):
    caller(LIU).dial().press("1").record(5)
    [r] = voice_requests(app)
    volunteer = r.volunteer.phone
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say(words)
    asked = " ".join(text for text, _ in liu.says[mark:])
    assert "要取消您的请求" in asked and str(r.number) in digits_said(asked) and "按1" in asked
    assert "没有这个选项" not in asked and get_request(app, r.number).status != Status.CANCELLED
    liu.press("1")
    assert liu.ended and "已取消" in liu.text, liu.says[mark:]
    assert get_request(app, r.number).status == Status.CANCELLED
    assert any(f"#{r.number}" in row.body for row in outbox_to(app, volunteer))  # told, as by SMS


def test_cancel_said_then_two_keeps_the_request(app, caller):
    caller(LIU).dial().press("1").record(5)
    [r] = voice_requests(app)
    liu = caller(LIU).dial()
    liu.say("取消")
    liu.press("2")
    assert liu.waits_for == "Gather" and get_request(app, r.number).status != Status.CANCELLED


def test_cancel_said_in_english_is_asked_and_done_in_english(app, caller):
    caller(LIU).dial().press("2").record(5)
    [r] = voice_requests(app)
    liu = caller(LIU).dial().press("9")
    mark = len(liu.says)
    liu.say("cancel my request please")
    asked = " ".join(text for text, _ in liu.says[mark:])
    assert "Do you want to cancel your request" in asked and asked.isascii()
    liu.say("yes")
    assert liu.ended and get_request(app, r.number).status == Status.CANCELLED


def test_cancel_said_with_several_open_says_them_and_cancels_none(app, caller):
    caller(LIU).dial().press("1").record(5)
    caller(LIU).dial().press("2").record(5)
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say("取消")
    heard = " ".join(text for text, _ in liu.says[mark:])
    assert "请发短信：取消" in heard and liu.waits_for == "Gather"
    assert all(r.status != Status.CANCELLED for r in voice_requests(app))


def test_cancel_said_with_nothing_open_says_so(caller):
    stranger = caller(STRANGER).dial()
    mark = len(stranger.says)
    stranger.say("取消")
    assert stranger.says[mark][0] == "您现在没有请求。" and stranger.waits_for == "Gather"


@pytest.mark.parametrize("hidden", ["anonymous", "Restricted", "+266696687", "client:alice", "client:13912345678"])
def test_a_withheld_number_is_nobody_s_number(app, caller, hidden):
    caller(hidden).dial().press("1").press("7#").press("1101#").press("1").record(5)
    [r] = voice_requests(app)
    assert r.household.label == "7-1101" and r.requester_phone is None
    later = caller(hidden).dial()  # another caller who withholds the number
    mark = len(later.says)
    later.press("4")
    assert later.says[mark][0] == "您现在没有请求。"


def test_nine_switches_to_english_for_the_rest_of_the_call(app, caller):
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.press("9")
    assert liu.waiting[0].get("language") == "en-US"
    english = liu.says[mark:]
    assert [text for text, _ in english[:2]] == ["In an emergency, hang up and dial 1, 2, 0.",
                                                 "Hello, building 5, room 1, 2, 0, 1."]
    assert all(lang == "en-US" and text.isascii() for text, lang in english if not is_chinese(text))
    assert [text for text, lang in english if lang == "cmn-CN"] == ["普通话，请按9。"]
    liu.say("food please").record(6)
    assert "Your request number is" in liu.after_beep
    r = voice_requests(app)[0]
    assert (r.language, r.category) == ("en", "food")


def test_a_known_english_resident_is_answered_in_english(caller):
    tom = caller(TOM).dial()
    assert tom.says[:2] == [("In an emergency, hang up and dial 1, 2, 0.", "en-US"),
                            ("Hello, building 7, room 1, 1, 0, 1.", "en-US")]
    assert tom.waiting[0].get("language") == "en-US"


def test_words_that_are_no_option_count_as_a_wrong_try(caller):
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say("今天天气不错")
    assert liu.says[mark][0] == "没有这个选项。" and liu.waits_for == "Gather"


def test_speech_confirm_prefers_the_longer_word(app, caller):
    stranger = caller(STRANGER).dial().press("1").press("12#").press("302#").say("不对")
    assert "楼号" in stranger.says[-1][0]  # asked again, not confirmed


# --------------------------------------------------------------------------------------------
# Emergencies said at any step: the 120 advice, then a person, else an emergency request
# --------------------------------------------------------------------------------------------
ADVICE_120 = "有生命危险，请马上挂断，拨打一二零。"


def urgent_alerts_to_coordinator(app) -> list[Outbox]:
    return [row for row in outbox_to(app, SUN_HONG) if row.lane == Lane.URGENT]


@pytest.mark.parametrize("words", ["救命", "我摔倒了", "喘不上气", "我老伴摔倒了", "救命啊 我胸口痛"])
def test_emergency_words_at_the_main_menu_give_the_120_advice_then_a_person(app, caller, words):
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say(words)
    assert [text for text, _ in liu.says[mark:]] == [ADVICE_120, "正在为您转接工作人员，请稍等。"]
    assert liu.waits_for == "Dial" and liu.waiting[0].find("Number").text == SUN_HONG
    liu.dial_outcome("completed")  # the coordinator took the call: nothing more to make
    assert liu.ended and voice_requests(app) == []


def test_nobody_takes_the_emergency_call_an_emergency_request_is_made_and_coordinators_alerted(app, caller, phone):
    liu = caller(LIU).dial().say("我摔倒了 起不来")
    mark = len(liu.says)
    liu.dial_outcome("no-answer")
    assert liu.ended and liu.waits_for is None  # no beep: nothing stands before the request
    [r] = voice_requests(app)
    assert (r.emergency, r.urgent, r.category, r.household.label, r.details) == (
        True, True, "help", "5-1201", "我摔倒了 起不来")
    heard = liu.heard_since(mark)
    assert "值班人员已经收到通知" in heard and str(r.number) in digits_said(heard) and "拨打一二零" in heard
    [alert] = urgent_alerts_to_coordinator(app)
    assert f"#{r.number}" in alert.body and "我摔倒了" in alert.body
    assert f"#{r.number}" in phone(WANG_FANG).last()


def test_no_coordinator_on_duty_the_emergency_request_is_made_at_once(app, caller):
    with app.app_context():
        db.session.execute(db.update(Volunteer).values(on_duty=False).where(Volunteer.phone == SUN_HONG))
        db.session.commit()
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say("喘不上气")
    assert liu.ended and liu.says[mark][0] == ADVICE_120
    [r] = voice_requests(app)
    assert r.emergency and r.urgent
    assert len(urgent_alerts_to_coordinator(app)) == 1  # told even off duty: nobody else is there


def test_a_stranger_in_an_emergency_is_alerted_for_at_once_then_asked_where(app, caller):
    stranger = caller(STRANGER).dial().say("救命").dial_outcome("busy")
    [alert] = urgent_alerts_to_coordinator(app)
    assert STRANGER in alert.body and "救命" in alert.body  # before any address: the number and the words
    assert stranger.waits_for == "Gather" and "楼号" in stranger.says[-1][0]
    stranger.press("12#").press("302#")
    assert "12号楼" in stranger.says[-4][0]
    stranger.press("1")
    assert stranger.ended and stranger.beep_at is None
    [r] = voice_requests(app)
    assert (r.emergency, r.household.label, r.requester_phone) == (True, "12-302", STRANGER)
    assert len(urgent_alerts_to_coordinator(app)) == 2  # and the request, with its number


@pytest.mark.parametrize("steps", [
    lambda c: c.press("1"),  # at the building number
    lambda c: c.press("1").press("12#").press("302#"),  # at the read-back
    lambda c: c.press("5"),  # at the other household's categories
    lambda c: c.say("马桶有毛病"),  # at the closest choices
])
def test_emergency_words_at_any_step_of_the_menu(app, caller, steps):
    stranger = steps(caller(STRANGER).dial())
    assert stranger.waits_for == "Gather"
    mark = len(stranger.says)
    stranger.say("我老伴摔倒了")
    assert stranger.says[mark][0] == ADVICE_120 and stranger.waits_for == "Dial"


def test_an_emergency_said_in_english_on_the_english_menu(app, caller):
    liu = caller(LIU).dial().press("9")
    mark = len(liu.says)
    liu.say("help me I fell")
    assert liu.says[mark] == ("If a life is in danger, hang up now and dial 1, 2, 0.", "en-US")
    assert liu.waits_for == "Dial"
    liu = caller(LIU).dial().press("9")
    mark = len(liu.says)
    liu.say("help")  # alone, "help" is the menu's other help
    assert liu.waits_for == "Record" and "danger" not in liu.heard_since(mark)
    liu.silence()
    assert voice_requests(app)[-1].category == "help"


def test_crisis_words_are_met_with_the_support_line_and_a_person(app, caller):
    stranger = caller(STRANGER).dial()
    mark = len(stranger.says)
    stranger.say("我不想活了")
    assert "心理援助热线：1、2、3、5、6" in stranger.says[mark][0] and stranger.waits_for == "Dial"
    [alert] = urgent_alerts_to_coordinator(app)  # at once, before anyone answers
    assert STRANGER in alert.body and "我不想活了" in alert.body
    stranger.dial_outcome("no-answer")
    assert stranger.ended and "回电" in stranger.heard_since(mark) and voice_requests(app) == []


# --------------------------------------------------------------------------------------------
# Words read like a text: the category, the urgency, the address; or the closest choices
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("words", "category", "urgent"), [
    ("降压药吃完了", "medicine", True), ("水管坏了", "help", False), ("帮我搬东西", "help", False),
    ("我要买点水果和牛奶", "food", False), ("将压要吃完了", "medicine", True),  # a recognition slip for 降压药
    ("一岛素没有了", "medicine", True), ("我要卖菜", "food", False),
])
def test_a_need_said_in_everyday_words_picks_its_category_and_urgency(app, caller, phone, words, category, urgent):
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say(words)
    assert liu.waits_for == "Record"
    acknowledged = liu.says[mark][0]
    assert acknowledged.startswith("好的，") and acknowledged.endswith("加急。") == urgent
    liu.silence()
    [r] = voice_requests(app)
    assert (r.category, r.urgent, r.emergency, r.details) == (category, urgent, False, words)
    assert words in phone(WANG_FANG).last()  # the volunteer reads what was said


def test_an_address_said_with_the_need_is_read_back_to_confirm(app, caller):
    stranger = caller(STRANGER).dial().say("十二号楼三零二要买菜")
    readback, *options = [text for text, _ in stranger.says[-4:]]
    assert readback == "地址是：12号楼，3、0、2室。" and options[0] == "对的，请按1。"
    stranger.press("1").record(5)
    [r] = voice_requests(app)
    assert (r.category, r.household.label) == ("food", "12-302")


def test_a_building_said_without_a_room_asks_for_the_room(app, caller):
    stranger = caller(STRANGER).dial().say("我要买菜我住十二号楼")
    assert "房间号" in stranger.says[-1][0]
    stranger.press("302#").press("1").silence()
    assert voice_requests(app)[0].household.label == "12-302"


def test_a_known_caller_asking_for_another_household_in_words(app, caller):
    liu = caller(LIU).dial().say("帮我妈买点菜她住八号楼二零一")
    assert "8号楼" in liu.says[-4][0]
    liu.press("1").record(6)
    [r] = voice_requests(app)
    assert (r.household.label, r.on_behalf, r.resident, r.requester_phone, r.category) == (
        "8-201", True, None, LIU, "food")


@pytest.mark.parametrize(("words", "offered"), [
    ("马桶有毛病", ["3"]), ("尿不丝快用完了", ["3"]), ("胰岛树没有了", ["2"]),  # a southern 树 for 素; nappies are help
    ("机当没了马桶也有毛病", ["3", "1"]),  # a southern 当 for 蛋
])
def test_unclear_words_offer_the_closest_choices_to_confirm_with_one_key(app, caller, words, offered):
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say(words)
    unclear, *choices, others = [text for text, _ in liu.says[mark:]]
    assert unclear == "没有听清楚。您是说：" and others == "都不是，请按星号键，听全部选项。"
    assert [digits_said(text)[-1] for text in choices] == offered
    assert liu.waiting[0].get("numDigits") == "1"
    liu.press(offered[0]).silence()
    [r] = voice_requests(app)
    assert r.category == {"1": "food", "2": "medicine", "3": "help"}[offered[0]] and r.details == words


def test_star_at_the_closest_choices_gives_the_whole_menu(caller):
    liu = caller(LIU).dial()
    options = liu.says[2:]
    liu.say("马桶有毛病")
    mark = len(liu.says)
    liu.press("*")
    assert liu.says[mark:] == options


def test_someone_not_heard_from_is_a_welfare_request_for_their_household(app, caller):
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say("我妈在八号楼二零一 好几天联系不上了")
    assert liu.says[mark][0] == "好的，我们请人上门看看。" and "8号楼" in liu.says[mark + 1][0]
    liu.press("1").record(6)
    [r] = voice_requests(app)
    assert (r.category, r.urgent, r.household.label, r.on_behalf) == ("welfare", True, "8-201", True)
    assert [row for row in outbox_to(app, SUN_HONG) if f"#{r.number}" in row.body]  # coordinators told too


def test_a_question_goes_to_the_coordinators_and_the_menu_comes_again(app, caller):
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say("什么时候做核酸")
    assert liu.says[mark][0] == "您的问题已经转给工作人员，他们会给您回电。"
    assert liu.says[mark + 1][0].endswith("请按1。")  # and the menu again
    [told] = outbox_to(app, SUN_HONG)
    assert LIU in told.body and "什么时候做核酸" in told.body
    liu.say("谢谢")
    assert liu.says[-9][0] == "不客气。" and liu.waits_for == "Gather"
    liu.press("1").silence()
    assert voice_requests(app)[0].details == ""  # the question is no request's details


def test_a_question_that_names_a_need_and_asks_for_none_is_a_question(app, caller):
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say("明天发不发菜")  # names food, asks for none: no request
    assert liu.says[mark][0] == "您的问题已经转给工作人员，他们会给您回电。"
    [told] = outbox_to(app, SUN_HONG)
    assert "明天发不发菜" in told.body
    assert voice_requests(app) == []


def test_asking_after_a_request_hears_the_callers_requests(app, caller):
    caller(LIU).dial().press("2").record(5)
    [r] = voice_requests(app)
    liu = caller(LIU).dial()
    mark = len(liu.says)
    liu.say("我的药什么时候送来")
    assert digits_said(liu.says[mark][0])[0] == str(r.number) and liu.waits_for == "Gather"


# --------------------------------------------------------------------------------------------
# Prompt speech before the beep (the elderly caller's budget)
# --------------------------------------------------------------------------------------------
ZH_RATE = 4.0  # Mandarin syllables (a character or a digit) per second, Polly Zhiyu at <prosody rate="85%">
EN_RATE = 2.5  # English words per second at the same rate


def speech_seconds(says: list[tuple[str, str]]) -> float:
    """Seconds of prompt speech: Mandarin characters and digits ÷ 4/s, English words ÷ 2.5/s."""
    seconds = 0.0
    for text, lang in says:
        if lang == "cmn-CN":
            seconds += len(re.findall(r"[\u4e00-\u9fff0-9]", text)) / ZH_RATE
        else:
            seconds += len(re.findall(r"[A-Za-z0-9]+", text)) / EN_RATE
    return seconds


def test_prompt_speech_before_the_beep(caller, capsys):
    known = caller(LIU).dial().press("1")
    stranger = caller(STRANGER).dial().press("1").press("12#").press("302#").press("1")
    assert known.waits_for == stranger.waits_for == "Record"
    known_s, stranger_s = speech_seconds(known.before_beep), speech_seconds(stranger.before_beep)
    with capsys.disabled():
        print(f"\nprompt speech before the beep: known caller {known_s:.1f} s, unknown caller {stranger_s:.1f} s")
    assert known_s <= 30
    assert stranger_s <= 45


# --------------------------------------------------------------------------------------------
# Faults: never a 500
# --------------------------------------------------------------------------------------------
def test_a_failure_is_an_apology_and_coordinators_are_asked_to_call_back(app, caller, monkeypatch, caplog):
    from hotline.domain import voice

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    liu = caller(LIU).dial()
    monkeypatch.setattr(voice, "_open_request", broken)
    monkeypatch.setitem(voice.ACTIONS, "open_request", broken)
    liu.press("1").record(8)
    assert liu.ended and "对不起" in liu.says[-1][0]
    assert voice_requests(app) == []
    [alert] = outbox_to(app, SUN_HONG)
    assert LIU in alert.body
    assert LIU not in caplog.text  # numbers are masked in logs
    with app.app_context():
        kept = db.session.scalar(select(Inbound).where(Inbound.sid.like(f"{liu.sid}:record:%")))
        assert liu.recording_sid in kept.body


def test_a_step_without_call_sid_is_refused_with_twiml(client):
    params = {"From": LIU}
    response = client.post("/twilio/voice", data=params, headers={"X-Twilio-Signature": sign(BASE + "/twilio/voice",
                                                                                              params)})
    assert response.status_code == 400 and check_twiml(response.get_data(as_text=True)) is not None


def test_a_step_of_a_forgotten_call_starts_again_at_the_menu(caller):
    liu = caller(LIU)
    liu._go(BASE + "/twilio/voice/step?n=7", {"Digits": "3"})
    assert liu.waits_for == "Gather" and "5号楼" in liu.says[1][0]


# --------------------------------------------------------------------------------------------
# Volunteers hear it too: the signed, expiring link to the voice message
# --------------------------------------------------------------------------------------------
@pytest.fixture
def linked(make_app, twilio, clock):
    app = make_app(TWILIO_API_URL=twilio.url)
    load_roster(app)
    return app


def test_the_volunteers_sms_links_to_the_voice_message_through_the_hotline(linked, twilio):
    client = linked.test_client()
    liu = Caller(client, LIU).dial().press("1")
    liu.record(8)
    twilio.recordings[liu.recording_sid] = b"RIFF-audio"
    [r] = voice_requests(linked)
    with linked.app_context():
        alert = db.session.scalars(select(Outbox).where(Outbox.to == WANG_FANG)).all()[-1].body
    [link] = re.findall(r"https://hotline\.test/voice-messages/\S+(?=\s)", alert)  # a space ends it
    assert "twilio.com" not in alert and link.isascii() and not link.endswith(".")
    response = client.get(urlsplit(link).path)
    assert response.status_code == 200 and response.data == b"RIFF-audio"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert link.split("/")[-1].split("~")[0] == str(r.number)


def test_the_alert_sent_again_when_a_request_is_marked_urgent_keeps_the_link(linked):
    from hotline.domain import steering
    from hotline.domain.policy import Policy

    liu = Caller(linked.test_client(), LIU).dial().press("1")
    liu.record(8)
    [r] = voice_requests(linked)
    with linked.app_context():
        request = db.session.get(Request, r.number)
        steering.mark_urgent(db.session, Policy.from_config(linked.config), request, True,
                                  coordinator_on_page(db.session))
        db.session.commit()
    first, again = [m.body for m in outbox_to(linked, WANG_FANG)][-2:]
    assert "/voice-messages/" in first and "/voice-messages/" in again and again != first


def test_a_bad_or_expired_voice_message_link(linked, twilio, clock):
    client = linked.test_client()
    liu = Caller(client, LIU).dial().press("1").record(8)
    twilio.recordings[liu.recording_sid] = b"audio"
    [r] = voice_requests(linked)
    with linked.test_request_context():
        path = urlsplit(voice_channel.voice_message_url(r.number)).path
    assert client.get(path).status_code == 200
    assert client.get(path[:-2] + "xx").status_code == 404
    assert client.get("/voice-messages/457").status_code == 404
    clock.advance(days=8)
    assert client.get(path).status_code == 410


def test_a_request_without_a_recording_has_no_voice_message(linked):
    client = linked.test_client()
    Caller(client, LIU).dial().press("1").silence()
    [r] = voice_requests(linked)
    with linked.test_request_context():
        path = urlsplit(voice_channel.voice_message_url(r.number)).path
    assert client.get(path).status_code == 404


# --------------------------------------------------------------------------------------------
# Told by phone: the delivery call, and calls retried when nobody answers
# --------------------------------------------------------------------------------------------
def test_a_landline_resident_gets_a_delivery_call_that_reopens_on_one(app, client, phone):
    wang = Caller(client, WANG_LANDLINE).dial().press("1").record(8)
    [r] = voice_requests(app)
    volunteer = r.volunteer.phone
    phone(volunteer).reply(f"OK {r.number}")
    phone(volunteer).reply(f"DONE {r.number}")
    calls = [row for row in outbox_to(app, WANG_LANDLINE) if row.kind == "call"]
    # Delivered before the acceptance call went out: one call, which says it was delivered.
    assert [(c.purpose, c.status) for c in calls] == [(Purpose.RECEIPT, OutStatus.SKIPPED),
                                                      (Purpose.RECEIPT, OutStatus.QUEUED)]
    with app.app_context():
        row = db.session.get(Outbox, calls[-1].id)
        xml = call_twiml(row.body, row.lang, row, BASE)
    [redirect] = check_twiml(xml)  # its words are made from the request when she answers
    assert redirect.tag == "Redirect" and redirect.text == f"{BASE}/twilio/voice/receipt?r={r.number}&lang=zh&n=0"
    # The resident answers the outbound call: From is the hotline, To is the resident.
    receipt = Caller(client, WANG_LANDLINE).answer(xml)
    gather = receipt.waiting[0]
    assert gather.get("action") == f"{BASE}/twilio/voice/receipt?r={r.number}&lang=zh&n=1"
    said = receipt.text
    assert "已经送到12号楼302室" in said and "请按1" in said and str(r.number) in digits_said(said)
    receipt.press("1")
    assert receipt.ended and "通知志愿者" in receipt.text
    assert get_request(app, r.number).status == Status.ACCEPTED
    assert wang.ended


def test_the_acceptance_call_says_when_the_volunteer_will_come(app, client, phone, clock):
    Caller(client, WANG_LANDLINE).dial().press("1").record(8)
    [r] = voice_requests(app)
    clock.advance(hours=4, minutes=7)  # 14:07 in Shanghai
    phone(r.volunteer.phone).reply(f"OK {r.number} 20分钟后到")
    [call] = [row for row in outbox_to(app, WANG_LANDLINE) if row.kind == "call"]
    with app.app_context():
        xml = call_twiml(call.body, call.lang, db.session.get(Outbox, call.id), BASE)
    said = Caller(client, WANG_LANDLINE).answer(xml).text
    assert "约下午2点半送到12号楼302室" in said and str(r.number) in digits_said(said)


def test_the_acceptance_call_without_a_time_says_as_soon_as_possible(app, client, phone):
    Caller(client, WANG_LANDLINE).dial().press("1").record(8)
    [r] = voice_requests(app)
    phone(r.volunteer.phone).reply(f"OK {r.number}")
    [call] = [row for row in outbox_to(app, WANG_LANDLINE) if row.kind == "call"]
    with app.app_context():
        xml = call_twiml(call.body, call.lang, db.session.get(Outbox, call.id), BASE)
    said = Caller(client, WANG_LANDLINE).answer(xml).text
    assert "会尽快送到12号楼302室" in said and "约" not in said


def test_a_receipt_call_cannot_reopen_someone_elses_request(app, client, phone):
    [n] = [int(x) for x in re.findall(r"#(\d+)", phone(LIU).reply("我要买菜"))]
    r = get_request(app, n)
    phone(r.volunteer.phone).reply(f"DONE {n}")
    other = Caller(client, HOTLINE_NUMBER)
    other._params = lambda status: {**Caller._params(other, status), "To": ZHANG_MIN}
    other._go(f"{BASE}/twilio/voice/receipt?r={n}&lang=zh&n=1", {"Digits": "1"})
    assert other.ended and get_request(app, n).status == Status.DELIVERED
    for odd in ("²", "x", ""):  # a placed call's URL that was not ours
        other._go(f"{BASE}/twilio/voice/receipt?r={odd}&lang=zh&n=1", {"Digits": "1"})
        assert other.ended


def test_an_unanswered_call_is_placed_again_at_most_three_times(app, client):
    with app.app_context():
        row = Outbox(kind="call", to=WANG_LANDLINE, body="#1", lang="zh", status=OutStatus.SENT, attempts=1,
                     twilio_sid="CA" + "1" * 32, delivery_status="queued")
        db.session.add(row)
        db.session.commit()
        row_id = row.id

    def callback(sid: str, status: str):
        params = {"CallSid": sid, "CallStatus": status, "AccountSid": ACCOUNT_SID, "To": WANG_LANDLINE}
        signature = sign(BASE + "/twilio/status", params)
        client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": signature})

    for attempt, status in ((1, "no-answer"), (2, "busy")):
        callback(f"CA{str(attempt) * 32}", status)
        with app.app_context():
            row = db.session.get(Outbox, row_id)
            assert row.status == OutStatus.QUEUED and row.twilio_sid is None and status in row.last_error
            row.status, row.attempts, row.twilio_sid = OutStatus.SENT, attempt + 1, f"CA{str(attempt + 1) * 32}"
            db.session.commit()
    callback("CA" + "1" * 32, "no-answer")  # a late callback of the first call changes nothing
    callback("CA" + "3" * 32, "no-answer")
    with app.app_context():
        row = db.session.get(Outbox, row_id)
        assert row.status == OutStatus.SENT and row.delivery_status == "no-answer" and row.attempts == 3


def test_conversation_rows_of_old_calls_are_cleared(app, caller, clock):
    old = caller(LIU).dial()
    clock.advance(hours=3)
    caller(TOM).dial()
    with app.app_context():
        keys = set(db.session.scalars(select(Conversation.key)))
    assert f"call:{old.sid}" not in keys and len([k for k in keys if k.startswith("call:")]) == 1
