"""The outbox sends SMS through the gateway phone's `POST /messages` (the real GatewayTransport and the
app's own client, to a stand-in validated against the app's OpenAPI description): at the configured
pace, urgent before normal before broadcasts, long texts whole for the phone to split, every status
event applied; failures retried as Twilio's transient ones, and a phone off line loses nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline import texts
from hotline.channels.gateway import GatewayTransport
from hotline.config import GATEWAY_SEND_RATE
from hotline.domain import outbox
from hotline.extensions import db
from hotline.models import Lane, Outbox, OutStatus
from hotline.worker import HORIZON, Worker
from tests.gateway_standin import Sent, gateway_app

RESIDENT = "+8613800138000"
LANDLINE = "+862160001234"


@pytest.fixture
def app(make_app, phone_gateway, twilio):
    """Twilio for calls, the gateway phone for SMS, at the gateway's own default pace."""
    return gateway_app(make_app, phone_gateway, HOTLINE_SEND_RATE="", TWILIO_API_URL=twilio.url)


def queue(app, n: int, lane: Lane = Lane.NORMAL, text: str = "#{i} 您好", to: str = RESIDENT) -> list[int]:
    with app.app_context():
        rows = [outbox.queue_sms(db.session, to, text.format(i=i), "zh", lane=lane) for i in range(n)]
        db.session.commit()
        return [r.id for r in rows]


def rows(app) -> list[Outbox]:
    with app.app_context():
        found = list(db.session.scalars(select(Outbox).order_by(Outbox.id)))
        db.session.expunge_all()
        return found


def run_worker(app, clock, until, step: float, limit: int = 5000) -> int:
    """Let one worker send what is due, the clock moving `step` seconds between batches, until `until()`."""
    worker = Worker(app)
    for turn in range(limit):
        if until():
            return turn
        worker.send_due(wait_for_slots=False)
        clock.advance(seconds=step)
    raise AssertionError("the worker never got there")


def post(client, kwargs) -> None:
    assert client.post("/gateway/events", **kwargs).status_code == 204


def test_the_gateways_default_pace_is_well_under_one_a_second(app):
    assert app.config["HOTLINE_SEND_RATE"] == GATEWAY_SEND_RATE < 1


def test_200_messages_go_at_the_pace_urgent_first_and_every_status_is_applied(app, client, clock, phone_gateway):
    long_text = "米" * 150  # three segments of 67 characters: sent whole, the phone splits it
    bulk = queue(app, 100, Lane.BULK, "通知{i} 明天上午九点发放物资")
    normal = queue(app, 70, Lane.NORMAL) + queue(app, 10, Lane.NORMAL, long_text + "{i}")
    urgent = queue(app, 20, Lane.URGENT, "#{i} 紧急")
    turns = run_worker(app, clock, lambda: len(phone_gateway.messages) == 200, step=1 / GATEWAY_SEND_RATE)
    assert turns >= 200

    sent = rows(app)
    by_id = {r.id: r for r in sent}
    order = sorted(sent, key=lambda r: r.sent_at)
    assert [r.id for r in order[:20]] == urgent and {r.id for r in order[20:100]} == set(normal)
    assert [r.id for r in order[100:]] == bulk
    assert [m.text for m in phone_gateway.messages] == [r.body for r in order]
    assert sum(by_id[i].segments for i in normal) == 70 + 10 * texts.segments(long_text + "0")
    for before, after in zip(order, order[1:], strict=False):  # each booked segments / rate after the last
        assert after.sent_at - before.sent_at >= timedelta(seconds=before.segments / GATEWAY_SEND_RATE) - HORIZON
    assert all((r.status, r.transport, r.delivery_status) == (OutStatus.SENT, "gateway", "queued") for r in sent)

    # the phone reports: all sent, one in ten failed, the rest delivered (one twice, one sent after delivered)
    for i, message in enumerate(phone_gateway.messages):
        post(client, phone_gateway.status("sms:sent", message, at=clock.at.timestamp(),
                                          parts_count=texts.segments(message.text), sent_at="2022-04-12T10:00:00Z"))
        if i % 10 == 3:
            post(client, phone_gateway.status("sms:failed", message, at=clock.at.timestamp(),
                                              reason="RESULT_ERROR_GENERIC_FAILURE"))
        else:
            post(client, phone_gateway.status("sms:delivered", message, at=clock.at.timestamp()))
    first = phone_gateway.messages[0]
    post(client, phone_gateway.status("sms:delivered", first, at=clock.at.timestamp()))
    post(client, phone_gateway.status("sms:sent", first, at=clock.at.timestamp()))

    after = rows(app)
    failed = [r for r in after if r.status == OutStatus.QUEUED]
    assert len(failed) == 20 and all(r.twilio_sid is None and "RESULT_ERROR" in r.last_error for r in failed)
    assert all(r.delivery_status == "delivered" for r in after if r.status == OutStatus.SENT)

    # the failed ones go again after HOTLINE_RETRY_DELAYS[0], under new ids, and are delivered
    clock.advance(seconds=300)
    run_worker(app, clock, lambda: len(phone_gateway.messages) == 220, step=1 / GATEWAY_SEND_RATE)
    for message in phone_gateway.messages[200:]:
        post(client, phone_gateway.status("sms:delivered", message, at=clock.at.timestamp()))
    final = rows(app)
    assert all((r.status, r.delivery_status) == (OutStatus.SENT, "delivered") for r in final)
    assert sorted(r.attempts for r in final) == [1] * 180 + [2] * 20
    assert len({r.twilio_sid for r in final}) == 200


