"""The coordinator sees what is late: `LATE` / `超时` lists the overdue and emergency requests, most
urgent first, in as few SMS as they fit in; one definition of overdue serves the dashboard too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from hotline import clock as hotline_clock
from hotline import texts
from hotline.domain import broadcast, dashboard, late, offers, requests
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Channel, Resident, Volunteer
from tests.helpers import LI_WEI, LIU, SUN_HONG, TOM, WANG_FANG, ZHANG_MIN, load_roster, numbers_in

STRANGER = "+8613700001111"
CALLER = "+8613700002222"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def run_timers(app) -> None:
    with app.app_context():
        requests.run_timers(db.session, Policy.from_config(app.config))
        db.session.commit()


def nobody_on_duty(app) -> None:
    with app.app_context():
        db.session.execute(update(Volunteer).values(on_duty=False))
        db.session.commit()


def overdue_numbers(app) -> list[int]:
    with app.app_context():
        policy = Policy.from_config(app.config)
        return [r.number for r in late.overdue(db.session, policy, hotline_clock.now())]


def test_late_lists_overdue_and_emergency_requests_most_urgent_first(app, phone, clock):
    [delivering] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply(f"接 {delivering}")
    [unanswered] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    [delivered] = numbers_in(phone(TOM).reply("need eggs"))
    phone("+8613900000071").reply(f"DONE {delivered}")
    clock.advance(hours=6, minutes=1)  # past the delivery timeout of the accepted one
    run_timers(app)  # Li Wei did not answer: to Zhang Min; Wang Fang is reminded
    clock.advance(seconds=901)
    run_timers(app)  # nor Zhang Min: to the coordinator
    [fresh] = numbers_in(phone(CALLER).reply("12号楼501室 要米"))
    replies = phone(CALLER + "9").text("12号楼401 我爸摔倒了 起不来")
    [emergency] = {n for r in replies for n in numbers_in(r)}
    [answer] = phone(SUN_HONG).text("超时")
    lines = answer.splitlines()
    assert lines[0] == texts.t("zh", "coordinator.late_head", count=3)
    assert lines[1:] == [
        f"!#{emergency} 12-401 其他帮助 0分钟 志愿者未接",
        f"#{delivering} 5-1201 食物 6小时 已接未送",
        f"#{unanswered} 12-302 食物 6小时 待协调员接",
    ]
    assert fresh not in numbers_in(answer) and delivered not in numbers_in(answer)
    assert texts.segments(answer) <= late.SEGMENTS_PER_SMS
    [english] = phone(SUN_HONG).text("LATE")  # she reads English too: answered in what she wrote
    assert english.splitlines()[2] == f"#{delivering} 5-1201 food 6 h not delivered" and english.isascii()


def test_unassigned_requests_are_late_at_once_and_a_group_buy_join_is_not(app, phone):
    nobody_on_duty(app)
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    with app.app_context():
        policy = Policy.from_config(app.config)
        sent = broadcast.send(db.session, broadcast.Announcement({"zh": "团购鸡蛋"}, frozenset()), broadcast.new_id())
        offer = offers.create(db.session, sent, "鸡蛋30个", hotline_clock.now() + timedelta(days=1))
        liu = db.session.query(Resident).filter_by(phone=LIU).one()
        joined = offers.join(db.session, policy, offer, liu, 2, Channel.SMS).number
        db.session.commit()
    assert overdue_numbers(app) == [n] and joined != n
    assert phone(SUN_HONG).reply("LATE").splitlines()[1] == f"#{n} 12-302 food 0 min nobody has it"


def test_the_dashboard_counts_what_late_lists(app, phone, clock):
    [a] = numbers_in(phone(LIU).reply("要米"))
    [b] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    phone(WANG_FANG).reply(f"OK {a}")
    clock.advance(seconds=901)
    run_timers(app)  # b moves on from Li Wei to Zhang Min: not late at Zhang Min yet
    with app.app_context():
        now = hotline_clock.now()
        counted = dashboard.counts(db.session, Policy.from_config(app.config), now).overdue
    assert overdue_numbers(app) == [] and counted == 0
    clock.advance(hours=6)
    with app.app_context():
        now = hotline_clock.now()
        counted = dashboard.counts(db.session, Policy.from_config(app.config), now).overdue
    assert sorted(overdue_numbers(app)) == [a, b] and counted == 2


def test_nothing_late_is_said_so(phone):
    assert phone(SUN_HONG).reply("超时") == texts.t("zh", "coordinator.late_none")


def test_a_long_list_is_split_past_five_segments_and_the_rest_counted(app, phone):
    nobody_on_duty(app)
    for i in range(60):
        assert numbers_in(phone(f"+86137000{i:05d}").reply(f"12号楼{101 + i}室 要米"))
    answers = phone(SUN_HONG).text("逾期")
    assert len(answers) == late.MAX_MESSAGES
    assert all(texts.segments(a) <= late.SEGMENTS_PER_SMS for a in answers)
    listed = [n for a in answers for n in numbers_in(a)]
    assert listed == sorted(listed) and len(set(listed)) == len(listed)  # oldest first, each once
    assert answers[-1].splitlines()[-1] == texts.t("zh", "coordinator.late_more", count=60 - len(listed))
    [english] = phone(SUN_HONG).text("LATE")[:1]  # GSM-7 holds more a segment
    assert len(numbers_in(english)) > len(numbers_in(answers[0]))


def test_late_is_the_coordinators_word(app, phone):
    assert phone(LI_WEI).reply("LATE") == texts.t("zh", "volunteer.words")
    assert "LATE" in phone(SUN_HONG).reply("hello?")  # the coordinator's help line has it
    assert "超时" in phone(SUN_HONG).reply("怎么回复来着")
    assert "LATE" not in phone(ZHANG_MIN).reply("hello?")
    assert phone(SUN_HONG).reply("HELP") == texts.t("en", "volunteer.words_coordinator")
    assert phone(LI_WEI).reply("帮助") == texts.t("zh", "volunteer.words")  # a volunteer's help is theirs


def test_a_residents_late_is_asked_after_their_requests(app, phone):
    [n] = numbers_in(phone(LIU).reply("要米"))
    assert numbers_in(phone(LIU).reply("超时了")) == [n]
