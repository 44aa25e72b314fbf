"""Volunteers and residents on the admin pages: lists, search, edits, duty and load, CSV import and export."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Resident, Status, Volunteer
from tests.helpers import LI_WEI, LIU, TOM, ZHANG_MIN, get_request, load_roster, numbers_in


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def volunteer(app, phone: str) -> Volunteer:
    with app.app_context():
        v = db.session.scalars(select(Volunteer).where(Volunteer.phone == phone)).one()
        _ = v.buildings
        db.session.expunge_all()
        return v


def upload(actions, path: str, content: str | bytes, name: str = "roster.csv", follow: bool = True):
    """Post a CSV file to an import, and follow the redirect to the page that reports it."""
    data = content.encode() if isinstance(content, str) else content
    return actions.post(path, {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data",
                        follow_redirects=follow)


def test_volunteers_are_listed_with_buildings_duty_and_load(app, coordinator, phone):
    phone("+8613700001111").reply("12号楼302 要米")
    page = text(coordinator.get("/admin/volunteers"))
    assert "Li Wei" in page and "Sun Hong" in page and LI_WEI in page
    li = volunteer(app, LI_WEI)
    row = re.search(rf'<tr data-volunteer="{li.id}">(.*?)</tr>', page, re.S).group(1)
    assert 'class="load">1<' in row and "12" in row


def test_volunteers_are_searched_by_name_phone_and_building(coordinator):
    def names(q):
        return set(re.findall(r"<td data-label=\"[^\"]+\">([A-Z][a-z]+ [A-Z][a-z]+)", text(
            coordinator.get("/admin/volunteers", query_string={"q": q}))))

    assert names("zhang") == {"Zhang Min"}
    assert names("13") == {"Zhang Min"}  # building 13
    assert names("0000 0121") == set() or names("00000121") == {"Li Wei"}
    assert names("00000121") == {"Li Wei"}


def test_import_reports_bad_rows_by_line_and_imports_the_good_ones(app, coordinator):
    content = (
        "name,phone,buildings,languages,role\n"
        "New Person,13900000999,14,zh,volunteer\n"
        ",13900000998,14,zh,volunteer\n"
        "Far Away,13900000997,99,zh,volunteer\n"
        "=HYPERLINK(\"x\"),13900000996,15,zh,volunteer\n"
        "\"-2+3+cmd|' /C calc'!A0\",13900000995,15,zh,volunteer\n"
    )
    response = upload(coordinator, "/admin/volunteers/import", content)
    page = text(response)
    assert response.status_code == 200
    assert re.search(r"第 3 行|Line 3", page) and re.search(r"第 4 行|Line 4", page)
    assert "姓名为空" in page and "楼号“99”不是本小区的楼" in page
    with app.app_context():
        names = set(db.session.scalars(select(Volunteer.name)))
    assert {"New Person", '=HYPERLINK("x")'} <= names and "Far Away" not in names
    export = text(coordinator.get("/admin/volunteers.csv")).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(export)))
    assert list(rows[0]) == ["姓名", "电话", "负责楼号", "所说语言", "角色", "值班"]  # the page's language
    assert any(r["姓名"] == "'=HYPERLINK(\"x\")" for r in rows)  # a spreadsheet will not run it
    assert any(r["姓名"] == "'-2+3+cmd|' /C calc'!A0" for r in rows)  # nor a formula after a sign
    assert any(r["电话"] == LI_WEI and r["负责楼号"] == "12" for r in rows)  # a bare E.164 number: no quote shown


def test_an_import_without_a_file_or_with_a_bad_header_says_so(app, coordinator):
    assert coordinator.post("/admin/volunteers/import", {}, content_type="multipart/form-data").status_code == 400
    page = text(upload(coordinator, "/admin/volunteers/import", "who,what\nx,y\n"))
    assert "缺少列：name, phone, buildings, languages, role" in page


def test_exported_volunteers_import_back_unchanged(app, coordinator):
    upload(coordinator, "/admin/volunteers/import", "name,phone,buildings,languages,role\n-1+cmd,13900000995,15,zh,\n")
    before = people(app, Volunteer)
    export = coordinator.get("/admin/volunteers.csv").data
    page = text(upload(coordinator, "/admin/volunteers/import", export))
    assert re.search(r"新增 0 条，更新 6 条，拒绝 0 条|0 added, 6 updated, 0 rejected", page)
    assert people(app, Volunteer) == before and ("-1+cmd", "+8613900000995") in before


def test_exported_residents_import_back_unchanged(app, coordinator):
    before = people(app, Resident)
    export = coordinator.get("/admin/residents.csv").data
    page = text(upload(coordinator, "/admin/residents/import", export))
    assert re.search(r"新增 0 条，更新 3 条，拒绝 0 条|0 added, 3 updated, 0 rejected", page)
    assert people(app, Resident) == before


def people(app, model) -> set[tuple[str, str]]:
    with app.app_context():
        return {tuple(row) for row in db.session.execute(select(model.name, model.phone))}


def test_editing_a_volunteer_checks_the_number_and_the_buildings(app, coordinator):
    li = volunteer(app, LI_WEI)
    form = {"name": "Li Wei", "phone": "139 0000 0121", "buildings": "12;14", "languages": ["zh", "en"],
            "role": "volunteer"}
    assert coordinator.post(f"/admin/volunteers/{li.id}", {**form, "buildings": "12;99"}).status_code == 400
    assert coordinator.post(f"/admin/volunteers/{li.id}", {**form, "phone": ZHANG_MIN}).status_code == 400
    assert coordinator.post(f"/admin/volunteers/{li.id}", {**form, "buildings": ""}).status_code == 400
    assert coordinator.post(f"/admin/volunteers/{li.id}", form).status_code == 302
    li = volunteer(app, LI_WEI)
    assert [b.building for b in li.buildings] == [12, 14] and li.languages == "zh;en"


def test_going_off_duty_hands_requests_on_and_tells_the_volunteer(app, coordinator, phone):
    [n] = numbers_in(phone("+8613700001111").reply("12号楼302 要米"))
    li = volunteer(app, LI_WEI)
    response = coordinator.post(f"/admin/volunteers/{li.id}/duty", {"on_duty": "0"})
    assert response.status_code == 302
    assert not volunteer(app, LI_WEI).on_duty
    r = get_request(app, n)
    assert r.volunteer.phone == ZHANG_MIN and r.status == Status.ASSIGNED
    assert "handed_on" in [e.kind for e in r.events]
    assert numbers_in(phone(ZHANG_MIN).last()) == [n]
    assert "ON" in phone(LI_WEI).last() or "上班" in phone(LI_WEI).last()
    coordinator.post(f"/admin/volunteers/{li.id}/duty", {"on_duty": "1"})
    assert volunteer(app, LI_WEI).on_duty


def test_residents_show_health_flags_to_coordinators_only(app, coordinator, viewer):
    mine = text(coordinator.get("/admin/residents"))
    theirs = text(viewer.get("/admin/residents"))
    assert "慢性病" in mine or "Chronic" in mine
    assert "慢性病" not in theirs and "Chronic" not in theirs and "flag-chronic" not in theirs
    assert "flag-elderly" in theirs
    assert LIU in mine and LIU not in theirs and LIU[-4:] in theirs


def test_residents_are_searched_imported_and_exported(app, coordinator):
    def rows(q):
        return re.findall(r'data-resident="(\d+)"', text(coordinator.get("/admin/residents", query_string={"q": q})))

    assert len(rows("Tom")) == 1 and len(rows("7-1101")) == 1 and len(rows("5")) == 1 and len(rows("")) == 3
    content = "name,phone,building,room,language,flags\n新住户,13700005555,3,101,zh,elderly\nBad,123,3,101,zh,\n"
    page = text(upload(coordinator, "/admin/residents/import", content))
    assert "第 3 行: 电话“123”不是有效的电话号码" in page
    export = text(coordinator.get("/admin/residents.csv")).lstrip("\ufeff")
    found = {r["姓名"]: r for r in csv.DictReader(io.StringIO(export))}
    assert found["新住户"]["标记"] == "elderly" and found["刘伯伯"]["标记"] == "elderly;chronic"
    assert found[next(n for n in found if n.startswith("Tom"))]["电话"] == TOM


def test_editing_a_resident_moves_them_and_sets_flags(app, coordinator):
    with app.app_context():
        rid = db.session.scalar(select(Resident.id).where(Resident.phone == TOM))
    form = {"name": "Tom Baker", "phone": TOM, "building": "8", "room": "202", "language": "en",
            "flags": ["alone"], "prefers_voice": "y"}
    assert coordinator.post(f"/admin/residents/{rid}", {**form, "phone": LIU}).status_code == 400
    assert coordinator.post(f"/admin/residents/{rid}", form).status_code == 302
    with app.app_context():
        tom = db.session.get(Resident, rid)
        assert (tom.household.label, tom.alone, tom.elderly, tom.prefers_voice) == ("8-202", True, False, True)


def test_viewers_cannot_edit_import_or_export_people(app, viewer):
    li = volunteer(app, LI_WEI)
    assert viewer.get(f"/admin/volunteers/{li.id}").status_code == 403
    assert viewer.post(f"/admin/volunteers/{li.id}/duty", {"on_duty": "0"}).status_code == 403
    assert volunteer(app, LI_WEI).on_duty
    assert viewer.get("/admin/volunteers.csv").status_code == 403
    assert viewer.get("/admin/residents.csv").status_code == 403
    assert upload(viewer, "/admin/residents/import", "name,phone,building,room,language,flags\n").status_code == 403
    page = text(viewer.get("/admin/volunteers"))
    assert "/duty" not in page and "volunteers/import" not in page
