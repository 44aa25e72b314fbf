"""Every admin page in Chinese has no English words left in it (brand names and codes aside): labels,
timeline lines, flash messages, import errors, page titles and chart labels all come from the catalogs."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Volunteer
from tests.helpers import load_roster, numbers_in

VOLUNTEERS = """name,phone,buildings,languages,role
李伟,+8613900000121,12,zh,volunteer
张敏,13900000122,12;13,zh,volunteer
孙红,+8613900000001,,zh,coordinator
"""
RESIDENTS = """name,phone,building,room,language,flags
刘伯伯,138 0013 8000,5,1201,zh,elderly;chronic
王阿姨,+86 21 6000 1234,12,302,zh,elderly;alone
"""
# Words that stay as they are in a Chinese page: brand names, codes, the language switch, user names.
ALLOWED = {"SMS", "CSV", "English", "sun", "E.164", "zh", "en", "Twilio"}  # names and codes
SHOWN = re.compile(r'(?:title|aria-label|placeholder|alt|data-confirm|data-alarm|data-notify-title)="([^"]*)"')


def english_words(page: str) -> set[str]:
    """The Latin-letter words a person reads on the page: its text, and the attributes that are shown or said."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    text = re.sub(r"<[^>]+>", " ", page) + " " + " ".join(SHOWN.findall(page))
    return {w for w in re.findall(r"[A-Za-z][A-Za-z.]+", html.unescape(text)) if w not in ALLOWED}


@pytest.fixture
def compound(app, clock, phone, coordinator):
    """A Chinese compound with a request of each kind the pages show, a question and a delivery."""
    load_roster(app, VOLUNTEERS, RESIDENTS)
    [a] = numbers_in(phone("+8613700001111").reply("12号楼302室 要大米两袋，鸡蛋30个"))
    [b] = numbers_in(phone("+8613700002222").reply("5号楼1201 老人摔倒了起不来"))
    numbers_in(phone("+8613700003333").reply("12号楼302室 需要买面条"))
    phone("+8613700004444").reply("小区什么时候解封？")
    phone("+8613900000121").reply(f"接 {a}")
    coordinator.post(f"/admin/requests/{b}/act", {"action": "no_answer"})
    with app.app_context():
        li = db.session.scalar(select(Volunteer.id).where(Volunteer.phone == "+8613900000121"))
    coordinator.post(f"/admin/volunteers/{li}/duty", {"on_duty": "0"})
    return a, b


PAGES = ["/admin/", "/admin/act-now", "/admin/requests?status=", "/admin/requests/{a}", "/admin/requests/{b}",
         "/admin/requests/new", "/admin/volunteers", "/admin/volunteers/1", "/admin/residents", "/admin/residents/1",
         "/admin/outbox", "/admin/manifest", "/admin/numbers", "/admin/broadcast"]


def test_every_admin_page_in_chinese_has_no_english_left(coordinator, compound):
    a, b = compound
    found = {}
    for path in PAGES:
        response = coordinator.get(path.format(a=a, b=b))
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert "<title>" in page and re.search(r"<title>[^<]*[\u4e00-\u9fff]", page), path
        if words := english_words(page):
            found[path] = sorted(words)
    assert not found, found
    english = coordinator.get(f"/admin/requests/{b}?lang=en").get_data(as_text=True)
    assert {"Timeline", "Called", "answer"} <= english_words(english)  # the check reads what it should


def test_import_errors_and_flash_messages_are_chinese(coordinator, compound):
    content = "name,phone,building,room,language,flags\n新住户,12345,3,101,zh,\n"
    response = coordinator.post("/admin/residents/import", {"file": (io.BytesIO(content.encode()), "r.csv")},
                                content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "第 2 行: 电话“12345”不是有效的电话号码" in page and not english_words(page)
