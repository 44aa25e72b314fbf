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
    coordinator.post("/admin/residents/check-in-round", {"flag": "alone"})  # 王阿姨's call, on the check-ins page
    return a, b


PAGES = ["/admin/", "/admin/act-now", "/admin/requests?status=", "/admin/requests/{a}", "/admin/requests/{b}",
         "/admin/requests/new", "/admin/volunteers", "/admin/volunteers/1", "/admin/residents", "/admin/residents/1",
         "/admin/outbox", "/admin/manifest", "/admin/numbers", "/admin/broadcast", "/admin/broadcast/{scheduled}",
         "/admin/broadcast/{stopped}", "/admin/residents?flag=elderly&silent=3&building=12", "/admin/check-ins",
         "/admin/residents/broadcast?flag=elderly"]
PARTS = ["/admin/numbers/day"]  # fetched by a page after itself, with no title of their own


def broadcasts(coordinator) -> dict[str, str]:
    """A group buy scheduled for the evening, and an announcement stopped while it was sending: their keys."""
    keys = {}
    for name, extra in (("scheduled", {"send_at": "2022-04-12T18:00", "offer_item": "鸡蛋",
                                       "offer_deadline": "2022-04-13T12:00"}), ("stopped", {})):
        page = coordinator.get("/admin/broadcast").get_data(as_text=True)
        key = re.search(r'name="broadcast_id" type="hidden" value="([0-9a-f]{12})"', page).group(1)
        coordinator.post("/admin/broadcast", {"broadcast_id": key, "text_zh": "明天发菜", "buildings": ["5", "12"],
                                              "by_sms": "y", "action": "send", **extra})
        keys[name] = key
    coordinator.post(f"/admin/broadcast/{keys['stopped']}/stop")
    return keys


def test_every_admin_page_in_chinese_has_no_english_left(coordinator, compound):
    a, b = compound
    keys = broadcasts(coordinator)
    found = {}
    for path in PAGES + PARTS:
        response = coordinator.get(path.format(a=a, b=b, **keys))
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert path in PARTS or re.search(r"<title>[^<]*[\u4e00-\u9fff]", page), path
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
