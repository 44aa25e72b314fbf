"""The simulator with the phone stand-in as the SMS carrier (`make run PHONE=standin`): a text from a
simulated phone is the signed `sms:received` the SMS phone would post, the replies go out through the
stand-in (every request checked against the app's OpenAPI description), its `sms:sent` and
`sms:delivered` come back signed, and the hotline places no calls."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Inbound, Outbox, OutStatus, Request, RequestEvent
from tests.browser.conftest import serving
from tests.gateway_standin import GatewayStandin, gateway_app
from tests.helpers import free_port, numbers_in
from tests.simulator.conftest import CONSOLE, load_demo

TOM = "+8613912345678"  # the demo's foreign resident, 7-1101
LIU = "+862160001234"  # the demo's landline, 5-1201


def until(found, seconds: float = 30.0):
    """Wait for `found()` to give something (the stand-in reports a moment after it takes a message)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("it never came")


@pytest.fixture
def running(make_app):
    """`make run PHONE=standin`: the stand-in reporting to the hotline, the hotline serving with a worker."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with GatewayStandin(events_url=f"{base}/gateway/events", report_after=0.2) as phone:
        app = gateway_app(make_app, phone, **{**CONSOLE, "PUBLIC_BASE_URL": base})
        load_demo(app)
        with serving(app, port, "phone", wait_for_slots=False) as live:
            yield live, phone
    assert phone.invalid == []


def delivery(app, to: str, number: int) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        rows = db.session.scalars(select(Outbox).where(Outbox.to == to).order_by(Outbox.id)).all()
        return [(r.status.value, r.delivery_status, r.transport) for r in rows if f"#{number}" in r.body]


def test_a_text_goes_through_the_phone_and_its_reports_come_back(running):
    live, phone = running
    app = live.app
    answer = requests.post(f"{live.url}/simulator/api/sms", json={"phone": TOM, "body": "I need rice and eggs"},
                           timeout=30)
    assert answer.status_code == 200 and answer.json()["replies"] == []  # the phone's webhook takes no answer
    sid = answer.json()["sid"]
    assert sid.startswith("AG:")
    with app.app_context():
        took = db.session.scalar(select(Inbound).filter_by(sid=sid))
        assert took.phone == TOM and took.kind == "sms"

    with app.app_context():
        number = db.session.scalar(select(Request.id).where(Request.details.contains("rice and eggs")))
    reply = until(lambda: [m for m in phone.messages if m.to == TOM and numbers_in(m.text) == [number]])[0]
    assert until(lambda: set(delivery(app, TOM, number)) == {("sent", "delivered", "gateway")})
    with app.app_context():
        request = db.session.get(Request, number)
        assert request.household.label == "7-1101"
        made = db.session.scalar(select(RequestEvent).filter_by(request_id=number, kind="created"))
        assert made.transport == "gateway"
    feed = requests.get(f"{live.url}/simulator/api/feed", params={"phone": TOM}, timeout=30).json()
    mine, back = feed["items"][-2:]
    assert (mine["mine"], mine["text"]) == (True, "I need rice and eggs")
    assert (back["mine"], back["status"], back["text"]) == (False, "sent", reply.text)
    assert [s.method + " " + s.path for s in phone.seen if s.path == "/messages"]  # the real client, to the stand-in


def test_a_landline_is_not_called_but_listed_for_a_person(running):
    live, phone = running
    answer = requests.post(f"{live.url}/simulator/api/sms", json={"phone": LIU, "body": "STATUS"}, timeout=30)
    assert answer.status_code == 200
    with live.app.app_context():
        calls = db.session.scalars(select(Outbox).where(Outbox.to == LIU, Outbox.kind == "call")).all()
        assert calls and {c.status for c in calls} == {OutStatus.BY_HAND}
    assert all(m.to != LIU for m in phone.messages)


def test_the_demo_is_loaded_with_the_stand_in_but_never_texted_through_a_real_phone(make_app, phone_gateway):
    real = make_app(**{**CONSOLE, "SMS_GATEWAY_URL": "http://192.168.1.20:8080", "SMS_GATEWAY_CREDENTIALS": "sms:pw",
                       "SMS_GATEWAY_SIGNING_KEY": "key", "PUBLIC_BASE_URL": "http://192.168.1.10:5000"})
    said = real.test_cli_runner().invoke(args=["demo"]).output
    assert "demo not loaded" in said
    with real.app_context():
        assert db.session.scalars(select(Request)).all() == []
    here = gateway_app(make_app, phone_gateway, **{**CONSOLE, "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})
    assert "demo compound loaded" in here.test_cli_runner().invoke(args=["demo"]).output
