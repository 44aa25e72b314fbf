"""The worker sends the outbox through the real twilio-python client to a local stand-in."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.domain import outbox
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Lane, OptOut, Outbox, OutStatus
from hotline.worker import Worker, claim, recover_expired
from tests.helpers import sign

RESIDENT = "+8613800138000"
LANDLINE = "+862160001234"


@pytest.fixture
def app(make_app, twilio):
    """The hotline pointed at the stand-in, with a short HTTP timeout for hangs."""
    app = make_app(TWILIO_API_URL=twilio.url)
    app.config["TWILIO_HTTP_TIMEOUT"] = 1.0
    from hotline import init_transport

    init_transport(app)
    return app


def queue(app, to=RESIDENT, text="#1 hello", lang="en", lane=Lane.NORMAL) -> int:
    with app.app_context():
        row = outbox.queue_sms(db.session, to, text, lang, lane=lane)
        db.session.commit()
        return row.id


def row(app, row_id) -> Outbox:
    with app.app_context():
        found = db.session.get(Outbox, row_id)
        db.session.expunge(found)
        return found


def test_sms_goes_out_with_a_status_callback_and_keeps_twilios_sid(app, twilio, clock):
    row_id = queue(app, text="#7 你好")
    assert Worker(app).send_due() == 1
    [seen] = twilio.posts("Messages")
    assert (seen.params["To"], seen.params["Body"], seen.params["From"]) == (RESIDENT, "#7 你好", "+14155550100")
    assert seen.params["StatusCallback"] == "https://hotline.test/twilio/status"
    sent = row(app, row_id)
    assert sent.status == OutStatus.SENT and sent.twilio_sid.startswith("SM") and sent.attempts == 1


def test_status_callbacks_only_move_forward(app, client, twilio):
    row_id = queue(app)
    Worker(app).send_due()
    sid = row(app, row_id).twilio_sid
    for status in ("sent", "delivered", "sent"):
        params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
        signature = sign("https://hotline.test/twilio/status", params)
        assert client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": signature}).status_code == 204
    assert row(app, row_id).delivery_status == "delivered"


def test_a_status_callback_with_an_odd_error_code_is_taken(app, client, twilio):
    row_id = queue(app)
    Worker(app).send_due()
    params = {"MessageSid": row(app, row_id).twilio_sid, "MessageStatus": "undelivered", "ErrorCode": "²",
              "AccountSid": "AC" + "0" * 32}
    signature = sign("https://hotline.test/twilio/status", params)
    assert client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": signature}).status_code == 204
    assert row(app, row_id).delivery_status == "undelivered" and row(app, row_id).error_code is None


def test_transient_failures_follow_the_retry_delays_then_give_up(app, twilio, clock):
    twilio.faults.extend([500, 503, 500])
    row_id = queue(app)
    worker = Worker(app)
    worker.send_due()
    first = row(app, row_id)
    assert (first.status, first.attempts, first.error_code) == (OutStatus.QUEUED, 1, 20500)
    assert worker.send_due() == 0  # not due before its delay
    clock.advance(seconds=301)
    worker.send_due()
    second = row(app, row_id)
    assert second.attempts == 2 and second.next_attempt_at - first.next_attempt_at > timedelta(seconds=800)
    clock.advance(seconds=901)
    worker.send_due()
    last = row(app, row_id)
    assert last.status == OutStatus.FAILED and last.attempts == 3 and len(twilio.posts("Messages")) == 3
    assert last.duplicates == 3  # each 5xx may have been taken by Twilio: counted


def test_429_does_not_use_up_an_attempt(app, twilio, clock):
    twilio.faults.extend([429, 429, 429, 429])
    row_id = queue(app)
    worker = Worker(app)
    for _ in range(4):
        worker.send_due()
        clock.advance(seconds=301)
    assert row(app, row_id).attempts == 0
    worker.send_due()
    assert row(app, row_id).status == OutStatus.SENT


def test_a_hanging_api_is_a_counted_ambiguous_failure(app, twilio, clock):
    twilio.faults.append("hang")
    row_id = queue(app)
    Worker(app).send_due()
    hung = row(app, row_id)
    assert hung.status == OutStatus.QUEUED and hung.duplicates == 1


@pytest.mark.parametrize(("code", "opted_out"), [(21610, True), (21211, False), (21612, False)])
def test_permanent_errors_fail_at_once(app, twilio, clock, code, opted_out):
    twilio.faults.append(("error", 400, code))
    row_id = queue(app)
    worker = Worker(app)
    worker.send_due()
    failed = row(app, row_id)
    assert (failed.status, failed.error_code, failed.attempts) == (OutStatus.FAILED, code, 1)
    clock.advance(hours=1)
    assert worker.send_due() == 0 and len(twilio.posts("Messages")) == 1
    with app.app_context():
        assert (db.session.get(OptOut, RESIDENT) is not None) == opted_out


def test_not_a_mobile_becomes_a_call(app, twilio):
    twilio.faults.append(("error", 400, 21614))
    queue(app, to="+8613800000000", text="#3 送到了", lang="zh")
    worker = Worker(app)
    worker.send_due()
    worker.send_due()
    [call] = twilio.posts("Calls")
    assert "#3 送到了" in call.params["Twiml"] and "cmn-CN" in call.params["Twiml"]


def test_landlines_get_a_call_never_an_sms(app, twilio):
    queue(app, to=LANDLINE, text="您的请求 #5 已送达", lang="zh")
    Worker(app).send_due()
    assert twilio.posts("Messages") == [] and len(twilio.posts("Calls")) == 1


def test_opted_out_number_is_skipped_at_send_time(app, twilio):
    row_id = queue(app)
    with app.app_context():
        outbox.set_opt_out(db.session, RESIDENT, True)
        db.session.commit()
    Worker(app).send_due()
    assert row(app, row_id).status == OutStatus.SKIPPED and twilio.posts("Messages") == []


def test_urgent_lane_goes_first(app, twilio):
    queue(app, text="bulk", lane=Lane.BULK)
    queue(app, text="normal")
    queue(app, text="urgent", lane=Lane.URGENT)
    Worker(app).send_due()
    assert [s.params["Body"] for s in twilio.posts("Messages")] == ["urgent", "normal", "bulk"]


def test_claims_book_the_send_rate_across_workers(app, clock):
    for i in range(5):
        queue(app, text=f"m{i}")
    policy = Policy.from_config(app.config)
    slow = Policy(**{**policy.__dict__, "send_rate": 1.0})
    with app.app_context():
        now = clock.at
        first = claim(db.session, slow, "a", now)
        second = claim(db.session, slow, "b", now)
        db.session.commit()
    slots = [c.slot for c in first + second]
    assert len(slots) == 3  # 1 segment per second, two seconds ahead at most
    assert [(b - a).total_seconds() for a, b in zip(slots, slots[1:], strict=False)] == [1.0, 1.0]


class Waits(threading.Event):
    """A worker's stop signal that notes, each time the worker waits on it, whether a transaction is open; it
    waits no time (the test's clock stands still, the slots are not waited for on the wall)."""

    def __init__(self):
        super().__init__()
        self.in_transaction: list[bool] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.in_transaction.append(db.session().in_transaction())
        return super().wait(0)


def test_no_transaction_is_open_while_the_worker_waits_for_a_send_slot(app, twilio, clock):
    """On SQLite an open transaction holds the write lock that every webhook needs."""
    for i in range(3):
        queue(app, text=f"m{i}")
    clock.freeze()
    worker = Worker(app)
    worker.policy = Policy(**{**worker.policy.__dict__, "send_rate": 1.0})  # slots one second apart
    worker.stopping = Waits()
    assert worker.send_due() == 3
    assert worker.stopping.in_transaction == [False, False]  # the second and the third waited for theirs
    assert [s.params["Body"] for s in twilio.posts("Messages")] == ["m0", "m1", "m2"]


def test_a_dead_workers_rows_come_back_counted(app, clock):
    row_id = queue(app)
    with app.app_context():
        claim(db.session, Policy.from_config(app.config), "dead", clock.at)
        db.session.commit()
        assert recover_expired(db.session, clock.at) == 0
        clock.advance(minutes=5)
        assert recover_expired(db.session, clock.at) == 1
        db.session.commit()
    back = row(app, row_id)
    assert back.status == OutStatus.QUEUED and back.duplicates == 1 and back.lease_owner is None


def test_two_workers_racing_send_each_message_once(app, twilio):
    for i in range(40):
        queue(app, text=f"message {i}")
    workers = [Worker(app, name=f"w{i}") for i in range(2)]
    threads = [threading.Thread(target=w.tick) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    bodies = [s.params["Body"] for s in twilio.posts("Messages")]
    assert sorted(set(bodies)) == sorted(f"message {i}" for i in range(40))
    with app.app_context():
        assert set(db.session.scalars(select(Outbox.status))) == {OutStatus.SENT}
        counted = db.session.scalar(select(func.sum(Outbox.duplicates)))
    assert len(bodies) - 40 == counted == 0  # on real time no lease runs out: no copies at all


def test_tick_command_sends_and_reports(app, twilio):
    queue(app)
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0 and "1 messages sent" in result.output
    assert len(twilio.posts("Messages")) == 1
