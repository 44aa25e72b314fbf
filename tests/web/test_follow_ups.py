"""Follow-ups attach: asking after an open request goes on its timeline, reminds its volunteer and,
the second time or in urgent words, raises it to the coordinators; never a new request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Request, RequestEvent
from tests.helpers import LIU, SUN_HONG, TOM, Phone, get_request, load_roster, numbers_in


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def nudges(app, number: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(RequestEvent.note).where(RequestEvent.request_id == number,
                                                                       RequestEvent.kind == "nudged")))


def requests_made(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Request.id)))


def volunteer_of(app, phone, number: int) -> Phone:
    return phone(get_request(app, number).volunteer.phone)


def test_asking_after_goes_on_the_timeline_and_reminds_the_volunteer(app, phone):
    [n] = numbers_in(phone(LIU).reply("要买米"))
    volunteer = volunteer_of(app, phone, n)
    before = len(volunteer.inbox())
    answer = phone(LIU).reply("怎么还没来")
    assert f"#{n}" in answer and "已提醒志愿者" in answer and requests_made(app) == 1
    assert nudges(app, n) == ["怎么还没来"]
    assert len(volunteer.inbox()) == before + 1 and f"#{n}" in volunteer.last() and "在问进度" in volunteer.last()
    assert not get_request(app, n).urgent and not any(f"#{n}" in m for m in phone(SUN_HONG).inbox())


def test_the_second_nudge_raises_it_to_the_coordinators(app, phone):
    [n] = numbers_in(phone(TOM).reply("I need rice"))
    phone(TOM).reply("any update?")
    answer = phone(TOM).reply("still nothing")
    assert "coordinator" in answer and requests_made(app) == 1
    assert get_request(app, n).urgent and len(nudges(app, n)) == 2
    assert f"#{n}" in phone(SUN_HONG).last() and "2" in phone(SUN_HONG).last()


def test_urgent_words_raise_it_at_once(app, phone):
    [n] = numbers_in(phone(LIU).reply("要买菜"))
    answer = phone(LIU).reply("菜还没到 家里已经一点吃的都没有了")
    assert "协调员" in answer and get_request(app, n).urgent and f"#{n}" in phone(SUN_HONG).last()


def test_an_english_resident_hears_the_volunteer_s_name_in_letters(app, phone):
    [n] = numbers_in(phone(TOM).reply("I need rice"))
    answer = phone(TOM).reply("when will my food arrive?")
    name = get_request(app, n).volunteer.name
    assert name.split()[0] in answer and answer.isascii()


def test_asking_after_with_nothing_open_files_nothing(app, phone):
    answer = phone(LIU).reply("我的菜呢")
    assert requests_made(app) == 0 and answer


def test_asking_after_one_request_by_its_number_nudges_that_one_and_answers_about_it(app, phone):
    [food] = numbers_in(phone(LIU).reply("要买米"))
    [medicine] = numbers_in(phone(LIU).reply("降压药吃完了 帮忙配药"))
    answer = phone(LIU).reply(f"#{medicine} 还没送来 是不是忘了")
    assert numbers_in(answer) == [medicine] and "已提醒志愿者" in answer
    assert nudges(app, medicine) and not nudges(app, food)


def test_where_a_request_stands_is_told_of_the_one_its_number_names(app, phone):
    [food] = numbers_in(phone(LIU).reply("要买米"))
    [medicine] = numbers_in(phone(LIU).reply("降压药吃完了 帮忙配药"))
    assert numbers_in(phone(LIU).reply(f"请问{food}号单子现在什么情况")) == [food]
    assert len(nudges(app, food)) == 1 and not nudges(app, medicine)
    assert numbers_in(phone(LIU).reply("我的单子都怎么样了")) == [food, medicine]
    assert numbers_in(phone(LIU).reply("#999 到哪了")) == [food, medicine]  # none of hers: where hers stand