def test_a_message_failing_on_the_phone_is_tried_as_often_as_a_transient_failure(app, client, clock, phone_gateway):
    [row_id] = queue(app, 1)
    for attempt in (1, 2, 3):
        run_worker(app, clock, lambda n=attempt: len(phone_gateway.messages) == n, step=60)
        post(client, phone_gateway.status("sms:failed", phone_gateway.messages[-1], at=clock.at.timestamp(),
                                          reason="RESULT_ERROR_NO_SERVICE"))
    [row] = rows(app)
    assert (row.id, row.status, row.delivery_status, row.attempts) == (row_id, OutStatus.FAILED, "failed", 3)
    assert "gave up after 3 attempts" in row.last_error and "NO_SERVICE" in row.last_error
    clock.advance(seconds=3600)
    Worker(app).send_due(wait_for_slots=False)
    assert len(phone_gateway.messages) == 3


def test_an_event_about_an_earlier_attempt_or_another_message_changes_nothing(app, client, clock, phone_gateway):
    queue(app, 1)
    run_worker(app, clock, lambda: len(phone_gateway.messages) == 1, step=5)
    post(client, phone_gateway.status("sms:failed", phone_gateway.messages[0], at=clock.at.timestamp(), reason="x"))
    post(client, phone_gateway.status("sms:failed", phone_gateway.messages[0], at=clock.at.timestamp(), reason="x"))
    post(client, phone_gateway.status("sms:delivered", Sent("not-ours", RESIDENT, "?"), at=clock.at.timestamp()))
    [row] = rows(app)
    assert (row.status, row.attempts, row.delivery_status) == (OutStatus.QUEUED, 1, None)


def test_a_phone_off_line_for_ten_minutes_keeps_every_message_and_sends_each_once_back(
    app, client, clock, phone_gateway
):
    ids = queue(app, 12)
    phone_gateway.off()
    start = clock.at
    run_worker(app, clock, lambda: clock.at - start >= timedelta(minutes=10), step=5)
    waiting = rows(app)
    assert all(r.status == OutStatus.QUEUED and r.attempts == 0 and r.sent_at is None for r in waiting)
    assert all("cannot be reached" in r.last_error for r in waiting if r.last_error)
    phone_gateway.on()
    run_worker(app, clock, lambda: len(phone_gateway.messages) == 12, step=5)
    run_worker(app, clock, lambda: True, step=5)
    assert sorted(m.text for m in phone_gateway.messages) == sorted(f"#{i} 您好" for i in range(12))
    final = rows(app)
    assert [r.id for r in final] == ids and all(r.status == OutStatus.SENT and r.attempts == 1 for r in final)


