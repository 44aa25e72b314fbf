"""Residents, relatives and volunteers texting the hotline, through signed webhooks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline import texts
from hotline.domain import roster
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Inbound, OptOut, Outbox, OutStatus, Request, Status, Volunteer
from tests.helpers import (
    CHEN_JIE,
    LI_WEI,
    LIU,
    SUN_HONG,
    TOM,
    WANG_FANG,
    WANG_LANDLINE,
    ZHANG_MIN,
    get_request,
    load_roster,
    numbers_in,
    sign,
)

STRANGER = "+8613700001111"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_known_resident_in_english_reaches_the_building_volunteer(app, phone):
    reply = phone(TOM).reply("I need food please, rice and eggs")
    [n] = numbers_in(reply)
    assert texts.segments(reply) == 1 and reply.isascii()
    r = get_request(app, n)
    assert (r.category, r.household.building, r.household.room, r.language) == ("food", 7, "1101", "en")
    assert r.status == Status.ASSIGNED and r.volunteer.phone == CHEN_JIE
    alert = phone(CHEN_JIE).last()
    assert f"#{n}" in alert and "7-1101" in alert and "rice and eggs" in alert and "Tom" in alert


def test_chinese_stranger_with_address_gets_a_chinese_one_segment_reply(app, phone):
    reply = phone(STRANGER).reply("12号楼302室 需要买菜")
    [n] = numbers_in(reply)
    assert texts.segments(reply) == 1 and "#" in reply and any("\u4e00" <= c <= "\u9fff" for c in reply)
    r = get_request(app, n)
    assert (r.category, r.household.building, r.household.room, r.language, r.channel) == (
        "food",
        12,
        "302",
        "zh",
        "sms",
    )
    assert r.volunteer.phone == LI_WEI  # both speak Chinese, neither is busy: the file's order


def test_english_speaker_goes_to_the_volunteer_who_speaks_english(app, phone):
    [n] = numbers_in(phone(STRANGER).reply("Bldg 12 Rm 501, need milk"))
    assert get_request(app, n).volunteer.phone == ZHANG_MIN


def test_busy_volunteer_is_passed_over_for_one_with_fewer_open_requests(app, phone):
    first = numbers_in(phone("+8613700000001").reply("12号楼101 要米"))[0]
    second = numbers_in(phone("+8613700000002").reply("12号楼102 要米"))[0]
    assert get_request(app, first).volunteer.phone == LI_WEI
    assert get_request(app, second).volunteer.phone == ZHANG_MIN


def test_volunteer_ok_then_done_tells_the_resident_each_time(app, phone):
    [n] = numbers_in(phone(TOM).reply("I need food"))
    assert numbers_in(phone(CHEN_JIE).reply(f"OK #{n}")) == [n]
    assert get_request(app, n).status == Status.ACCEPTED
    told = phone(TOM).last()
    assert f"#{n}" in told and "Chen" in told
    phone(CHEN_JIE).reply(f"DONE {n}")
    r = get_request(app, n)
    assert r.status == Status.DELIVERED and r.delivered_at and r.accepted_at
    assert f"NOT RECEIVED {n}" in phone(TOM).last()
    assert [e.kind for e in r.events] == ["created", "assigned", "accepted", "delivered"]


def test_chinese_words_without_a_number_act_on_the_only_request(app, phone):
    [n] = numbers_in(phone(LIU).reply("降压药明天吃完了"))
    assert phone(WANG_FANG).reply("接") and get_request(app, n).status == Status.ACCEPTED
    assert phone(WANG_FANG).reply("完成") and get_request(app, n).status == Status.DELIVERED


def test_bare_word_with_two_requests_asks_which(app, phone):
    a = numbers_in(phone(LIU).reply("要米"))[0]
    b = numbers_in(phone(LIU).reply("要买降压药"))[0]  # more food would be folded into the first
    answer = phone(WANG_FANG).reply("接")
    assert set(numbers_in(answer)) == {a, b}
    assert get_request(app, a).status == Status.ASSIGNED


def test_done_without_ok_records_acceptance_first(app, phone):
    [n] = numbers_in(phone(TOM).reply("need eggs"))
    phone(CHEN_JIE).reply(f"done {n}")
    assert [e.kind for e in get_request(app, n).events][-2:] == ["accepted", "delivered"]


def test_no_passes_the_request_to_the_next_volunteer(app, phone):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    phone(LI_WEI).reply(f"NO {n}")
    r = get_request(app, n)
    assert r.volunteer.phone == ZHANG_MIN and r.status == Status.ASSIGNED
    assert f"#{n}" in phone(ZHANG_MIN).last()
    phone(ZHANG_MIN).reply(f"不行 {n}")
    r = get_request(app, n)
    assert r.volunteer.phone == SUN_HONG  # nobody left in the building: the coordinator
    assert f"#{n}" in phone(SUN_HONG).last()


def test_a_volunteer_cannot_take_another_buildings_request(app, phone):
    [n] = numbers_in(phone(TOM).reply("need eggs"))
    answer = phone(LI_WEI).reply(f"OK {n}")
    assert f"#{n}" in answer and get_request(app, n).status == Status.ASSIGNED


def test_landline_resident_is_told_by_a_call(app, phone):
    [n] = numbers_in(phone(STRANGER).reply("my mother in building 12 room 302 needs rice"))
    with app.app_context():
        db.session.get(Request, n).requester_phone = WANG_LANDLINE
        db.session.commit()
    phone(LI_WEI).reply(f"OK {n}")
    with app.app_context():
        row = db.session.scalars(select(Outbox).where(Outbox.to == WANG_LANDLINE)).one()
        assert row.kind == "call" and f"#{n}" in row.body


def test_missing_address_is_asked_for_then_both_messages_make_the_request(app, phone):
    first = phone(STRANGER).reply("I need rice and cooking oil")
    assert not numbers_in(first) and "building" in first.lower()
    assert count(app, Request) == 0
    [n] = numbers_in(phone(STRANGER).reply("Bldg 12 Rm 302"))
    r = get_request(app, n)
    assert (
        r.category == "food"
        and "rice and cooking oil" in r.details
        and (r.household.building, r.household.room) == (12, "302")
    )


def test_missing_room_is_asked_for(app, phone):
    ask = phone(STRANGER).reply("12号楼 要米")
    assert not numbers_in(ask) and "房间" in ask
    [n] = numbers_in(phone(STRANGER).reply("302室"))
    assert get_request(app, n).household.label == "12-302"


@pytest.mark.parametrize("answers", [
    ["12", "302"],  # building, then room
    ["302", "12"],  # room, then building
    ["12 302"], ["12, 302"], ["12/302"], ["12-3-302"],
    ["十二", "三零二"], ["十二号楼三零二"], ["12栋", "302室"],
])
def test_which_building_and_room_is_answered_in_the_ways_people_answer(app, phone, answers):
    assert not numbers_in(phone(STRANGER).reply("need food please"))
    *asked, last = answers
    for answer in asked:
        assert not numbers_in(phone(STRANGER).reply(answer))
    [n] = numbers_in(phone(STRANGER).reply(last))
    assert get_request(app, n).household.label == "12-302"


def test_unknown_building_is_said_so(app, phone):
    answer = phone(STRANGER).reply("40号楼101 要米")
    assert "40" in answer and not numbers_in(answer)
    [n] = numbers_in(phone(STRANGER).reply("是14号楼101"))
    assert get_request(app, n).household.label == "14-101"


def test_known_resident_needs_no_address(app, phone):
    [n] = numbers_in(phone(LIU).reply("胰岛素快没了"))
    r = get_request(app, n)
    assert r.household.label == "5-1201" and r.category == "medicine" and r.resident.name == "刘伯伯"


def test_relative_texting_for_a_household(app, phone):
    [n] = numbers_in(
        phone("+447700900123").reply("My mother in building 5 room 1201 needs her insulin, runs out tomorrow")
    )
    r = get_request(app, n)
    assert r.household.label == "5-1201" and r.on_behalf and r.requester_phone == "+447700900123"
    assert r.category == "medicine" and r.language == "en"
    phone(WANG_FANG).reply(f"OK {n}")
    assert f"#{n}" in phone("+447700900123").last()


def test_emergency_tells_the_sender_to_call_120_and_alerts_coordinators(app, phone):
    reply = phone(LIU).reply("我爸摔倒了起不来")
    [n] = numbers_in(reply)
    assert "120" in reply
    r = get_request(app, n)
    assert r.urgent and r.emergency
    assert f"#{n}" in phone(SUN_HONG).inbox()[0]
    with app.app_context():
        lanes = {row.to: row.lane.value for row in db.session.scalars(select(Outbox).where(Outbox.request_id == n))}
    assert lanes[SUN_HONG] == "0-urgent" and lanes[WANG_FANG] == "0-urgent"


def test_emergency_without_an_address_alerts_coordinators_at_once(app, phone):
    replies = phone(STRANGER).text("chest pain, can't breathe")
    assert any("120" in r for r in replies)
    assert STRANGER in phone(SUN_HONG).last()


def test_status_lists_open_and_recent_requests_in_one_sms(app, phone):
    a = numbers_in(phone(TOM).reply("need rice"))[0]
    b = numbers_in(phone(TOM).reply("need medicine for a cold"))[0]
    status = phone(TOM).reply("STATUS")
    assert set(numbers_in(status)) == {a, b}
    assert set(numbers_in(phone(LIU).reply("查询"))) == set()


def test_cancel_tells_the_volunteer(app, phone):
    [n] = numbers_in(phone(TOM).reply("need rice"))
    assert numbers_in(phone(TOM).reply(f"CANCEL {n}")) == [n]
    assert get_request(app, n).status == Status.CANCELLED
    assert f"#{n}" in phone(CHEN_JIE).last()


def test_cancel_of_someone_elses_request_changes_nothing(app, phone):
    [n] = numbers_in(phone(TOM).reply("need rice"))
    phone(STRANGER).reply(f"取消 {n}")
    assert get_request(app, n).status == Status.ASSIGNED


def test_not_received_reopens_and_tells_volunteer_and_coordinators(app, phone):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply(f"接 {n}")
    phone(WANG_FANG).reply(f"完成 {n}")
    phone(LIU).reply(f"没收到 {n}")
    r = get_request(app, n)
    assert r.status == Status.ACCEPTED and r.events[-1].kind == "reopened"
    assert f"#{n}" in phone(WANG_FANG).last() and f"#{n}" in phone(SUN_HONG).last()


def test_language_words_switch_the_replies(app, phone):
    assert phone(LIU).reply("ENGLISH").isascii()
    with app.app_context():
        from hotline.models import Resident

        assert db.session.scalar(select(Resident.language).filter_by(phone=LIU)) == "en"
    assert not phone(LIU).reply("中文").isascii()


def test_help_starts_a_conversation(app, phone):
    answer = phone(STRANGER).reply("帮助")
    assert "120" in answer and not numbers_in(answer)
    [n] = numbers_in(phone(STRANGER).reply("3号楼201 需要搬东西"))
    assert get_request(app, n).category == "help"


@pytest.mark.parametrize(("sender", "word", "taught"), [
    (STRANGER, "帮助", "“取消 编号”"), (STRANGER, "HELP", "CANCEL 457"),
    (LIU, "帮助", "“取消 编号”"), (TOM, "HELP", "CANCEL 457"),
])
def test_help_teaches_cancelling_one_request_in_one_segment(phone, sender, word, taught):
    answer = phone(sender).reply(word)
    assert taught in answer and "120" in answer and texts.segments(answer) == 1 and not numbers_in(answer)


def test_stop_and_start_get_no_reply_and_gate_the_outbox(app, phone):
    [n] = numbers_in(phone(TOM).reply("need rice"))
    assert phone(TOM).text("STOP") == []
    with app.app_context():
        assert db.session.get(OptOut, TOM)
    phone(CHEN_JIE).reply(f"OK {n}")
    with app.app_context():
        told = db.session.scalars(select(Outbox).where(Outbox.to == TOM, Outbox.kind == "sms")).all()
        assert told[-1].status == OutStatus.SKIPPED
    assert phone(TOM).text("start") == []
    with app.app_context():
        assert db.session.get(OptOut, TOM) is None


def test_volunteer_opting_out_goes_off_duty_and_hands_on(app, phone):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    assert phone(LI_WEI).text("退订") == []
    with app.app_context():
        assert db.session.scalar(select(Volunteer.on_duty).filter_by(phone=LI_WEI)) is False
    assert get_request(app, n).volunteer.phone == ZHANG_MIN
    assert "Li Wei" in phone(SUN_HONG).last()


def test_off_hands_open_requests_on_and_on_comes_back(app, phone):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    phone(LI_WEI).reply("下班")
    assert get_request(app, n).volunteer.phone == ZHANG_MIN
    [m] = numbers_in(phone("+8613700002222").reply("12号楼303室 需要买菜"))
    assert get_request(app, m).volunteer.phone == ZHANG_MIN
    phone(LI_WEI).reply("上班")
    [k] = numbers_in(phone("+8613700003333").reply("12号楼304室 需要买菜"))
    assert get_request(app, k).volunteer.phone == LI_WEI


def test_list_shows_a_volunteers_open_requests(app, phone):
    a = numbers_in(phone(LIU).reply("要米"))[0]
    b = numbers_in(phone(LIU).reply("要药"))[0]
    assert set(numbers_in(phone(WANG_FANG).reply("LIST"))) == {a, b}


def test_volunteer_chat_gets_the_words_and_their_own_need_is_a_request(app, phone):
    assert "OK 457" in phone(CHEN_JIE).reply("hello?")
    [n] = numbers_in(phone(CHEN_JIE).reply("I need rice myself, bldg 7 room 201"))
    assert get_request(app, n).household.label == "7-201"


def test_the_same_message_sid_twice_is_one_request_with_one_answer(app, phone):
    first = phone(STRANGER).text("13号楼501 需要药", sid="SM" + "4" * 32)
    again = phone(STRANGER).text("13号楼501 需要药", sid="SM" + "4" * 32)
    assert first == again and count(app, Request) == 1 and count(app, Inbound) == 1


def test_forged_or_missing_signature_is_refused_and_touches_nothing(app, client, phone):
    params = phone(STRANGER).form("12号楼101 要药")
    url = "https://hotline.test/twilio/sms"
    assert (
        client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(url, params, "wrong")}).status_code
        == 403
    )
    assert client.post("/twilio/sms", data=params).status_code == 403
    tampered = dict(params, Body="12号楼101 要米")
    assert (
        client.post("/twilio/sms", data=tampered, headers={"X-Twilio-Signature": sign(url, params)}).status_code == 403
    )
    assert count(app, Request) == 0 and count(app, Inbound) == 0


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "😀😀😀",
        "x" * 1600,
        "<Response><Hangup/></Response>",
        "'; DROP TABLE request; --",
        "\x00\x01\x02",
        "١٢-٣٠٢",
        "\u202e302-21",
        "Bldg 99999999999999999999 Rm 1",
    ],
)
def test_hostile_bodies_get_a_clear_answer_and_no_error(app, phone, body):
    replies = phone(STRANGER).text(body)
    assert replies and all(r for r in replies)
    assert count(app, Inbound) == 1


def test_a_twilio_request_without_sender_is_a_400_not_a_500(client):
    params = {"MessageSid": "SM" + "1" * 32, "Body": "hi"}
    response = client.post(
        "/twilio/sms", data=params, headers={"X-Twilio-Signature": sign("https://hotline.test/twilio/sms", params)}
    )
    assert response.status_code == 400


def test_every_reply_is_recorded_in_the_outbox(app, phone):
    [n] = numbers_in(phone(TOM).reply("need rice"))
    with app.app_context():
        row = db.session.scalars(select(Outbox).where(Outbox.to == TOM)).one()
        assert row.delivery_status == "twiml" and row.status == OutStatus.SENT and row.request_id == n


def test_bare_answers_fill_what_was_asked(app, phone):
    assert "building" in phone(STRANGER).reply("I'm hungry, no food for 2 days").lower()
    assert "room" in phone(STRANGER).reply("building 23").lower()
    [n] = numbers_in(phone(STRANGER).reply("601"))
    r = get_request(app, n)
    assert r.household.label == "23-601" and r.category == "food" and r.urgent


def test_a_bare_number_answering_which_building_is_checked(app, phone):
    assert "building" in phone(STRANGER).reply("need rice, room 302").lower()
    assert "40" in phone(STRANGER).reply("40")
    [n] = numbers_in(phone(STRANGER).reply("12"))
    assert get_request(app, n).household.label == "12-302"


def test_an_address_alone_is_not_a_need(app, phone):
    assert not numbers_in(phone(STRANGER).reply("我住十二号楼"))
    asked = phone(STRANGER).reply("302室")
    assert not numbers_in(asked) and "需要什么" in asked
    [n] = numbers_in(phone(STRANGER).reply("帮我搬一下米"))
    assert get_request(app, n).household.label == "12-302"


def test_a_volunteer_is_answered_in_a_language_they_speak(phone):
    assert "接 编号" in phone(LI_WEI).reply("hello?")  # only Chinese on the roster
    assert "OK 457" in phone(ZHANG_MIN).reply("hello?")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_replies_to_residents_fit_one_segment(lang):
    params = dict(number=45678, category=texts.t(lang, "category.medicine"), home="36-1602", building=40,
                  volunteer="Zhang", word=texts.t(lang, "word.not_received"), status=texts.t(lang, "status.accepted"),
                  item="鸡蛋30个 45元" if lang == "zh" else "30 eggs, 45 yuan", quantity=12, line="12356",
                  room="1602", into=45679, new=15, most=99,
                  time="明天下午3点半" if lang == "zh" else "tomorrow at 10:30am")
    ids = [m for m in texts.catalog(lang)._catalog if isinstance(m, str) and m.startswith(("sms.", "resident."))]
    assert len(ids) > 20
    for msgid in ids:
        assert texts.segments(texts.t(lang, msgid, **params)) == 1, msgid


def test_one_number_cannot_open_more_than_the_daily_limit(app, phone):
    for i in range(10):
        assert numbers_in(phone(STRANGER).reply(f"12号楼{301 + i}室 要米"))
    held = phone(STRANGER).reply("12号楼311室 要米")
    assert not numbers_in(held) and "120" in held and count(app, Request) == 10
    phone(STRANGER).reply("12号楼312室 要米")
    assert sum(STRANGER in m for m in phone(SUN_HONG).inbox()) == 1  # told once
    [n] = numbers_in(phone("+8613700009999").reply("12号楼401室 要米"))  # others are not starved
    assert get_request(app, n).status == Status.ASSIGNED


def test_an_emergency_gets_through_the_daily_limit(app, phone):
    for i in range(10):
        assert numbers_in(phone(STRANGER).reply(f"12号楼{301 + i}室 要米"))
    [n] = numbers_in(phone(STRANGER).reply("12号楼311室 我爸摔倒了，起不来"))
    assert get_request(app, n).urgent and f"#{n}" in phone(SUN_HONG).last()


@pytest.mark.parametrize("text", ["谢谢你们送的菜", "菜收到了", "药收到了，谢谢", "辛苦了", "好的", "OK",
                                  "thanks for the food!", "got it, thank you"])
def test_thanks_and_ok_make_no_request(app, phone, text):
    answer = phone(LIU).reply(text)
    assert not numbers_in(answer) and count(app, Request) == 0
    assert "状态" in answer or "STATUS" in answer


def test_a_question_about_a_request_in_other_words_is_answered_with_its_status(app, phone):
    [n] = numbers_in(phone(LIU).reply("降压药明天吃完了"))
    for text in ("我的药什么时候到？", "怎么还没来"):
        assert numbers_in(phone(LIU).reply(text)) == [n]
    assert count(app, Request) == 1
    asked = phone(STRANGER).reply("我的药什么时候到？")  # asked for nothing yet: told so, and how to ask
    assert asked == texts.t("zh", "resident.status_none") and count(app, Request) == 1


@pytest.mark.parametrize("text", ["取消买菜", "不需要了，谢谢", "please cancel my request, a neighbour had rice"])
def test_cancelling_in_other_words_cancels_the_only_open_request(app, phone, text):
    [n] = numbers_in(phone(LIU).reply("要米"))
    assert numbers_in(phone(LIU).reply(text)) == [n]
    assert get_request(app, n).status == Status.CANCELLED and count(app, Request) == 1


@pytest.mark.parametrize(("text", "lang"), [("取消", "zh"), ("取消买菜", "zh"), ("please cancel my request", "en")])
def test_cancelling_with_nothing_open_says_there_is_nothing_to_cancel(app, phone, text, lang):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(LIU).reply(f"取消 {n}")
    assert phone(LIU).reply(text) == texts.t(lang, "resident.nothing_to_cancel")
    assert get_request(app, n).status == Status.CANCELLED and count(app, Request) == 1
    with app.app_context():
        assert db.session.get(OptOut, LIU) is None  # 取消 is no opt-out


def test_not_received_in_other_words_reopens_the_only_delivered_request(app, phone):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    phone(WANG_FANG).reply("完成")
    assert numbers_in(phone(LIU).reply("还没收到菜")) == [n]
    assert get_request(app, n).status == Status.ACCEPTED
    assert numbers_in(phone(LIU).reply(f"取消{n}号")) == [n]  # 3号 is request 3 after a word, not building 3
    assert get_request(app, n).status == Status.CANCELLED


def test_still_not_here_before_delivery_is_answered_with_the_status(app, phone):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    answer = phone(LIU).reply("菜还没到")
    assert numbers_in(answer) == [n] and get_request(app, n).status == Status.ACCEPTED


@pytest.mark.parametrize("note", ["菜已经放门口了", "5栋1201的米放在门口了", "药送到了", "#{n} 已送到", "{n}号已送到",
                                  "送到了 {n}", "完成了 {n}"])
def test_a_volunteers_delivery_note_is_read_as_done(app, phone, note):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    assert numbers_in(phone(WANG_FANG).reply(note.format(n=n))) == [n]
    assert get_request(app, n).status == Status.DELIVERED and count(app, Request) == 1


def test_a_volunteer_saying_it_has_not_arrived_is_no_delivery(app, phone):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    phone(WANG_FANG).reply("米还没送到，超市关门了")
    assert get_request(app, n).status == Status.ACCEPTED


def test_a_volunteer_s_own_need_goes_to_someone_else(app, phone):
    [n] = numbers_in(phone(LI_WEI).reply("我自己家也没米了，12号楼501"))
    r = get_request(app, n)
    assert r.volunteer is not None and r.volunteer.phone != LI_WEI


def test_volunteers_texting_for_many_households_are_exempt(app, phone):
    for i in range(12):
        assert numbers_in(phone(LI_WEI).reply(f"I need rice for 12-{301 + i}"))


def test_a_stuck_phone_is_told_once_then_ignored(app, phone):
    answers = [phone(STRANGER).text("?") for _ in range(33)]
    assert all(answers[:30]) and answers[30] and "120" in answers[30][0] and answers[31:] == [[], []]


def test_a_neighbour_told_by_place_is_filed_at_their_door_and_asked_for_where_the_room_has_no_floor(app, phone):
    [n] = numbers_in(phone(TOM).reply("the old lady directly below me has no rice left, can someone bring some?"))
    r = get_request(app, n)
    assert (r.household.building, r.household.room, r.on_behalf) == (7, "1001", True)  # below Tom's 7-1101
    with app.app_context():  # a flat with no floor and door in its name: B2 of building 9
        report = roster.import_residents(db.session, Policy.from_config(app.config),
                                         "name,phone,building,room,language,flags\n老李,+8613700002222,9,B2,zh,\n".encode())
        assert not report.errors, report.errors
        db.session.commit()
    asked = phone("+8613700002222").reply("楼下那户老两口家里米没了")
    assert not numbers_in(asked)  # which room? the floor below B2 cannot be worked out
    [m] = numbers_in(phone("+8613700002222").reply("B1"))
    assert (get_request(app, m).household.building, get_request(app, m).household.room) == (9, "B1")
