"""Issue 7 on the admin pages: a broadcast that offers a group buy, joins in the manifest by building,
and today's check-ins and who has not been heard from on the dashboard."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import CheckIn, CheckInStatus, Offer, Resident
from hotline.worker import Worker
from tests.helpers import LIU, WANG_FANG, load_roster, numbers_in


@pytest.fixture
def app(make_app, twilio):
    """The hotline sending to a Twilio stand-in: an offer reaches a phone when its message is sent."""
    return make_app(TWILIO_API_URL=twilio.url)


def offer_form(coordinator, **changes) -> dict:
    page = coordinator.get("/admin/broadcast").get_data(as_text=True)
    broadcast_id = re.search(r'name="broadcast_id" type="hidden" value="([0-9a-f]{12})"', page).group(1)
    data = {"broadcast_id": broadcast_id, "text_zh": "团购鸡蛋30个45元，周四送到。回复：参加 数量", "text_en": "",
            "buildings": ["5", "12"], "by_sms": "y", "action": "send", "offer_item": "鸡蛋30个",
            "offer_deadline": "2022-04-14T20:00"}
    data.update(changes)
    return data


def test_an_offer_broadcast_joins_and_the_manifest_counts_quantities(app, coordinator, phone, clock):
    load_roster(app)
    data = offer_form(coordinator)
    assert coordinator.post("/admin/broadcast", data).status_code == 302
    coordinator.post("/admin/broadcast", data)  # a double click: one offer
    clock.advance(minutes=10)  # a broadcast is paced
    Worker(app).tick()  # an offer can be joined once its message went out
    with app.app_context():
        [offer] = db.session.scalars(select(Offer)).all()
        assert offer.item == "鸡蛋30个" and offer.deadline.hour == 12  # 20:00 in Shanghai
    [n] = numbers_in(phone(LIU).reply("参加 3"))
    manifest = coordinator.get("/admin/manifest").get_data(as_text=True)
    assert re.search(r"团购：\s*鸡蛋30个</span>\s*<span class=\"qty\">×3", manifest)
    csv = coordinator.get("/admin/manifest.csv").get_data(as_text=True)
    assert f"5,鸡蛋30个,3,#{n}" in csv


def test_an_offer_needs_its_deadline(app, coordinator):
    load_roster(app)
    response = coordinator.post("/admin/broadcast", offer_form(coordinator, offer_deadline=""))
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Offer)).all() == []


def test_the_dashboard_shows_todays_check_ins_and_who_is_not_heard_from(app, coordinator, clock):
    load_roster(app)
    app.test_cli_runner().invoke(args=["check-ins", "--on"])
    Worker(app).run_timers()
    with app.app_context():
        db.session.scalars(select(CheckIn)).one().status = CheckInStatus.UNREACHED
        db.session.commit()
    page = coordinator.get("/admin/").get_data(as_text=True)
    assert re.search(r'data-count="unreached" class="alert-text">1<', page)
    assert re.search(r'data-count="fine">0<', page)
    clock.advance(days=4)
    assert coordinator.login("sun").status_code == 302  # the 8-hour session has ended meanwhile
    with app.app_context():
        lonely = db.session.scalar(select(Resident).where(Resident.alone.is_(True)))
    page = coordinator.get("/admin/").get_data(as_text=True)
    silent = page.split('id="silent"')[1].split("</section>")[0]
    assert lonely.name in silent and "刘伯伯" not in silent


def test_a_request_the_resident_did_not_receive_is_flagged(app, coordinator, phone):
    load_roster(app)
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply(f"完成 {n}")
    assert "居民说没收到" not in coordinator.get("/admin/requests").get_data(as_text=True)
    phone(LIU).reply(f"没收到 {n}")
    assert "居民说没收到" in coordinator.get("/admin/requests").get_data(as_text=True)


def test_coordinators_choose_who_gets_a_check_in_call(app, coordinator):
    load_roster(app)
    with app.app_context():
        tom = db.session.scalar(select(Resident).filter_by(name="Tom Baker"))
        rid, household = tom.id, tom.household
        form = {"name": tom.name, "phone": tom.phone, "building": str(household.building), "room": household.room,
                "language": "en", "check_in": "yes"}
    page = coordinator.get(f"/admin/residents/{rid}").get_data(as_text=True)
    assert 'name="check_in"' in page
    assert coordinator.post(f"/admin/residents/{rid}", form).status_code == 302
    with app.app_context():
        assert db.session.get(Resident, rid).check_in is True
    coordinator.post(f"/admin/residents/{rid}", {**form, "check_in": ""})
    with app.app_context():
        assert db.session.get(Resident, rid).check_in is None
