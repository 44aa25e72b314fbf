"""The manifest: items counted from what people wrote, in both languages, per building; printable and CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from hotline.domain.manifest import count_items
from hotline.models import EventKind, Via
from tests.helpers import TOM, get_request, load_roster, numbers_in


@pytest.mark.parametrize(("details", "expected"), [
    ("大米一袋，鸡蛋十个", {"rice": 1, "eggs": 10}),
    ("I need rice, eggs and milk, please", {"rice": 1, "eggs": 1, "milk": 1}),
    ("2 bags of rice, 30 eggs", {"rice": 2, "eggs": 30}),
    ("三十个鸡蛋 两盒牛奶", {"eggs": 30, "milk": 2}),
    ("鸡蛋30个，米５斤", {"eggs": 30, "rice": 5}),
    ("eggs x12, rice ×2", {"eggs": 12, "rice": 2}),
    ("2 dozen eggs and a loaf of bread", {"eggs": 24, "bread": 1}),
    ("想要泡面和方便面", {"noodles": 2}),
    ("买菜，青菜两把", {"vegetables": 3}),
    ("奶粉2罐 酸奶三盒", {"formula": 2, "yogurt": 3}),
    ("12号楼302室 要米", {"rice": 1}),  # the room is no quantity
    ("Bldg 12 Rm 302, need milk", {"milk": 1}),
    ("降压药 明天就吃完了", {"bp_medicine": 1}),
    ("insulin and paracetamol", {"insulin": 1, "paracetamol": 1}),
    ("蛋糕 玉米", {}),
    ("", {}),
])
def test_items_are_counted_from_what_people_wrote(details, expected):
    assert dict(count_items(details)) == expected


def test_a_drug_named_apart_from_the_details_counts_once():
    assert dict(count_items("降压药快吃完了", drug="降压药")) == {"bp_medicine": 1}
    assert dict(count_items("my pills", drug="amlodipine")) == {"bp_medicine": 1}


@pytest.fixture
def asked(app, clock, phone):
    load_roster(app)
    phone("+8613700000001").reply("12号楼101 大米一袋，鸡蛋十个")
    phone("+8613700000002").reply("12号楼102 rice 2 bags, 30 eggs")
    phone("+8613700000003").reply("7号楼201 milk please")
    phone("+8613700000004").reply("7号楼202 need someone to help carry boxes")


def test_the_manifest_adds_up_each_building_in_the_page_language(coordinator, asked):
    page = coordinator.get("/admin/manifest", query_string={"lang": "en"}).get_data(as_text=True)
    b12 = page[page.index('data-building="12"'):]
    assert "rice</span> <span class=\"qty\">×3" in b12 and "eggs</span> <span class=\"qty\">×40" in b12
    assert "milk" in page[page.index('data-building="7"'):page.index('data-building="12"')]
    chinese = coordinator.get("/admin/manifest", query_string={"lang": "zh"}).get_data(as_text=True)
    assert "大米</span> <span class=\"qty\">×3" in chinese and "鸡蛋" in chinese
    only7 = coordinator.get("/admin/manifest", query_string={"building": 7}).get_data(as_text=True)
    assert 'data-building="12"' not in only7


def test_the_manifest_downloads_as_csv(coordinator, asked):
    response = coordinator.get("/admin/manifest.csv", query_string={"lang": "en"})
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    found = {(r["building"], r["item"]): int(r["quantity"]) for r in rows}
    assert found[("12", "rice")] == 3 and found[("12", "eggs")] == 40 and found[("7", "milk")] == 1


def test_viewers_may_read_the_manifest(viewer, asked):
    assert viewer.get("/admin/manifest").status_code == 200
    assert viewer.get("/admin/manifest.csv").status_code == 200


@pytest.fixture
def lines(app, clock, phone):
    """Building 7's flats ask in both languages; Tom Baker (1101) is a known resident."""
    load_roster(app)
    numbers = [numbers_in(phone("+8613700000021").reply("7号楼1201 大米两袋，鸡蛋30个"))[0],
               numbers_in(phone(TOM).reply("I need milk and 6 eggs please"))[0],
               numbers_in(phone("+8613700000022").reply("7号楼202 降压药快吃完了"))[0],
               numbers_in(phone("+8613700000023").reply("7号楼303 食物不够了"))[0]]
    return numbers


