"""Safe defaults on the admin pages: nothing preselected that a hurried tap would send, numbers that are
no phone numbers refused with their line, an import that a refresh does not post again, local dates."""

from __future__ import annotations

import io
import re

import pytest

from hotline.models import Status
from tests.helpers import get_request, load_roster


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def test_a_new_request_has_no_building_chosen_and_starts_as_new(app, coordinator):
    form = coordinator.get("/admin/requests/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="building".*?</select>', form, re.S).group(0)
    assert re.findall(r"<option selected[^>]*>([^<]*)<", select) == ["请选择楼号"]  # the empty choice, no building
    refused = coordinator.post("/admin/requests/new", {"building": "", "room": "302", "category": "food"})
    assert refused.status_code == 400 and "请填写" in refused.get_data(as_text=True)
    made = coordinator.post("/admin/requests/new", {"building": "12", "room": "302", "category": "food",
                                                    "language": "zh"})
    number = int(made.location.rsplit("/", 1)[1])
    r = get_request(app, number)
    assert r.events[0].kind == "created" and r.events[0].note == "" and r.status == Status.ASSIGNED
    assert coordinator.post("/admin/requests/new", {"building": "12", "room": "302", "category": "food",
                                                    "phone": "12345"}).status_code == 400


def test_an_import_refuses_numbers_nobody_has_and_a_refresh_posts_nothing(app, coordinator):
    content = "name,phone,building,room,language,flags\n新住户,13700005555,3,101,zh,\n短号,12345,3,102,zh,\n"
    posted = coordinator.post("/admin/residents/import", {"file": (io.BytesIO(content.encode()), "r.csv")},
                              content_type="multipart/form-data")
    assert posted.status_code == 302 and posted.location.endswith("/admin/residents")
    page = coordinator.get("/admin/residents").get_data(as_text=True)
    assert "新增 1 条，更新 0 条，拒绝 1 条" in page and "第 3 行: 电话“12345”不是有效的电话号码" in page
    again = coordinator.get("/admin/residents").get_data(as_text=True)  # a refresh: shown once, posted never
    assert "第 3 行" not in again and "新住户" in again


def test_exported_files_are_named_for_the_compounds_day(app, coordinator, clock):
    clock.advance(hours=14)  # 16:00 UTC on the 12th is past midnight in Shanghai: the 13th
    for path, name in (("/admin/residents.csv", "residents"), ("/admin/volunteers.csv", "volunteers"),
                       ("/admin/manifest.csv", "manifest")):
        coordinator.login("sun")
        disposition = coordinator.get(path).headers["Content-Disposition"]
        assert f'filename="{name}-20220413.csv"' in disposition, disposition
