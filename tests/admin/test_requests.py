"""Requests on the admin pages: the list, one request, and each action as an event with the SMS it implies."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Channel, Lane, Outbox, Request, Status
from tests.helpers import LI_WEI, LIU, SUN_HONG, TOM, ZHANG_MIN, get_request, load_roster, numbers_in

STRANGER = "+8613700001111"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


@pytest.fixture
def asked(phone) -> int:
    """A stranger in 12-302 asks for rice by SMS; Li Wei (building 12) is alerted. Returns the number."""
    [number] = numbers_in(phone(STRANGER).reply("12号楼302室 要大米两袋 鸡蛋30个"))
    return number


def outbox_to(app, number: str) -> list[Outbox]:
    with app.app_context():
        rows = db.session.scalars(
            select(Outbox).where(Outbox.to == number, Outbox.delivery_status.is_distinct_from("twiml"))
            .order_by(Outbox.id)
        ).all()
        db.session.expunge_all()
        return rows


def kinds(app, number: int) -> list[tuple[str, str]]:
    """Each step of the timeline and who made it: a user of the admin page by name, anyone else by kind."""
    with app.app_context():
        events = db.session.get(Request, number).events
        return [(e.kind, e.actor_user.username if e.actor_user else e.actor_kind) for e in events]


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_request_that_came_by_sms_is_listed_and_shown_with_its_timeline(coordinator, asked):
    listing = text(coordinator.get("/admin/requests"))
    assert f"#{asked}" in listing and "12-302" in listing
    page = text(coordinator.get(f"/admin/requests/{asked}"))
    assert "要大米两袋" in page and "Li Wei" in page and STRANGER in page
    assert page.count('class="event ') == 2  # created, assigned
    assert "10:00" in page  # 02:00 UTC shown in Asia/Shanghai


def test_reassigning_to_a_chosen_volunteer_tells_both_by_sms(app, coordinator, asked):
    li = get_request(app, asked).volunteer_id
    response = coordinator.post(f"/admin/requests/{asked}/reassign",
                                {"reassign-volunteer": _volunteer_id(app, ZHANG_MIN), "reassign-reason": "Li is ill"})
    assert response.status_code == 302
    r = get_request(app, asked)
    assert r.volunteer.phone == ZHANG_MIN and r.status == Status.ASSIGNED and r.volunteer_id != li
    assert kinds(app, asked)[-2:] == [("handed_on", "sun"), ("assigned", "sun")]
    assert r.events[-2].note == "Li is ill" and r.events[-2].volunteer_id == li
    [alert] = outbox_to(app, ZHANG_MIN)
    assert f"#{asked}" in alert.body and "12-302" in alert.body and alert.request_id == asked
    told = outbox_to(app, LI_WEI)[-1]
    assert numbers_in(told.body) == [asked] and told.body != outbox_to(app, LI_WEI)[0].body


def _volunteer_id(app, phone: str) -> str:
    from hotline.models import Volunteer

    with app.app_context():
        return str(db.session.scalar(select(Volunteer.id).where(Volunteer.phone == phone)))


def test_reassigning_to_the_next_volunteer_skips_the_one_it_is_taken_from(app, coordinator, asked):
    coordinator.post(f"/admin/requests/{asked}/reassign", {"reassign-volunteer": ""})
    assert get_request(app, asked).volunteer.phone == ZHANG_MIN
    assert f"#{asked}" in outbox_to(app, ZHANG_MIN)[-1].body


def test_cancelling_needs_a_reason_and_tells_the_volunteer_and_the_resident(app, coordinator, asked):
    response = coordinator.post(f"/admin/requests/{asked}/status", {"status-status": "cancelled", "status-reason": ""})
    assert response.status_code == 400 and get_request(app, asked).status == Status.ASSIGNED
    before_resident = len(outbox_to(app, STRANGER))
    response = coordinator.post(f"/admin/requests/{asked}/status",
                                {"status-status": "cancelled", "status-reason": "bought by a neighbour"})
    assert response.status_code == 302
    r = get_request(app, asked)
    assert r.status == Status.CANCELLED and r.closed_at
    assert ("status_changed", "sun") in kinds(app, asked) and ("cancelled", "sun") in kinds(app, asked)
    assert "bought by a neighbour" in r.events[-2].note
    assert numbers_in(outbox_to(app, LI_WEI)[-1].body) == [asked]
    resident = outbox_to(app, STRANGER)
    assert len(resident) == before_resident + 1 and numbers_in(resident[-1].body) == [asked]


def test_marking_delivered_for_the_volunteer_tells_the_resident(app, coordinator, phone):
    [n] = numbers_in(phone(TOM).reply("I need milk"))
    response = coordinator.post(f"/admin/requests/{n}/status",
                                {"status-status": "delivered", "status-reason": "volunteer phoned it in"})
    assert response.status_code == 302
    r = get_request(app, n)
    assert r.status == Status.DELIVERED and r.accepted_at and r.delivered_at
    assert [k for k, _ in kinds(app, n)][-3:] == ["status_changed", "accepted", "delivered"]
    told = outbox_to(app, TOM)
    assert [numbers_in(m.body) for m in told[-2:]] == [[n], [n]]  # accepted, then delivered


def test_a_delivered_request_can_be_opened_again_and_a_cancelled_one_routed_again(app, coordinator, asked):
    coordinator.post(f"/admin/requests/{asked}/status", {"status-status": "delivered", "status-reason": "done"})
    coordinator.post(f"/admin/requests/{asked}/status", {"status-status": "accepted", "status-reason": "not received"})
    assert get_request(app, asked).status == Status.ACCEPTED
    assert "#" + str(asked) in outbox_to(app, SUN_HONG)[-1].body  # the coordinators hear of it
    coordinator.post(f"/admin/requests/{asked}/status", {"status-status": "cancelled", "status-reason": "mistake"})
    coordinator.post(f"/admin/requests/{asked}/status", {"status-status": "new", "status-reason": "asked again"})
    r = get_request(app, asked)
    assert r.status == Status.ASSIGNED and r.closed_at is None
    assert [k for k, _ in kinds(app, asked)][-3:] == ["status_changed", "restored", "assigned"]


def test_only_a_request_reported_not_received_and_still_open_is_flagged(app, coordinator, asked):
    def flagged() -> bool:
        page = coordinator.get("/admin/requests?status=").get_data(as_text=True)  # every status
        assert f"#{asked}" in page
        return "居民说没收到" in page  # the badge, in the pages' default language

    def move(status: str) -> None:
        response = coordinator.post(f"/admin/requests/{asked}/status", {"status-status": status, "status-reason": "x"})
        assert response.status_code == 302, response.get_data(as_text=True)

    for status in ("cancelled", "new", "accepted", "delivered"):
        move(status)
    assert not flagged()  # opened again after a cancel is not a missing delivery
    move("accepted")  # nothing arrived
    assert flagged()
    move("delivered")
    assert not flagged()  # delivered again: the timeline keeps the story


def test_a_status_the_request_cannot_take_is_refused(app, coordinator, asked):
    response = coordinator.post(f"/admin/requests/{asked}/status", {"status-status": "new", "status-reason": "x"})
    assert response.status_code == 400
    assert get_request(app, asked).status == Status.ASSIGNED


def test_marking_urgent_alerts_the_volunteer_in_the_urgent_lane(app, coordinator, asked):
    coordinator.post(f"/admin/requests/{asked}/urgent", {"urgent-urgent": "1"})
    r = get_request(app, asked)
    assert r.urgent and ("marked_urgent", "sun") in kinds(app, asked)
    alert = outbox_to(app, LI_WEI)[-1]
    assert alert.lane == Lane.URGENT and numbers_in(alert.body) == [asked]
    assert alert.body != outbox_to(app, LI_WEI)[0].body  # the urgent wording, not the first alert again
    coordinator.post(f"/admin/requests/{asked}/urgent", {"urgent-urgent": "0"})
    assert not get_request(app, asked).urgent
    assert len(outbox_to(app, LI_WEI)) == 2  # nobody is messaged for "not urgent"


def test_a_note_is_an_event_and_messages_nobody(app, coordinator, asked):
    sent = len(outbox_to(app, LI_WEI))
    coordinator.post(f"/admin/requests/{asked}/note", {"note-note": "She also needs <b>salt</b>"})
    r = get_request(app, asked)
    note = r.events[-1]
    assert (note.kind, note.note) == ("note", "She also needs <b>salt</b>") and kinds(app, asked)[-1] == ("note", "sun")
    assert len(outbox_to(app, LI_WEI)) == sent
    page = text(coordinator.get(f"/admin/requests/{asked}"))
    assert "&lt;b&gt;salt&lt;/b&gt;" in page and "<b>salt</b>" not in page


def test_typing_in_the_details_keeps_the_old_text_on_the_timeline(app, coordinator, asked):
    coordinator.post(f"/admin/requests/{asked}/details", {"details-details": "米两袋，鸡蛋30个，牛奶"})
    r = get_request(app, asked)
    assert r.details == "米两袋，鸡蛋30个，牛奶" and r.events[-1].kind == "details_edited"
    assert "要大米两袋" in r.events[0].note


def test_a_request_made_at_the_gate_is_routed_and_confirmed_to_the_person(app, coordinator):
    response = coordinator.post("/admin/requests/new", {
        "building": "12", "room": "501", "category": "food", "details": "两袋米", "urgent": "y",
        "name": "老李", "phone": "137 0000 2222", "language": "zh",
    })
    assert response.status_code == 302
    [n] = map(int, re.findall(r"/admin/requests/(\d+)", response.headers["Location"]))
    r = get_request(app, n)
    assert (r.channel, r.household.label, r.urgent) == (Channel.ADMIN, "12-501", True)
    assert r.requester_phone == "+8613700002222"
    assert kinds(app, n)[0] == ("created", "sun") and r.events[0].channel == "admin"
    assert r.status == Status.ASSIGNED and numbers_in(outbox_to(app, r.volunteer.phone)[-1].body) == [n]
    assert numbers_in(outbox_to(app, "+8613700002222")[-1].body) == [n]


def test_the_gate_form_refuses_bad_input_without_making_anything(app, coordinator):
    for bad in ({"building": "99", "room": "1"}, {"building": "12", "room": ""},
                {"building": "12", "room": "1", "phone": "not a phone"}, {"building": "12", "room": "x" * 40}):
        data = {"category": "food", "language": "zh", **bad}
        assert coordinator.post("/admin/requests/new", data).status_code == 400, bad
    with app.app_context():
        assert db.session.scalar(select(Request.id)) is None


def test_filters_and_search(app, coordinator, phone, asked):
    [tom] = numbers_in(phone(TOM).reply("I need medicine, paracetamol"))
    coordinator.post(f"/admin/requests/{tom}/urgent", {"urgent-urgent": "1"})

    def listed(**args) -> set[int]:
        return {int(n) for n in re.findall(r'data-number="(\d+)"', text(coordinator.get("/admin/requests",
                                                                                          query_string=args)))}

    assert listed() == {asked, tom}
    assert listed(building=12) == {asked}
    assert listed(category="medicine") == {tom}
    assert listed(urgent=1) == {tom}
    assert listed(channel="sms") == {asked, tom} and listed(channel="voice") == set()
    assert listed(q=f"#{tom}") == {tom} and listed(q="大米") == {asked} and listed(q="7-1101") == {tom}
    assert listed(q=STRANGER[-8:]) == {asked}
    assert listed(status="delivered") == set() and listed(status="assigned") == {asked, tom}
    assert listed(q="%") == set() and listed(q="' OR 1=1 --") == set()
    assert listed(q="²") == set() and listed(page="²") == listed(building="٣") == {asked, tom}  # digits int() refuses
    assert coordinator.get("/admin/volunteers", query_string={"q": "²"}).status_code == 200


def test_the_list_pages_through_many_requests(app, coordinator, phone):
    for i in range(55):
        phone(f"+86137000{i:05d}").reply(f"12号楼{100 + i}室 要米")
    first = text(coordinator.get("/admin/requests"))
    second = text(coordinator.get("/admin/requests", query_string={"page": 2}))
    assert len(re.findall(r'data-number="', first)) == 50 and len(re.findall(r'data-number="', second)) == 5
    assert "?page=2" in first or "page=2" in first


def test_the_dashboard_counts_open_overdue_and_urgent_by_building(app, coordinator, phone, clock, asked):
    [tom] = numbers_in(phone(TOM).reply("I need milk"))
    coordinator.post(f"/admin/requests/{tom}/urgent", {"urgent-urgent": "1"})
    data = coordinator.get("/admin/dashboard.json").get_json()
    assert data["counts"] == {"open": 2, "overdue": 0, "urgent": 1, "unassigned": 0}
    assert {c["building"]: c["open"] for c in data["grid"]} == {12: 1, 7: 1}
    stamp = data["stamp"]
    clock.advance(minutes=16)  # past the 15-minute accept timeout (and the urgent one)
    data = coordinator.get("/admin/dashboard.json").get_json()
    assert data["counts"]["overdue"] == 2 and data["stamp"] == stamp  # time passing is no change to refetch
    phone(LIU).reply("5号楼1201 降压药")
    assert coordinator.get("/admin/dashboard.json").get_json()["stamp"] != stamp
    page = text(coordinator.get("/admin/"))
    assert page.count('class="cell ') == 36 and "<svg" in page
    overdue = {int(n) for n in re.findall(r'data-number="(\d+)"',
                                           text(coordinator.get("/admin/requests?status=overdue")))}
    assert overdue == {asked, tom}


def test_the_request_list_json_masks_numbers_for_viewers(app, viewer, coordinator, asked, phone):
    mine = viewer.get("/admin/requests.json").get_json()
    theirs = coordinator.get("/admin/requests.json").get_json()
    assert theirs["requests"][0]["requester_phone"] == STRANGER
    assert mine["requests"][0]["requester_phone"].endswith(STRANGER[-4:]) and STRANGER not in str(mine)
    assert LI_WEI not in str(mine)
    phone(TOM).reply("I need rice, call my son on 13987654321")  # a number written in the details
    mine, theirs = (who.get("/admin/requests.json").get_json() for who in (viewer, coordinator))
    assert "13987654321" not in str(mine) and "*******4321" in str(mine) and "13987654321" in str(theirs)


def test_a_viewer_sees_requests_with_numbers_masked_and_cannot_act(app, viewer, asked):
    page = text(viewer.get(f"/admin/requests/{asked}"))
    assert STRANGER not in page and LI_WEI not in page and STRANGER[-4:] in page
    assert "/reassign" not in page and "/note" not in page and "/status" not in page
    assert viewer.post(f"/admin/requests/{asked}/note", {"note-note": "x"}).status_code == 403
    assert viewer.post(f"/admin/requests/{asked}/reassign", {"reassign-volunteer": ""}).status_code == 403
    assert len(get_request(app, asked).events) == 2
    assert viewer.get("/admin/requests/new").status_code == 403
    outbox = text(viewer.get("/admin/outbox"))
    assert LI_WEI not in outbox and STRANGER not in outbox and "12-302" in outbox
    assert viewer.get("/admin/requests", query_string={"q": STRANGER[-8:]}).get_data(as_text=True).count(
        'data-number="') == 0  # nor can a viewer find a request by guessing a phone number


def test_the_language_is_switched_with_lang_and_remembered(coordinator, asked):
    assert "待处理" in text(coordinator.get("/admin/")) or "概览" in text(coordinator.get("/admin/"))
    english = text(coordinator.get("/admin/", query_string={"lang": "en"}))
    assert "Dashboard" in english and 'lang="en"' in english
    assert "Requests" in text(coordinator.get("/admin/requests"))  # remembered
    chinese = text(coordinator.get("/admin/requests", query_string={"lang": "zh"}))
    assert 'lang="zh-Hans"' in chinese and "Requests</h1>" not in chinese
    assert 'lang="zh-Hans"' in text(coordinator.get("/admin/outbox"))


def test_unknown_and_impossible_request_numbers_are_404(coordinator):
    for path in ("/admin/requests/999", "/admin/requests/99999999999", "/admin/requests/0", "/admin/requests/-1",
                 "/admin/requests/abc"):
        assert coordinator.get(path).status_code == 404, path
    assert coordinator.post("/admin/requests/999/note", {"note-note": "x"}).status_code == 404