@pytest.mark.parametrize(("fault", "status", "attempts", "duplicates"), [
    (503, OutStatus.QUEUED, 0, 0),  # "ensure device is online": nothing taken, no attempt used
    (401, OutStatus.QUEUED, 0, 0),  # wrong credentials: every message would fail alike, they wait
    (500, OutStatus.QUEUED, 1, 1),  # may have been taken: retried later, counted as a possible copy
    (429, OutStatus.QUEUED, 0, 0),
    (400, OutStatus.FAILED, 1, 0),  # refused for good
])
def test_answers_of_the_phone_are_classified_like_twilios(app, clock, phone_gateway, fault, status, attempts,
                                                            duplicates):
    queue(app, 1)
    phone_gateway.faults.append(fault)
    Worker(app).send_due(wait_for_slots=False)
    [row] = rows(app)
    assert (row.status, row.attempts, row.duplicates) == (status, attempts, duplicates)
    assert f"HTTP {fault}" in row.last_error


def test_calls_stay_on_twilio_while_sms_go_through_the_phone(app, clock, phone_gateway, twilio):
    with app.app_context():
        outbox.queue_call(db.session, LANDLINE, "您的物资已送到", "zh")
        outbox.queue_sms(db.session, RESIDENT, "#1 您好", "zh")
        db.session.commit()
    run_worker(app, clock, lambda: len(phone_gateway.messages) == 1 and twilio.posts("Calls"), step=5)
    assert not twilio.posts("Messages")
    assert {(r.kind, r.transport) for r in rows(app)} == {("call", "twilio"), ("sms", "gateway")}


def test_the_stand_in_refuses_what_the_apps_description_refuses(phone_gateway):
    """The contract check can fail: an empty text is no message the app takes."""
    from hotline.channels.twilio import SendError

    with pytest.raises(SendError) as refused:
        GatewayTransport(phone_gateway.url, phone_gateway.credentials).send_sms(RESIDENT, "", None)
    assert refused.value.status == 400 and refused.value.permanent
    assert len(phone_gateway.invalid) == 1 and "textMessage" in phone_gateway.invalid[0]
    phone_gateway.invalid.clear()


def test_requests_without_credentials_are_refused_by_the_description(phone_gateway):
    from hotline.channels.twilio import SendError

    with pytest.raises(SendError) as refused:
        GatewayTransport(phone_gateway.url, "hotline:wrong").send_sms(RESIDENT, "hello", None)
    assert refused.value.status == 401 and refused.value.offline and phone_gateway.invalid == []


def test_the_cli_registers_the_webhooks_once_however_often_it_is_run(app, phone_gateway):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["gateway-webhooks"])
        assert result.exit_code == 0, result.output
    assert "https://hotline.test/gateway/events" in result.output
    hooks = sorted((h["event"], h["url"]) for h in phone_gateway.webhooks.values())
    assert hooks == [(e, "https://hotline.test/gateway/events")
                     for e in ("sms:delivered", "sms:failed", "sms:received", "sms:sent", "system:ping")]


def test_the_cli_says_so_when_the_phone_cannot_be_reached(app, phone_gateway):
    phone_gateway.off()
    result = app.test_cli_runner().invoke(args=["gateway-webhooks"])
    assert result.exit_code == 1 and "cannot be reached" in result.output


def test_the_cli_says_so_without_a_gateway(make_app):
    result = make_app().test_cli_runner().invoke(args=["gateway-webhooks"])
    assert result.exit_code == 1 and "SMS_GATEWAY_URL" in result.output
