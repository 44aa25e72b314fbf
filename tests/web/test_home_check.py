"""The roster knows better: a known resident who writes a building or room unlike their own is asked
once which they mean, unless they clearly write for someone else."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline import texts
from hotline.extensions import db
from hotline.models import Request
from tests.helpers import (
    LI_WEI,
    LIU,
    RESIDENTS_CSV,
    SUN_HONG,
    TOM,
    VOLUNTEERS_CSV,
    get_request,
    load_roster,
    numbers_in,
)

GU = "+8613800001302"  # 顾阿姨, 12-302, on the roster, texts in Chinese


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app, VOLUNTEERS_CSV, RESIDENTS_CSV + f"顾阿姨,{GU},12,302,zh,elderly\n")


def requests_made(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Request.id)))


def asked(lang: str, building: int, room: str) -> str:
    return texts.t(lang, "sms.confirm_home", building=building, room=room)


@pytest.mark.parametrize("yes", ["1", "是", "对的", "好的", "１"])
def test_a_voice_typing_slip_is_asked_once_and_yes_files_it_for_the_roster_household(app, phone, yes):
    question = phone(GU).reply("是二号楼302室 要买菜")  # 十二号楼, as voice typing heard it
    assert question == asked("zh", 12, "302") and "回复1是，2不是" in question
    assert requests_made(app) == 0
    [n] = numbers_in(phone(GU).reply(yes))
    r = get_request(app, n)
    assert r.household.label == "12-302" and r.resident.phone == GU and r.category == "food"
    assert r.details == "是二号楼302室 要买菜" and r.volunteer.phone == LI_WEI


@pytest.mark.parametrize("no", ["2", "不是", "不对", "no"])
def test_no_files_it_for_the_address_written(app, phone, no):
    assert phone(GU).reply("2号楼302室 要买菜") == asked("zh", 12, "302")
    answer = phone(GU).reply(no)
    [n] = numbers_in(answer)
    assert get_request(app, n).household.label == "2-302"
    assert not answer.isascii()  # a bare "no" is answered in the resident's language


def test_an_english_resident_is_asked_in_english_and_a_bare_yes_answers_it(app, phone):
    question = phone(TOM).reply("I need rice and eggs, Bldg 1 Rm 1101")
    assert question == asked("en", 7, "1101") and question.isascii()
    [answer] = phone(TOM).text("YES")  # Twilio's opt-in word, and here the answer to our question
    [n] = numbers_in(answer)
    r = get_request(app, n)
    assert r.household.label == "7-1101" and r.language == "en" and answer.isascii()


def test_a_yes_that_answers_nothing_is_still_twilios_to_answer(phone):
    assert phone(TOM).text("YES") == []


def test_a_slip_in_the_room_is_asked_too_and_no_keeps_the_room_in_their_own_building(app, phone):
    assert phone(LIU).reply("1211室 降压药吃完了") == asked("zh", 5, "1201")
    [n] = numbers_in(phone(LIU).reply("2"))
    assert get_request(app, n).household.label == "5-1211"


def test_the_building_alone_is_confirmed_with_one_key(app, phone):
    assert phone(GU).reply("12号楼 要米") == asked("zh", 12, "302")
    [n] = numbers_in(phone(GU).reply("1"))
    assert get_request(app, n).household.label == "12-302"


def test_no_to_an_address_without_a_room_asks_for_the_room(app, phone):
    assert phone(GU).reply("二号楼 要米") == asked("zh", 12, "302")
    answer = phone(GU).reply("不是")
    assert answer == texts.t("zh", "sms.ask_room") and requests_made(app) == 0
    [n] = numbers_in(phone(GU).reply("302"))
    assert get_request(app, n).household.label == "2-302"


def test_no_to_a_building_not_in_the_compound_says_so(app, phone):
    assert phone(LIU).reply("40号楼101 要米") == asked("zh", 5, "1201")  # no longer filed as 5-101
    answer = phone(LIU).reply("2")
    assert "40" in answer and not numbers_in(answer) and requests_made(app) == 0
    [n] = numbers_in(phone(LIU).reply("14号楼101"))
    assert get_request(app, n).household.label == "14-101"


def test_answering_with_an_address_files_it_there(app, phone):
    assert phone(GU).reply("2号楼302 要米") == asked("zh", 12, "302")
    [n] = numbers_in(phone(GU).reply("不是，是5号楼1202"))
    assert get_request(app, n).household.label == "5-1202"


def test_an_unclear_answer_is_asked_again(app, phone):
    assert phone(GU).reply("2号楼302 要米") == asked("zh", 12, "302")
    assert phone(GU).reply("啥意思") == asked("zh", 12, "302")
    [n] = numbers_in(phone(GU).reply("对"))
    assert get_request(app, n).household.label == "12-302"


@pytest.mark.parametrize(("text", "home"), [
    ("我妈住5号楼1201 降压药明天吃完了", "5-1201"),  # a relative: parsed.for_other
    ("感谢 阿拉对门老太也要买菜 12号楼301", "12-301"),  # a neighbour: lexicon/households.tsv
    ("楼下的老伯伯也要买菜 12号楼202 他不会发短信", "12-202"),
    ("The old lady who lives upstairs has no food, 12-402", "12-402"),
])
def test_writing_for_someone_else_asks_nothing(app, phone, text, home):
    [n] = numbers_in(phone(GU).reply(text))
    assert get_request(app, n).household.label == home


def test_the_roster_address_written_asks_nothing(app, phone):
    [n] = numbers_in(phone(GU).reply("12号楼302室 要买菜"))
    assert get_request(app, n).household.label == "12-302"


def test_an_emergency_is_never_held_for_the_question(app, phone):
    replies = phone(GU).text("是二号楼302 我老伴摔倒了 起不来")
    [n] = [m for r in replies for m in numbers_in(r)]
    r = get_request(app, n)
    assert r.emergency and r.household.label == "2-302" and f"#{n}" in phone(SUN_HONG).last()


def test_volunteers_texting_for_households_are_never_asked(app, phone):
    load_roster(app, "name,phone,buildings,languages,role\n",
                "name,phone,building,room,language,flags\n李伟,+86 139 0000 0121,12,501,zh,\n")
    [n] = numbers_in(phone(LI_WEI).reply("12号楼302 要米"))
    assert get_request(app, n).household.label == "12-302"