def rows(page: str) -> list[dict[str, str]]:
    """The manifest's lines, as the page has them: one dict per line, by column class."""
    found = []
    for row in re.findall(r'<tr data-number="\d+">(.*?)</tr>', page, re.DOTALL):
        cells = dict(re.findall(r'<td class="(\w+)"[^>]*>(.*?)</td>', row, re.DOTALL))
        found.append({k: " ".join(re.sub(r"<[^>]+>", " ", v).split()) for k, v in cells.items()})
    return found


def test_each_line_has_room_name_quantity_paid_and_note_by_room(coordinator, lines):
    page = coordinator.get("/admin/manifest", query_string={"building": 7, "lang": "en"}).get_data(as_text=True)
    found = rows(page)
    assert [r["room"] for r in found] == ["202", "303", "1101", "1201"]  # rooms as numbers, not as text
    tom = found[2]
    assert tom["name"] == "Tom Baker" and tom["quantity"] == "eggs×6, milk×1" and "milk and 6 eggs" in tom["note"]
    assert found[3]["quantity"] == "rice×2, eggs×30" and found[0]["quantity"] == "blood-pressure medicine×1"
    assert found[1]["quantity"] == "-" and found[1]["note"] == "7号楼303 食物不够了"
    assert all(r["paid"].startswith("☐ Not paid") for r in found)
    assert "Totals · 4 requests · 1 to read by hand · 0 paid" in re.sub(r"\s+", " ", page)


def test_a_viewer_reads_first_names_and_cannot_tick_paid(viewer, lines):
    page = viewer.get("/admin/manifest", query_string={"building": 7, "lang": "en"}).get_data(as_text=True)
    assert rows(page)[2]["name"] == "Tom"  # as the volunteer's SMS names him
    assert "/admin/manifest/paid/" not in page
    assert viewer.post(f"/admin/manifest/paid/{lines[0]}", {"paid": "1"}).status_code == 403


def test_a_coordinator_ticks_a_line_paid_and_the_timeline_says_who(app, coordinator, lines):
    first = lines[0]
    back = "/admin/manifest?building=7"
    response = coordinator.post(f"/admin/manifest/paid/{first}", {"paid": "1", "back": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    r = get_request(app, first)
    assert r.paid and [(e.kind, e.channel, e.actor_user_id is not None) for e in r.events][-1] == (
        EventKind.MARKED_PAID, Via.ADMIN, True)
    page = coordinator.get(back + "&lang=zh").get_data(as_text=True)
    assert rows(page)[3]["paid"].startswith("☑ 已付款") and "1 条已付款" in page
    coordinator.post(f"/admin/manifest/paid/{first}", {"paid": "1"})  # again: nothing more written
    assert len(get_request(app, first).events) == len(r.events)
    coordinator.post(f"/admin/manifest/paid/{first}", {"paid": "0"})
    assert not get_request(app, first).paid and get_request(app, first).events[-1].kind == EventKind.MARKED_NOT_PAID


@pytest.mark.parametrize(("path", "form", "status"), [
    ("/admin/manifest/paid/{n}", {"paid": "yes"}, 302),  # no such value: told, nothing changed
    ("/admin/manifest/paid/{n}", {"paid": "1", "back": "https://example.com/"}, 302),  # not followed off site
    ("/admin/manifest/paid/99999999", {"paid": "1"}, 404),
    ("/admin/manifest/paid/0", {"paid": "1"}, 404),
    ("/admin/manifest/paid/{n}", {"paid": "1", "csrf_token": "forged"}, 400),
])
def test_bad_paid_ticks_change_nothing(app, coordinator, lines, path, form, status):
    n = lines[0]
    response = coordinator.post(path.format(n=n), form)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/admin/manifest")
    assert get_request(app, n).paid is (form == {"paid": "1", "back": "https://example.com/"})
