"""Knowing the gateway phone is alive: the workers ask its `/health`, its events count as signs of life;
away longer than HOTLINE_GATEWAY_DOWN_AFTER, the dashboard shows it in red and the coordinators are
told once, through Twilio; the dashboard counts what each carrier has queued and sent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.domain import outbox
from hotline.extensions import db
from hotline.models import CarrierHealth, Outbox, OutStatus
from hotline.worker import Worker
from tests.gateway_standin import gateway_app
from tests.helpers import LIU, SUN_HONG, load_roster


@pytest.fixture
def app(make_app, phone_gateway, twilio):
    app = gateway_app(make_app, phone_gateway, TWILIO_API_URL=twilio.url)
    load_roster(app)
    return app


def step(worker: Worker, clock, seconds: float = 15) -> None:
    """One turn of a worker's loop: timers and checks, then what is due; then time passes."""
    worker.run_timers()
    while worker.send_due(wait_for_slots=False):
        pass
    clock.advance(seconds=seconds)


def dashboard(coordinator) -> str:
    page = coordinator.get("/admin/")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def carrier_row(page: str, name: str) -> dict[str, int]:
    row = re.search(rf'<tr data-carrier="{name}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', row)}


def queue(app, n: int) -> None:
    with app.app_context():
        for i in range(n):
            outbox.queue_sms(db.session, LIU, f"#{i} 您好", "zh")
        db.session.commit()


def test_a_phone_away_ten_minutes_is_shown_red_told_once_and_loses_nothing(app, clock, coordinator, phone_gateway,
                                                                           twilio):
    queue(app, 5)
    phone_gateway.off()
    worker, start = Worker(app), clock.at
    while clock.at - start < timedelta(minutes=4, seconds=30):
        step(worker, clock)
    assert 'id="carrier-down-gateway"' not in dashboard(coordinator) and not twilio.posts("Messages")
    while clock.at - start < timedelta(minutes=10):
        step(worker, clock)
    page = dashboard(coordinator)
    assert 'id="carrier-down-gateway"' in page and carrier_row(page, "gateway")["queued"] == 5
    told = [p.params for p in twilio.posts("Messages")]
    assert [t["To"] for t in told] == [SUN_HONG] and "分钟" in told[0]["Body"]
    with app.app_context():
        health = db.session.get(CarrierHealth, "gateway")
        assert health.down_since is not None and health.told_at is not None and "reached" in health.last_error

    phone_gateway.on()
    while len(phone_gateway.messages) < 5 and clock.at - start < timedelta(minutes=20):
        step(worker, clock)
    assert sorted(m.text for m in phone_gateway.messages) == [f"#{i} 您好" for i in range(5)]
    page = dashboard(coordinator)
    assert 'id="carrier-down-gateway"' not in page
    assert carrier_row(page, "gateway") == {"queued": 0, "sent": 5}
    assert carrier_row(page, "twilio") == {"queued": 0, "sent": 1}
    assert len(twilio.posts("Messages")) == 1


def test_a_second_outage_is_told_again(app, clock, phone_gateway, twilio):
    worker = Worker(app)
    for _ in range(2):
        phone_gateway.off()
        for _ in range(25):
            step(worker, clock)
        phone_gateway.on()
        step(worker, clock, seconds=31)
        step(worker, clock)
    assert len(twilio.posts("Messages")) == 2


def test_a_ping_from_the_phone_counts_as_alive(app, client, clock, coordinator, phone_gateway):
    phone_gateway.off()
    worker = Worker(app)
    for _ in range(25):
        step(worker, clock)
    assert 'id="carrier-down-gateway"' in dashboard(coordinator)
    ping = phone_gateway.event("system:ping", at=clock.at.timestamp())
    assert client.post("/gateway/events", **ping).status_code == 204
    assert 'id="carrier-down-gateway"' not in dashboard(coordinator)


def test_without_twilio_the_dashboard_alone_tells(make_app, phone_gateway, clock):
    app = gateway_app(make_app, phone_gateway, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="")
    load_roster(app)
    phone_gateway.off()
    worker = Worker(app)
    for _ in range(25):
        step(worker, clock)
    with app.app_context():
        assert db.session.get(CarrierHealth, "gateway").told_at is not None
        assert db.session.scalars(select(Outbox).where(Outbox.status != OutStatus.SKIPPED)).all() == []
