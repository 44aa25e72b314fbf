"""With the phone gateway alone (no Twilio), the hotline places no calls: what it would have said on a
call waits `by_hand` (never queued, never attempted), listed on the desk with a tel: link, and one
tap writes down that a person phoned. With Twilio the same call is queued as before. Every outbox row
and timeline step says which carrier carried it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.domain import by_hand, checkins
from hotline.extensions import db
from hotline.models import CheckIn, CheckInStatus, EventKind, Outbox, OutStatus, Purpose, RequestEvent
from hotline.worker import Worker
from tests.gateway_standin import gateway_app
from tests.helpers import LIU, WANG_LANDLINE, load_roster, numbers_in

NEW_REQUEST = {"building": "12", "room": "302", "category": "food", "details": "大米两袋", "phone": WANG_LANDLINE,
               "name": "王阿姨", "language": "zh"}


@pytest.fixture
def app(make_app, phone_gateway):
    """The SMS phone and nothing else: no Twilio credentials."""
    app = gateway_app(make_app, phone_gateway, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="")
    load_roster(app)
    return app


def text(response) -> str:
    return response.get_data(as_text=True)


def calls(app) -> list[Outbox]:
    with app.app_context():
        found = list(db.session.scalars(select(Outbox).where(Outbox.kind == "call").order_by(Outbox.id)))
        db.session.expunge_all()
        return found


def by_hand_section(page: str) -> str:
    found = re.search(r'<section id="by-hand".*?</section>', page, re.S)
    assert found, "no by-hand section on the page"
    return found.group(0)


def make_request_for_the_landline(coordinator) -> int:
    made = coordinator.post("/admin/requests/new", NEW_REQUEST)
    assert made.status_code == 302, text(made)
    return int(made.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_a_landline_is_listed_to_phone_by_hand_never_queued_nor_attempted(app, coordinator, clock, phone_gateway):
    number = make_request_for_the_landline(coordinator)
    [call] = calls(app)
    assert (call.status, call.to, call.purpose, call.request_id) == (OutStatus.BY_HAND, WANG_LANDLINE,
                                                                      Purpose.RECEIPT, number)
    assert f"#{number}" in call.body
    Worker(app).tick()
    [call] = calls(app)
    assert call.status == OutStatus.BY_HAND and call.attempts == 0 and call.transport is None
    assert all(m.to != WANG_LANDLINE for m in phone_gateway.messages)

    for path in ("/admin/act-now", "/admin/"):
        listed = by_hand_section(text(coordinator.get(path)))
        assert f'href="tel:{WANG_LANDLINE}"' in listed and "王阿姨" in listed and "12-302" in listed
        assert f'action="/admin/calls/{call.id}/phoned"' in listed and f"#{number}" in listed
    outbox_page = text(coordinator.get("/admin/outbox"))
    assert "待人工打电话" in outbox_page


def test_one_tap_writes_down_the_call_on_the_timeline_once(app, coordinator, clock):
    number = make_request_for_the_landline(coordinator)
    [call] = calls(app)
    tapped = coordinator.post(f"/admin/calls/{call.id}/phoned", {"back": "/admin/act-now"})
    assert tapped.status_code == 302 and tapped.headers["Location"].endswith("/admin/act-now")
    [call] = calls(app)
    assert (call.status, call.transport, call.sent_at is not None) == (OutStatus.SENT, "person", True)
    with app.app_context():
        steps = db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == number,
                                                             RequestEvent.kind == EventKind.PHONED)).all()
        assert [(s.transport, s.actor_user_id is not None) for s in steps] == [("person", True)]
    page = text(coordinator.get(f"/admin/requests/{number}"))
    assert "已有人打电话告知" in page and 'data-transport="person"' in page
    assert 'id="by-hand"' in text(coordinator.get("/admin/act-now"))
    assert f"/admin/calls/{call.id}/phoned" not in text(coordinator.get("/admin/act-now"))

    again = coordinator.post(f"/admin/calls/{call.id}/phoned", {"back": "/admin/act-now"}, follow_redirects=True)
    assert again.status_code == 200 and "已经有人记下了这个电话" in text(again)
    with app.app_context():
        assert len(db.session.scalars(select(RequestEvent).where(RequestEvent.kind == EventKind.PHONED)).all()) == 1


def test_a_bad_tap_changes_nothing(app, coordinator, viewer, clock):
    make_request_for_the_landline(coordinator)
    [call] = calls(app)
    assert coordinator.post(f"/admin/calls/{call.id}/phoned", csrf=False).status_code == 400
    assert viewer.post(f"/admin/calls/{call.id}/phoned").status_code == 403
    assert coordinator.post("/admin/calls/0/phoned").status_code == 404
    assert coordinator.post("/admin/calls/99999999999/phoned").status_code == 404
    unknown = coordinator.post("/admin/calls/4242/phoned", follow_redirects=True)
    assert unknown.status_code == 200 and "已经有人记下了这个电话" in text(unknown)
    [call] = calls(app)
    assert call.status == OutStatus.BY_HAND
    viewer_page = text(viewer.get("/admin/act-now"))
    assert "/phoned" not in viewer_page and f"tel:{WANG_LANDLINE}" not in viewer_page


def test_check_in_calls_wait_for_a_person_who_marks_them_answered(app, coordinator, clock):
    with app.app_context():
        checkins.plan(db.session).enabled = True  # 10:00 in Shanghai: within the default window
        db.session.commit()
    Worker(app).run_timers()
    [call] = calls(app)
    assert (call.status, call.purpose, call.to) == (OutStatus.BY_HAND, Purpose.CHECK_IN, WANG_LANDLINE)
    assert "每日问候" in by_hand_section(text(coordinator.get("/admin/act-now")))
    assert coordinator.post(f"/admin/calls/{call.id}/phoned").status_code == 302
    with app.app_context():
        [checkin] = db.session.scalars(select(CheckIn)).all()
        assert checkin.status == CheckInStatus.FINE and checkin.answered_at is not None


def test_a_call_queued_before_the_phone_was_all_there_was_is_not_attempted(app, clock):
    with app.app_context():
        db.session.add(Outbox(kind="call", to=WANG_LANDLINE, body="您好", lang="zh"))
        db.session.commit()
    Worker(app).tick()
    [call] = calls(app)
    assert (call.status, call.attempts, call.twilio_sid) == (OutStatus.BY_HAND, 0, None)


def test_with_twilio_the_same_call_is_queued_and_placed(make_app, phone_gateway, twilio, clock):
    app = gateway_app(make_app, phone_gateway, TWILIO_API_URL=twilio.url)
    load_roster(app)
    assert app.config["HOTLINE_PLACES_CALLS"] is True
    from tests.admin.actions import AdminActions, add_users

    add_users(app)
    coordinator = AdminActions(app.test_client())
    assert coordinator.login("sun").status_code == 302
    make_request_for_the_landline(coordinator)
    [call] = calls(app)
    assert call.status == OutStatus.QUEUED
    Worker(app).tick()
    [call] = calls(app)
    assert (call.status, call.transport) == (OutStatus.SENT, "twilio") and twilio.posts("Calls")
    assert 'id="by-hand"' in text(coordinator.get("/admin/act-now"))
    assert "tel:" not in by_hand_section(text(coordinator.get("/admin/act-now")))


def test_the_timeline_names_the_carrier_an_sms_came_by(app, client, coordinator, clock, phone_gateway):
    event = phone_gateway.received(LIU, "5号楼1201 要大米两袋", at=clock.at.timestamp())
    assert client.post("/gateway/events", **event).status_code == 204
    Worker(app).tick()
    [reply] = [m for m in phone_gateway.messages if m.to == LIU]
    [number] = numbers_in(reply.text)
    with app.app_context():
        made = db.session.scalar(select(RequestEvent).where(RequestEvent.request_id == number,
                                                           RequestEvent.kind == EventKind.CREATED))
        assert made.transport == "gateway"
        routed = db.session.scalar(select(RequestEvent).where(RequestEvent.request_id == number,
                                                             RequestEvent.kind == EventKind.ASSIGNED))
        assert routed.transport is None  # the hotline's own step: no carrier brought it
    page = text(coordinator.get(f"/admin/requests/{number}"))
    timeline = re.search(r'<ol class="timeline">.*?</ol>', page, re.S).group(0)
    assert timeline.count('data-transport="gateway"') == 1 and "经由短信手机" in timeline


def test_the_timeline_names_twilio_for_an_sms_through_twilio(make_app, clock):
    app = make_app()
    load_roster(app)
    from tests.helpers import Phone

    [number] = numbers_in(Phone(app, app.test_client(), LIU).reply("5号楼1201 要大米两袋"))
    with app.app_context():
        made = db.session.scalar(select(RequestEvent).where(RequestEvent.request_id == number,
                                                           RequestEvent.kind == EventKind.CREATED))
        assert made.transport == "twilio"


def test_an_announcement_reaches_a_landline_through_a_person(app, coordinator, clock, phone_gateway):
    page = text(coordinator.get("/admin/broadcast"))
    assert 'id="calls-by-hand"' in page
    broadcast_id = re.search(r'name="broadcast_id" type="hidden" value="([0-9a-f]{12})"', page).group(1)
    sent = coordinator.post("/admin/broadcast", {"broadcast_id": broadcast_id, "text_zh": "明天上午9点发放蔬菜。",
                                                 "buildings": ["12", "5"], "by_sms": "y", "action": "send"})
    assert sent.status_code == 302
    Worker(app).tick()
    [call] = calls(app)
    assert (call.status, call.purpose, call.to) == (OutStatus.BY_HAND, Purpose.BROADCAST, WANG_LANDLINE)
    assert [m.to for m in phone_gateway.messages if "蔬菜" in m.text] == [LIU]
    assert "通知" in by_hand_section(text(coordinator.get("/admin/act-now")))


def test_with_twilio_the_broadcast_page_says_nothing_of_calls_by_hand(make_app, twilio, clock):
    app = make_app(TWILIO_API_URL=twilio.url)
    from tests.admin.actions import AdminActions, add_users

    add_users(app)
    coordinator = AdminActions(app.test_client())
    assert coordinator.login("sun").status_code == 302
    assert 'id="calls-by-hand"' not in text(coordinator.get("/admin/broadcast"))


def test_the_chinese_pages_with_calls_for_a_person_have_no_english_words(app, coordinator, clock):
    from tests.admin.test_zh_pages import english_words

    number = make_request_for_the_landline(coordinator)
    [call] = calls(app)
    names = {"Li", "Wei", "Zhang", "Min", "Chen", "Jie", "Wang", "Fang", "Sun", "Hong", "Tom", "Baker"}  # the roster's
    for path in ("/admin/act-now", "/admin/", "/admin/outbox", "/admin/broadcast"):
        assert english_words(text(coordinator.get(path))) - names == set(), path
    coordinator.post(f"/admin/calls/{call.id}/phoned")
    assert english_words(text(coordinator.get(f"/admin/requests/{number}"))) - names == set()


def test_a_purge_takes_calls_nobody_made_off_the_list_with_their_words_and_numbers(app, coordinator, clock):
    number = make_request_for_the_landline(coordinator)
    with app.app_context():
        checkins.plan(db.session).enabled = True
        db.session.commit()
    Worker(app).run_timers()  # a check-in call, about no request, waits for a person too
    assert {c.purpose for c in calls(app)} == {Purpose.RECEIPT, Purpose.CHECK_IN}
    coordinator.post(f"/admin/requests/{number}/status", {"status-status": "cancelled", "status-reason": "moved"})
    clock.advance(days=31)
    result = app.test_cli_runner().invoke(args=["purge", "--older-than", "30d"])
    assert result.exit_code == 0, result.output
    left = calls(app)  # the receipt, the one that superseded it when the request was cancelled, the check-in
    assert {(c.status, c.body) for c in left} == {(OutStatus.SKIPPED, "(purged)")}
    assert [c.last_error for c in left].count("purged before anyone phoned") == 2
    assert not any(WANG_LANDLINE in c.to for c in left)
    with app.app_context():
        assert by_hand.count(db.session) == 0 and by_hand.waiting(db.session) == []
