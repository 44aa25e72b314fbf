"""Knowing the gateway phone is alive: the workers ask its `/health`, its events count as signs of life;
away longer than HOTLINE_GATEWAY_DOWN_AFTER, the dashboard shows it in red and the coordinators are
told once, through Twilio; the dashboard counts what each carrier has queued and sent."""

from __future__ import annotations

import re
import socket
import threading
import urllib.error
import urllib.request
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
    while len(phone_gateway.messages) < 6 and clock.at - start < timedelta(minutes=20):
        step(worker, clock)
    back, *waited = phone_gateway.messages  # the coordinators hear it is back first, through the phone itself
    assert back.to == SUN_HONG and "恢复" in back.text and "10分钟" in back.text
    assert sorted(m.text for m in waited) == [f"#{i} 您好" for i in range(5)]
    page = dashboard(coordinator)
    assert 'id="carrier-down-gateway"' not in page
    assert carrier_row(page, "gateway") == {"queued": 0, "sent": 6}
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


def live_stamp(coordinator) -> str:
    answer = coordinator.get("/admin/live.json")
    assert answer.status_code == 200
    return answer.json["stamp"]


def banner(page: str) -> str:
    found = re.search(r'<div id="carriers-down" data-live-region>(.*?)</div>', page, re.S)
    assert found, "the dashboard has no live region for the carriers' banner"
    return found.group(1)


def test_the_banner_comes_and_goes_with_the_live_poll_and_the_coordinators_hear_the_phone_is_back(
        app, clock, coordinator, phone_gateway, twilio):
    worker = Worker(app)
    step(worker, clock)
    up = live_stamp(coordinator)
    assert "carrier-down-gateway" not in banner(dashboard(coordinator))  # the region is there, empty
    phone_gateway.off()
    for _ in range(21):  # just past HOTLINE_GATEWAY_DOWN_AFTER: 5 minutes of checks every 30 s
        step(worker, clock)
        if live_stamp(coordinator) != up:
            break
    away = live_stamp(coordinator)
    assert away != up and "carrier-down-gateway" in banner(dashboard(coordinator))  # the poll brings it
    assert not phone_gateway.messages

    phone_gateway.on()
    step(worker, clock, seconds=31)
    back = live_stamp(coordinator)
    assert back not in (away, up) and "carrier-down-gateway" not in banner(dashboard(coordinator))
    step(worker, clock)
    [told] = [m for m in phone_gateway.messages if m.to == SUN_HONG]
    assert "恢复" in told.text  # by the phone itself, which proves it works
    with app.app_context():
        back_row = db.session.scalar(select(Outbox).where(Outbox.body == told.text))
        assert (back_row.transport, back_row.lane.value) == ("gateway", "0-urgent")


def test_a_phone_back_before_anyone_was_told_sends_nothing(app, clock, phone_gateway):
    worker = Worker(app)
    phone_gateway.off()
    for _ in range(4):  # two minutes away: under HOTLINE_GATEWAY_DOWN_AFTER
        step(worker, clock)
    phone_gateway.on()
    step(worker, clock, seconds=31)
    step(worker, clock)
    assert phone_gateway.messages == []


def test_a_phone_that_hangs_on_its_health_holds_up_no_send(app, clock, phone_gateway):
    queue(app, 1)
    phone_gateway.health_hold = threading.Event()
    worker = Worker(app)
    checking = worker.start_checking(every=0.05)
    try:
        assert phone_gateway.health_asked.wait(30)  # the check is waiting for the phone's answer now
        assert worker.send_due(wait_for_slots=False) == 1
        assert [m.text for m in phone_gateway.messages] == ["#0 您好"]
    finally:
        phone_gateway.health_hold.set()
        worker.stopping.set()
        checking.join(30)
    assert not checking.is_alive()


def test_a_health_check_gives_up_after_its_own_short_timeout(make_app, phone_gateway, clock):
    app = gateway_app(make_app, phone_gateway, SMS_GATEWAY_HEALTH_TIMEOUT="0.3")
    phone_gateway.health_hold = threading.Event()
    try:
        Worker(app).check_carriers()
    finally:
        phone_gateway.health_hold.set()
    with app.app_context():
        health = db.session.get(CarrierHealth, "gateway")
        assert health.down_since is not None and "no answer" in health.last_error


@pytest.mark.parametrize("value", ["0", "-1", "61", "soon"])
def test_a_health_timeout_that_cannot_be_used_stops_the_start(make_app, phone_gateway, value):
    from hotline.config import ConfigError

    with pytest.raises(ConfigError):
        gateway_app(make_app, phone_gateway, SMS_GATEWAY_HEALTH_TIMEOUT=value)


def test_a_phone_switched_off_refuses_connections_and_keeps_its_port(phone_gateway):
    """The stand-in's own promise, which the outage tests rest on: off, nothing answers on the phone's port and no
    other server (of a parallel test run) can take it; on again, the phone answers there."""
    port = phone_gateway.port
    phone_gateway.off()
    with pytest.raises(urllib.error.URLError, match="refused"):
        urllib.request.urlopen(f"{phone_gateway.url}/health", timeout=5)
    for reuse in ((), (socket.SO_REUSEADDR,)):
        with socket.socket() as other, pytest.raises(OSError):
            for option in reuse:
                other.setsockopt(socket.SOL_SOCKET, option, 1)
            other.bind(("127.0.0.1", port))
    phone_gateway.on()
    with urllib.request.urlopen(f"{phone_gateway.url}/health", timeout=5) as answer:
        assert answer.status == 200 and phone_gateway.port == port
