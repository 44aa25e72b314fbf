"""The manifest: items counted from what people wrote, in both languages, per building; printable and CSV."""

from __future__ import annotations

import csv
import io

import pytest

from hotline.domain.manifest import count_items
from tests.helpers import load_roster


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
