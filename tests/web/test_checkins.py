"""A day of check-in calls, in seconds: the clock is injected, calls walk through signed webhooks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from hotline.domain import checkins
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import CheckIn, CheckInStatus, Outbox, OutStatus, Purpose, Request, Resident
from hotline.worker import Worker, call_twiml
from tests.helpers import BASE, LI_WEI, SUN_HONG, WANG_LANDLINE, Phone, get_request, load_roster, sign
from tests.twilio_standin import ACCOUNT_SID, HOTLINE_NUMBER


@pytest.fixture
def app(make_app, twilio, clock):
    app = make_app(TWILIO_API_URL=twilio.url)
    from hotline import init_transport

    init_transport(app)
    load_roster(app)  # 王阿姨 (12-302, a landline) is elderly and alone; 刘伯伯 is not alone
    app.test_cli_runner().invoke(args=["check-ins", "--on", "--window", "09:00-11:00"])
    return app


def post(app, url: str, params: dict) -> ET.Element:
    """A signed Twilio request to one of our URLs; the TwiML answer, parsed."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = app.test_client().post(path, data=params, headers={"X-Twilio-Signature": sign(BASE + path, params)})
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    return ET.fromstring(response.get_data(as_text=True)) if response.status_code == 200 else None


def call_params(call_sid: str, **extra) -> dict:
    return {
        "CallSid": call_sid,
        "From": HOTLINE_NUMBER,
        "To": WANG_LANDLINE,
        "AccountSid": ACCOUNT_SID,
        "Direction": "outbound-api",
        "CallStatus": "in-progress",
        **extra,
    }


def placed_calls(app) -> list[Outbox]:
    with app.app_context():
        rows = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.CHECK_IN).order_by(Outbox.id)).all()
        db.session.expunge_all()
        return rows


def opening(app, row: Outbox) -> ET.Element:
    return ET.fromstring(call_twiml(row.body, row.lang, row, BASE))


def status(app, sid: str, call_status: str) -> None:
    post(app, BASE + "/twilio/status", {"CallSid": sid, "CallStatus": call_status, "AccountSid": ACCOUNT_SID})


def the_checkin(app) -> CheckIn:
    with app.app_context():
        found = db.session.scalars(select(CheckIn)).one()
        db.session.expunge_all()
        return found


def test_the_window_places_one_call_per_resident_a_day(app, clock, twilio):
    Worker(app).tick()
    [row] = placed_calls(app)
    assert row.to == WANG_LANDLINE and row.status == OutStatus.SENT
    [call] = twilio.posts("Calls")
    assert "cmn-CN" in call.params["Twiml"] and "/twilio/voice/checkin" in call.params["Twiml"]
    Worker(app).tick()
    assert len(placed_calls(app)) == 1
    clock.advance(days=1)
    Worker(app).tick()
    assert len(placed_calls(app)) == 2


def test_outside_the_window_or_switched_off_nobody_is_called(app, clock):
    clock.advance(hours=2)  # 12:00 in Shanghai
    Worker(app).tick()
    assert placed_calls(app) == []
    clock.advance(hours=21)  # 09:00 the next day, but switched off
    app.test_cli_runner().invoke(args=["check-ins", "--off"])
    Worker(app).tick()
    assert placed_calls(app) == []


def test_pressing_1_means_all_is_well(app, clock):
    Worker(app).tick()
    [row] = placed_calls(app)
    gather = opening(app, row).find("Gather")
    answer = post(app, gather.get("action"), call_params(row.twilio_sid, Digits="1"))
    assert answer.find("Hangup") is not None
    assert the_checkin(app).status == CheckInStatus.FINE
    status(app, row.twilio_sid, "completed")
    assert the_checkin(app).status == CheckInStatus.FINE and len(placed_calls(app)) == 1
    with app.app_context():
        counts = checkins.today(db.session, Policy.from_config(app.config))
    assert (counts.fine, counts.asked_for_help, counts.not_reached) == (1, 0, 0)


def test_pressing_2_goes_on_to_the_categories_and_makes_a_request_in_the_same_call(app, clock):
    Worker(app).tick()
    [row] = placed_calls(app)
    gather = opening(app, row).find("Gather")
    menu = post(app, gather.get("action"), call_params(row.twilio_sid, Digits="2"))
    assert "/twilio/voice/step" in menu.find("Gather").get("action")
    beep = post(app, menu.find("Gather").get("action"), call_params(row.twilio_sid, Digits="1"))
    record = beep.find("Record")
    assert record is not None
    said = post(
        app,
        record.get("action"),
        call_params(row.twilio_sid, RecordingSid="RE" + "1" * 32, RecordingUrl="https://x/RE1", Digits="#"),
    )
    assert said.find("Say") is not None
    with app.app_context():
        request = db.session.scalars(select(Request)).one()
        assert (request.category, request.channel, request.household.label) == ("food", "voice", "12-302")
    assert the_checkin(app).status == CheckInStatus.HELP


