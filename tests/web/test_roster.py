"""Importing volunteers and residents: good rows in, bad rows reported by line."""

from __future__ import annotations

from sqlalchemy import select

from hotline.domain import roster
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Resident, Role, Volunteer


def run(app, importer, text: str | bytes):
    with app.app_context():
        report = importer(
            db.session, Policy.from_config(app.config), text if isinstance(text, bytes) else text.encode()
        )
        db.session.commit()
        return report


def test_volunteers_import_normalises_numbers_and_keeps_file_order(app):
    report = run(
        app,
        roster.import_volunteers,
        """name,phone,buildings,languages,role
Li Wei,+86 139 0000 0121,12,zh,volunteer
Zhang Min,13900000122,12;13,zh;en,
Sun Hong,+8613900000001,,zh;en,coordinator
""",
    )
    assert (report.added, report.updated, report.errors) == (3, 0, [])
    with app.app_context():
        rows = db.session.scalars(select(Volunteer).order_by(Volunteer.rank)).all()
        assert [(v.name, v.phone, v.role) for v in rows] == [
            ("Li Wei", "+8613900000121", Role.VOLUNTEER),
            ("Zhang Min", "+8613900000122", Role.VOLUNTEER),
            ("Sun Hong", "+8613900000001", Role.COORDINATOR),
        ]
        assert [b.building for b in rows[1].buildings] == [12, 13] and rows[1].languages == "zh;en"


def test_bad_volunteer_rows_are_reported_by_line_and_good_rows_imported(app):
    report = run(
        app,
        roster.import_volunteers,
        """name,phone,buildings,languages,role
Good One,13900000001,1,zh,volunteer
,13900000002,1,zh,volunteer
No Phone,12,1,zh,volunteer
Far Away,13900000003,99,zh,volunteer
Odd Role,13900000004,1,zh,boss
Odd Language,13900000005,1,fr,volunteer
Nowhere,13900000006,,zh,volunteer
Twice,13900000001,2,zh,volunteer
Short,13900000007
Squared,13900000008,²,zh,volunteer
""",
    )
    assert report.added == 1
    assert [line for line, _ in report.errors] == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    reasons = dict(report.errors)
    assert "name" in reasons[3] and "phone" in reasons[4] and "99" in reasons[5] and "line 2" in reasons[9]


def test_reimport_updates_instead_of_duplicating(app):
    run(app, roster.import_volunteers, "name,phone,buildings,languages,role\nLi Wei,13900000121,12,zh,volunteer\n")
    report = run(
        app,
        roster.import_volunteers,
        "name,phone,buildings,languages,role\nLi Wei,+8613900000121,12;14,zh;en,volunteer\n",
    )
    assert (report.added, report.updated) == (0, 1)
    with app.app_context():
        v = db.session.scalars(select(Volunteer)).one()
        assert [b.building for b in v.buildings] == [12, 14]


def test_residents_import_with_flags_landlines_and_excel_encodings(app):
    text = """name,phone,building,room,language,flags
刘伯伯,138 0013 8000,5,1201,zh,elderly;chronic
Tom Baker,+86 139 1234 5678,7,1101,EN,
王阿姨,+86 21 6000 1234,12,302,zh,elderly;alone
Bad Flag,13800000001,5,101,zh,infected
Bad Room,13800000002,5,,zh,
"""
    report = run(app, roster.import_residents, text.encode("gb18030"))
    assert report.added == 3 and [line for line, _ in report.errors] == [5, 6]
    with app.app_context():
        liu = db.session.scalar(select(Resident).filter_by(phone="+8613800138000"))
        assert (liu.household.label, liu.elderly, liu.chronic, liu.alone, liu.prefers_voice) == (
            "5-1201",
            True,
            True,
            False,
            False,
        )
        wang = db.session.scalar(select(Resident).filter_by(phone="+862160001234"))
        assert wang.prefers_voice  # a landline
    bom = run(
        app,
        roster.import_residents,
        "\ufeffname,phone,building,room,language,flags\nA,13800000009,1,101,zh,\n".encode(),
    )
    assert bom.added == 1


def test_a_file_without_the_columns_is_refused_whole(app):
    report = run(app, roster.import_residents, "who,where\nx,y\n")
    assert report.errors == [(1, "missing column(s): name, phone, building, room, language, flags")]
