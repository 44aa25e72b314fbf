"""A volunteer's own words, judged as a dispatcher would: a door nobody opened is a delivery and a welfare
check for the flat; a time said with OK is passed on to the resident; LIST names each job's flat, kind,
urgency and age in as few SMS as they fit in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline import texts
from hotline.domain import requests
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Category, Channel, Request, Status, Volunteer
from tests.helpers import (
    CHEN_JIE,
    LI_WEI,
    LIU,
    SUN_HONG,
    TOM,
    WANG_FANG,
    ZHANG_MIN,
    get_request,
    load_roster,
    numbers_in,
)

STRANGER = "+8613700006666"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def welfare_checks(app) -> list[Request]:
    with app.app_context():
        found = list(db.session.scalars(select(Request).where(Request.category == Category.WELFARE)))
        for request in found:
            _ = (request.household, request.volunteer, request.events, request.resident)
        db.session.expunge_all()
        return found


def taken(phone, resident: str, need: str, volunteer: str) -> int:
    [n] = numbers_in(phone(resident).reply(need))
    phone(volunteer).reply(f"OK {n}")
    return n


@pytest.mark.parametrize(("words", "lang"), [("没人开门 放门口了", "zh"), ("敲门没人应，东西挂门把手上了", "zh")])
def test_nobody_at_the_door_is_delivered_and_raises_a_welfare_check(app, phone, words, lang):
    n = taken(phone, LIU, "要买米", WANG_FANG)
    answer = phone(WANG_FANG).reply(words)
    assert get_request(app, n).status == Status.DELIVERED and f"#{n}" in phone(LIU).last()
    [check] = welfare_checks(app)
    assert f"#{n}" in answer and f"#{check.number}" in answer and "探望" in answer
    assert (check.household.label, check.urgent, check.status, check.channel) == ("5-1201", True, Status.ASSIGNED,
                                                                                   Channel.SMS)
    assert check.resident.phone == LIU and check.requester_phone == WANG_FANG and f"#{n}" in check.details
    assert check.events[0].actor_kind == "volunteer"
    # Wang Fang is building 5's only volunteer, and has just knocked: a coordinator follows it up
    assert check.volunteer.phone == SUN_HONG
    assert any(f"#{check.number}" in m and "5-1201" in m and "联系不上" in m for m in phone(SUN_HONG).inbox())


def test_in_a_building_with_two_volunteers_the_other_one_checks(app, phone):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    holder = get_request(app, n).volunteer.phone
    phone(holder).reply(f"OK {n}")
    phone(holder).reply(f"{n} nobody answered the door, left it outside")
    [check] = welfare_checks(app)
    assert get_request(app, n).status == Status.DELIVERED
    assert check.volunteer.phone == ({LI_WEI, ZHANG_MIN} - {holder}).pop() and check.urgent


def test_in_english_and_with_the_word_the_which_question_teaches(app, phone):
    first = taken(phone, TOM, "I need rice", CHEN_JIE)
    second = taken(phone, TOM, "I need aspirin", CHEN_JIE)
    asked = phone(CHEN_JIE).reply("nobody answered the door, left it outside")
    assert set(numbers_in(asked)) == {first, second} and "NO ANSWER LEFT IT 457" in asked
    assert not welfare_checks(app) and get_request(app, first).status == Status.ACCEPTED
    answer = phone(CHEN_JIE).reply(f"NO ANSWER LEFT IT {second}")
    [check] = welfare_checks(app)
    assert f"#{second}" in answer and f"#{check.number}" in answer and answer.isascii()
    assert get_request(app, second).status == Status.DELIVERED and get_request(app, first).status == Status.ACCEPTED


def test_a_welfare_check_already_open_gets_the_words_not_a_second_one(app, phone):
    first = taken(phone, LIU, "要买米", WANG_FANG)
    second = taken(phone, LIU, "要买降压药", WANG_FANG)
    phone(WANG_FANG).reply(f"#{first} 没人开门 放门口了")
    phone(WANG_FANG).reply(f"#{second} 没人开门 放门口了")
    [check] = welfare_checks(app)
    assert [e.kind for e in check.events][-1] == "note" and f"#{second}" in check.events[-1].note
    assert get_request(app, second).status == Status.DELIVERED


def test_a_door_nobody_opens_without_anything_left_is_no_delivery(app, phone):
    n = taken(phone, LIU, "要买米", WANG_FANG)
    phone(WANG_FANG).text("敲门没人应 电话也不接 是独居老人")
    assert get_request(app, n).status == Status.ACCEPTED


@pytest.mark.parametrize(("resident", "need", "volunteer", "words", "told"), [
    (STRANGER, "12号楼302室 需要买菜", None, "好的 下午三点去", "下午3点"),
    (STRANGER, "12号楼302室 需要买菜", None, "收到，明天上午10点半到", "明天上午10点半"),
    (TOM, "I need rice", CHEN_JIE, "Got it, will go at 3pm", "at 3pm"),
    (TOM, "I need rice", CHEN_JIE, "好的 晚上七点去", "at 7pm"),
    (TOM, "I need rice", CHEN_JIE, "ok, tomorrow 9:15am", "tomorrow at 9:15am"),
])
def test_a_time_said_with_ok_is_passed_on_to_the_resident_in_their_language(app, phone, resident, need, volunteer,
                                                                             words, told):
    [n] = numbers_in(phone(resident).reply(need))
    volunteer = volunteer or get_request(app, n).volunteer.phone
    answer = phone(volunteer).reply(words)
    request = get_request(app, n)
    assert request.status == Status.ACCEPTED and f"#{n}" in answer
    sms = phone(resident).last()
    assert f"#{n}" in sms and told in sms and texts.segments(sms) == 1
    assert request.events[-1].kind == "accepted" and request.events[-1].note == told


@pytest.mark.parametrize(("resident", "need", "volunteer", "later", "words", "told"), [
    (STRANGER, "12号楼302室 需要买菜", None, {"hours": 4, "minutes": 7}, "接{n}，20分钟后到", "下午2点半"),
    (STRANGER, "12号楼302室 需要买菜", None, {}, "好的 半小时后", "上午10点半"),
    (STRANGER, "12号楼302室 需要买菜", None, {"hours": 1}, "好的 下午三点", "下午3点"),
    (TOM, "I need rice", CHEN_JIE, {"hours": 4, "minutes": 7}, "ok {n}, be there in half an hour", "at 2:40pm"),
    (TOM, "I need rice", CHEN_JIE, {"hours": 13, "minutes": 50}, "on my way, in 20 min", "tomorrow at 12:10am"),
])
def test_a_time_said_from_now_reaches_the_resident_as_a_time_of_day(app, phone, clock, resident, need, volunteer,
                                                                     later, words, told):
    [n] = numbers_in(phone(resident).reply(need))
    volunteer = volunteer or get_request(app, n).volunteer.phone
    clock.advance(**later)  # the clock starts at 10:00 in Shanghai, the compound's time
    phone(volunteer).reply(words.format(n=n))
    request = get_request(app, n)
    sms = phone(resident).last()
    assert request.status == Status.ACCEPTED and told in sms and texts.segments(sms) == 1
    assert request.events[-1].note == told


def test_ok_without_a_time_says_nothing_of_one(app, phone):
    [n] = numbers_in(phone(TOM).reply("I need rice"))
    phone(CHEN_JIE).reply("on my way")
    assert get_request(app, n).status == Status.ACCEPTED and " at " not in phone(TOM).last()


def test_list_names_flat_kind_urgency_and_age_of_each_job(app, phone, clock):
    quiet = taken(phone, LIU, "要买米", WANG_FANG)
    clock.advance(hours=2)
    [urgent] = numbers_in(phone("+8613700007777").reply("5号楼502 降压药没了"))
    clock.advance(hours=1)
    [waiting] = numbers_in(phone("+8613700008888").reply("5号楼601 帮忙修水管"))
    [answer] = phone(WANG_FANG).text("列表")
    assert answer.splitlines() == ["待您接单2单：", f"#{urgent} 5-502 药品 ! 1小时", f"#{waiting} 5-601 其他帮助 0分钟",
                                   "您已接1单：", f"#{quiet} 5-1201 食物 3小时"]


def test_list_in_english(app, phone):
    [n] = numbers_in(phone(TOM).reply("I need rice"))
    [answer] = phone(CHEN_JIE).text("LIST")
    assert answer.splitlines() == ["To accept (1):", f"#{n} 7-1101 food 0 min"]


def test_a_long_list_takes_few_messages_and_counts_the_rest(app, phone):
    with app.app_context():
        policy = Policy.from_config(app.config)
        li_wei = db.session.scalar(select(Volunteer).filter_by(phone=LI_WEI))
        for room in range(101, 161):
            request = requests.open_request(
                db.session, policy, home=requests.household(db.session, 12, str(room)), category=Category.FOOD,
                channel=Channel.SMS, asker=requests.Asker(phone=None, language="zh"), urgent=room % 7 == 0,
                route_now=False)
            requests.route(db.session, policy, request, to=li_wei)
        db.session.commit()
    replies = phone(LI_WEI).text("LIST")
    assert 1 < len(replies) <= 3 and all(texts.segments(r) <= 5 for r in replies)
    listed = [n for r in replies for n in numbers_in(r)]
    assert len(listed) == len(set(listed)) and "还有" in replies[-1]
    left = int(replies[-1].rsplit("还有", 1)[1].split("单")[0])
    assert len(listed) + left == 60
    with app.app_context():
        urgent = set(db.session.scalars(select(Request.id).where(Request.urgent.is_(True))))
    assert set(listed[: len(urgent)]) == urgent  # the urgent ones first


def test_list_of_a_volunteer_with_no_jobs(phone):
    assert phone(ZHANG_MIN).reply("LIST") == texts.t("en", "volunteer.list_empty")  # he reads English too


@pytest.mark.parametrize("words", ["{n} 老人说还要一瓶酱油 我明天一起送",
                                   "{n} she also wants soy sauce, I'll bring it with the rest"])
def test_words_about_one_job_that_change_nothing_go_on_its_timeline(app, phone, words):
    n = taken(phone, LIU, "要买米", WANG_FANG)
    before = len(get_request(app, n).events)
    answer = phone(WANG_FANG).reply(words.format(n=n))
    request = get_request(app, n)
    assert request.status == Status.ACCEPTED and f"#{n}" in answer
    assert answer == texts.t("zh", "volunteer.noted", number=n)  # Wang Fang reads Chinese
    [note] = request.events[before:]
    assert (note.kind, note.actor_kind, note.note) == ("note", "volunteer", words.format(n=n))
    assert not welfare_checks(app) and len(requests_of(app)) == 1


def test_a_number_that_is_not_their_job_is_no_note(app, phone):
    n = taken(phone, LIU, "要买米", WANG_FANG)
    answer = phone(ZHANG_MIN).reply(f"{n} 老人说还要一瓶酱油")  # building 12's volunteer, not Wang Fang
    assert answer != texts.t("zh", "volunteer.noted", number=n)
    assert all(e.kind != "note" for e in get_request(app, n).events)


def requests_of(app) -> list[Request]:
    with app.app_context():
        return list(db.session.scalars(select(Request)))


def test_a_flat_a_volunteer_cannot_reach_gets_a_welfare_check_and_the_job_stays_theirs(app, phone):
    n = taken(phone, LIU, "要买米", WANG_FANG)
    answer = phone(WANG_FANG).reply(f"{n} 这家没人 电话也打不通 东西先放我家了")
    [check] = welfare_checks(app)
    assert get_request(app, n).status == Status.ACCEPTED and get_request(app, n).volunteer.phone == WANG_FANG
    assert answer == texts.t("zh", "volunteer.checking_on", number=n, home="5-1201", check=check.number)
    assert (check.household.label, check.urgent, check.requester_phone) == ("5-1201", True, WANG_FANG)
    assert f"#{n}" in check.details