def test_pressing_2_then_losing_the_call_sends_the_volunteer_to_ask(app, clock):
    Worker(app).tick()
    [row] = placed_calls(app)
    gather = opening(app, row).find("Gather")
    post(app, gather.get("action"), call_params(row.twilio_sid, Digits="2"))  # I need something… then cut off
    status(app, row.twilio_sid, "completed")
    checkin = the_checkin(app)
    assert checkin.status == CheckInStatus.HELP and checkin.request_id
    request = get_request(app, checkin.request_id)
    assert request.volunteer.phone == LI_WEI and "12-302" in Phone(app, app.test_client(), LI_WEI).last()
    status(app, row.twilio_sid, "completed")  # Twilio's retry of the callback changes nothing
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Request.id))) == 1


def test_a_request_made_on_the_check_in_call_is_the_one(app, clock):
    test_pressing_2_goes_on_to_the_categories_and_makes_a_request_in_the_same_call(app, clock)
    [row] = placed_calls(app)
    status(app, row.twilio_sid, "completed")
    with app.app_context():
        [made] = db.session.scalars(select(Request.id)).all()
    assert the_checkin(app).request_id == made


def test_emergency_words_on_the_check_in_call_give_the_120_advice_then_a_person(app, clock):
    Worker(app).tick()
    [row] = placed_calls(app)
    gather = opening(app, row).find("Gather")
    answer = post(app, gather.get("action"), call_params(row.twilio_sid, SpeechResult="我摔倒了 起不来"))
    said = ["".join(say.itertext()) for say in answer.iter("Say")]
    assert said[0] == "有生命危险，请马上挂断，拨打一二零。" and answer.find("Dial/Number").text == SUN_HONG
    assert the_checkin(app).status == CheckInStatus.HELP
    post(app, answer.find("Dial").get("action"), call_params(row.twilio_sid, DialCallStatus="no-answer"))
    status(app, row.twilio_sid, "completed")
    with app.app_context():
        request = db.session.scalars(select(Request)).one()
        assert (request.emergency, request.household.label, request.details) == (True, "12-302", "我摔倒了 起不来")
    assert the_checkin(app).request_id == request.id  # the emergency is the call's request: nobody sent to ask


@pytest.mark.parametrize("first, second", [("no-answer", "busy"), ("completed", "no-answer")])
def test_unreached_twice_the_volunteer_is_asked_to_knock(app, clock, twilio, first, second):
    Worker(app).tick()
    [row] = placed_calls(app)
    status(app, row.twilio_sid, first)  # "completed" without a key: silence
    assert the_checkin(app).attempts == 2 and the_checkin(app).status == CheckInStatus.CALLING
    clock.advance(minutes=31)
    Worker(app).tick()
    [again] = placed_calls(app)
    assert again.status == OutStatus.SENT and again.twilio_sid != row.twilio_sid and len(twilio.posts("Calls")) == 2
    status(app, again.twilio_sid, second)
    checkin = the_checkin(app)
    assert checkin.status == CheckInStatus.UNREACHED and checkin.request_id
    request = get_request(app, checkin.request_id)
    assert request.volunteer.phone == LI_WEI and "12-302" in request.details
    assert "check_in_unreached" in [e.kind for e in request.events]
    assert "12-302" in Phone(app, app.test_client(), LI_WEI).last()
    assert any("12-302" in m for m in Phone(app, app.test_client(), SUN_HONG).inbox())
    status(app, again.twilio_sid, second)  # Twilio's retry of the callback changes nothing
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Request.id))) == 1


def test_someone_alone_not_heard_from_for_days_is_listed(app, clock, phone):
    clock.advance(days=4)
    policy = Policy.from_config(app.config)
    with app.app_context():
        names = [r.name for r in checkins.not_heard_from(db.session, policy)]
    assert names == ["王阿姨"]
    phone(WANG_LANDLINE).text("要米")
    with app.app_context():
        assert checkins.not_heard_from(db.session, policy) == []


def test_residents_can_be_chosen_for_a_call(app, clock):
    with app.app_context():
        for r in db.session.scalars(select(Resident)):
            r.check_in = r.name == "Tom Baker"
        db.session.commit()
    Worker(app).tick()
    assert [row.to for row in placed_calls(app)] == ["+8613912345678"]
    assert placed_calls(app)[0].lang == "en"


@pytest.mark.parametrize(
    "args", [["--window", "11:00-09:00"], ["--window", "nine"], ["--days", "089"], ["--retry", "0"]]
)
def test_bad_plans_are_refused(app, args):
    result = app.test_cli_runner().invoke(args=["check-ins", *args])
    assert result.exit_code != 0


def test_the_plan_is_shown(app):
    output = app.test_cli_runner().invoke(args=["check-ins", "--days", "135", "--retry", "20"]).output
    assert "on: 09:00-11:00 on days 135, second call after 20 min" in output and "1 residents called" in output
