"""A repeat is no second job: a new message for a flat and kind with a request open is made, folded
into the open request at once (its words added, both timelines saying so), flagged to the coordinators
as a likely repeat, and never sent to a second volunteer; the resident hears the open request's number
and where it stands. Another kind, another flat, and urgent words always go through, unless what is open for the
flat and kind is urgent too: an urgent need sent again, or another of the kind, joins it. Emergencies and grave
words always go through."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline import texts
from hotline.domain import requests
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Outbox, Request, Status
from tests.helpers import (
    LI_WEI,
    LIU,
    SUN_HONG,
    TOM,
    WANG_FANG,
    ZHANG_MIN,
    coordinator_on_page,
    get_request,
    load_roster,
    numbers_in,
)

STRANGER = "+8613700004444"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def numbers(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Request.id).order_by(Request.id)))


def sent_to(app, phone: str) -> list[str]:
    """Every message queued to `phone` (the TwiML answers aside)."""
    with app.app_context():
        return list(db.session.scalars(select(Outbox.body).where(Outbox.to == phone, Outbox.delivery_status
                                                                 .is_distinct_from("twiml")).order_by(Outbox.id)))


def test_a_repeat_is_folded_into_the_open_request_and_reaches_no_second_volunteer(app, phone):
    [n] = numbers_in(phone(LIU).reply("要买米"))
    phone(WANG_FANG).reply(f"OK {n}")
    volunteer_before, coordinator_before = len(sent_to(app, WANG_FANG)), len(sent_to(app, SUN_HONG))
    answer = phone(LIU).reply("还要两斤鸡蛋")
    [_, repeat] = numbers(app)
    assert set(numbers_in(answer)) == {n} and "志愿者已接单" in answer and texts.segments(answer) == 1
    folded, kept = get_request(app, repeat), get_request(app, n)
    assert folded.status == Status.CANCELLED and folded.volunteer is None and folded.closed_at
    assert [e.kind for e in folded.events] == ["created", "merged", "cancelled"]
    assert folded.events[1].note == f"#{n}" and folded.events[1].actor_kind == "system"
    assert kept.status == Status.ACCEPTED and kept.volunteer.phone == WANG_FANG
    assert kept.events[-1].kind == "merged_in" and kept.events[-1].note == f"#{repeat} 还要两斤鸡蛋"
    assert kept.details == "要买米\n还要两斤鸡蛋"
    [added] = sent_to(app, WANG_FANG)[volunteer_before:]  # its volunteer reads what was added, once
    assert f"#{n}" in added and "还要两斤鸡蛋" in added
    [flagged] = sent_to(app, SUN_HONG)[coordinator_before:]
    assert f"#{repeat}" in flagged and f"#{n}" in flagged and "可能重复" in flagged and "还要两斤鸡蛋" in flagged


def test_a_repeat_in_english_is_answered_in_english_with_the_status(app, phone):
    [n] = numbers_in(phone(TOM).reply("I need rice"))
    answer = phone(TOM).reply("could you also bring some milk?")
    assert set(numbers_in(answer)) == {n} and "with a volunteer" in answer and texts.segments(answer) == 1
    assert len(numbers(app)) == 2 and get_request(app, numbers(app)[1]).status == Status.CANCELLED
    assert "milk" in get_request(app, n).details


def test_a_repeat_of_a_request_nobody_has_yet_waits_with_it(app, phone):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    holder = get_request(app, n).volunteer.phone
    other = ZHANG_MIN if holder == LI_WEI else LI_WEI
    before = len(sent_to(app, other))
    phone(STRANGER).reply("12号楼302室 还要买菜 鸡蛋")
    assert len(sent_to(app, other)) == before  # the building's other volunteer hears nothing
    assert "鸡蛋" in sent_to(app, holder)[-1] and get_request(app, n).status == Status.ASSIGNED


@pytest.mark.parametrize(("first", "then"), [
    ("要买米", "降压药快吃完了 还能吃一个礼拜"),  # another kind
    ("要买米", "对门5号楼1202也要买米"),  # another flat
    ("要买米", "家里的米吃完了 急"),  # urgent words
    ("要买米", "我爸摔倒了 起不来"),  # an emergency
])
def test_another_kind_another_flat_and_urgent_words_always_go_through(app, phone, first, then):
    [n] = numbers_in(phone(LIU).reply(first))
    phone(LIU).text(then)
    [_, made] = numbers(app)
    again = get_request(app, made)
    assert again.status != Status.CANCELLED and again.volunteer is not None
    assert [e.kind for e in get_request(app, n).events if e.kind == "merged_in"] == []


def test_an_urgent_need_sent_again_joins_the_urgent_request_open_and_tells_its_volunteer_nothing_twice(app, phone):
    [n] = numbers_in(phone(LIU).reply("降压药今天吃完了 急"))
    assert get_request(app, n).urgent
    holder = get_request(app, n).volunteer.phone
    before = len(sent_to(app, holder))
    answer = phone(LIU).reply("降压药今天吃完了 急")  # sent again: no answer seen yet, or no patience left
    [_, again] = numbers(app)
    assert set(numbers_in(answer)) == {n} and get_request(app, again).status == Status.CANCELLED
    assert sent_to(app, holder)[before:] == []  # the same words: nothing new for the volunteer
    assert get_request(app, n).details == "降压药今天吃完了 急" and get_request(app, n).status == Status.ASSIGNED
    phone(LIU).reply("胰岛素也只剩今晚一针了")  # another urgent need of the kind: the same trip
    assert len(numbers(app)) == 3 and get_request(app, numbers(app)[2]).status == Status.CANCELLED
    [added] = sent_to(app, holder)[before:]
    assert f"#{n}" in added and "胰岛素" in added and "胰岛素" in get_request(app, n).details


@pytest.mark.parametrize("then", [
    "我爸摔倒了 起不来 快来人",  # an emergency
    "降压药吃完了 我爸胸口痛 喘不上气 出冷汗",  # an emergency of the same kind as the request open
    "降压药吃完了 我也不想活了",  # crisis words
])
def test_an_emergency_or_grave_words_go_through_though_an_urgent_request_is_open(app, phone, then):
    [n] = numbers_in(phone(LIU).reply("降压药今天吃完了 急"))
    phone(LIU).text(then)
    made = numbers(app)[-1]
    assert made != n and get_request(app, made).status != Status.CANCELLED
    assert [e.kind for e in get_request(app, n).events if e.kind == "merged_in"] == []


def test_grave_words_asked_where_still_go_through_when_the_flat_is_given(app, phone):
    """Grave words in a need that names no flat: asked where, and the flat given in the next message is one with an
    urgent request of that kind open; the need is a request of its own all the same."""
    [n] = numbers_in(phone(LIU).reply("降压药今天吃完了 急"))
    asked = phone(STRANGER).reply("降压药吃完了 老伴头磕破了 地上有血")
    assert not numbers_in(asked)  # where?
    [made] = numbers_in(phone(STRANGER).reply("5号楼1201"))
    assert made != n and get_request(app, made).status != Status.CANCELLED and get_request(app, made).urgent
    assert [e.kind for e in get_request(app, n).events if e.kind == "merged_in"] == []


def test_a_request_closed_already_is_no_request_to_repeat(app, phone):
    [n] = numbers_in(phone(LIU).reply("要买米"))
    phone(WANG_FANG).reply(f"DONE {n}")
    [m] = numbers_in(phone(LIU).reply("要买米"))
    assert m != n and get_request(app, m).status == Status.ASSIGNED


def test_a_coordinator_who_finds_it_no_repeat_restores_it_to_a_volunteer(app, phone):
    [n] = numbers_in(phone(LIU).reply("要买米"))
    phone(LIU).reply("还要一袋面粉")
    [_, repeat] = numbers(app)
    with app.app_context():
        request = db.session.get(Request, repeat)
        requests.restore(db.session, Policy.from_config(app.config), request, coordinator_on_page(db.session),
                         "not a repeat")
        db.session.commit()
    assert get_request(app, repeat).status == Status.ASSIGNED and get_request(app, repeat).volunteer.phone == WANG_FANG


@pytest.mark.parametrize(("status", "shown"), [("状态", "志愿者已接单"), ("我的菜怎么还没到", "志愿者")])
def test_status_after_a_folded_repeat_shows_the_open_request_not_a_cancelled_one(app, phone, status, shown):
    [n] = numbers_in(phone(LIU).reply("要买米"))
    phone(WANG_FANG).reply(f"OK {n}")
    phone(LIU).reply("还要两斤鸡蛋")
    [_, repeat] = numbers(app)
    answer = phone(LIU).reply(status)
    assert numbers_in(answer) == [n] and shown in answer and "取消" not in answer
    assert get_request(app, repeat).status == Status.CANCELLED
