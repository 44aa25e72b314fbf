"""SMS that reach the hotline through the gateway phone: signed `sms:received` events, taken by the
same intake as Twilio's, once per envelope id, answered through the outbox and the phone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Inbound, Outbox, Request
from hotline.worker import Worker
from tests.gateway_standin import SIGNING_KEY, gateway_app
from tests.helpers import LIU, TOM, get_request, load_roster, numbers_in

STRANGER = "+8613700001111"


@pytest.fixture
def app(make_app, phone_gateway):
    """The hotline with Twilio for calls and the gateway phone for SMS."""
    return gateway_app(make_app, phone_gateway)


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def now(clock) -> float:
    return clock.at.timestamp()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def queued_to(app, number: str) -> list[Outbox]:
    with app.app_context():
        rows = list(db.session.scalars(select(Outbox).where(Outbox.to == number).order_by(Outbox.id)))
        db.session.expunge_all()
        return rows


def test_a_text_through_the_phone_is_taken_like_twilios_and_answered_through_the_phone(
    app, client, clock, phone_gateway
):
    response = client.post("/gateway/events", **phone_gateway.received(TOM, "I need food please, rice and eggs",
                                                                        at=now(clock)))
    assert response.status_code == 204
    [reply] = queued_to(app, TOM)
    [n] = numbers_in(reply.body)
    assert reply.delivery_status is None and reply.request_id == n and reply.body.isascii()
    r = get_request(app, n)
    assert (r.category, r.household.label, r.language, r.channel) == ("food", "7-1101", "en", "sms")
    Worker(app).tick()
    sent = [m for m in phone_gateway.messages if m.to == TOM]
    assert [m.text for m in sent] == [reply.body]
    [reply] = queued_to(app, TOM)
    assert (reply.transport, reply.twilio_sid) == ("gateway", sent[0].id)


def test_the_same_event_twice_is_stored_once(app, client, clock, phone_gateway):
    post = phone_gateway.received(STRANGER, "12号楼302室 需要买菜", at=now(clock), event_id="evt-1")
    assert client.post("/gateway/events", **post).status_code == 204
    assert client.post("/gateway/events", **post).status_code == 204
    again = phone_gateway.received(STRANGER, "12号楼302室 需要买菜", at=now(clock), event_id="evt-1")
    assert client.post("/gateway/events", **again).status_code == 204  # re-signed later, same envelope id
    assert count(app, Inbound) == 1 and count(app, Request) == 1
    assert len(queued_to(app, STRANGER)) == 1
    with app.app_context():
        assert db.session.scalar(select(Inbound.sid)) == "AG:evt-1"


def test_the_same_message_id_in_two_events_is_two_messages(app, client, clock, phone_gateway):
    """`messageId` is derived from the content: two residents' identical texts share it."""
    first = phone_gateway.event("sms:received", at=now(clock), message_id="same", sender=TOM, message="STATUS")
    second = phone_gateway.event("sms:received", at=now(clock), message_id="same", sender=LIU, message="STATUS")
    assert client.post("/gateway/events", **first).status_code == 204
    assert client.post("/gateway/events", **second).status_code == 204
    assert count(app, Inbound) == 2 and queued_to(app, TOM) and queued_to(app, LIU)


@pytest.mark.parametrize("written", ["13700001111", "+86 137 0000 1111", "008613700001111"])
def test_a_sender_is_read_as_twilios_is_in_e164(app, client, clock, phone_gateway, written):
    post = phone_gateway.received(written, "12号楼302室 需要买菜", at=now(clock))
    assert client.post("/gateway/events", **post).status_code == 204
    with app.app_context():
        assert db.session.scalar(select(Inbound.phone)) == STRANGER
    assert len(queued_to(app, STRANGER)) == 1


def refused(app, client, **post) -> None:
    assert client.post("/gateway/events", **post).status_code == 403
    assert count(app, Inbound) == 0 and count(app, Outbox) == 0 and count(app, Request) == 0


def test_a_wrong_key_is_refused_and_nothing_is_stored(app, client, clock, phone_gateway):
    refused(app, client, **phone_gateway.event("sms:received", at=now(clock), key="another key", sender=TOM,
                                               message="need rice"))


def test_an_unsigned_event_is_refused(app, client, clock, phone_gateway):
    post = phone_gateway.received(TOM, "need rice", at=now(clock))
    refused(app, client, data=post["data"], content_type="application/json")
    refused(app, client, data=post["data"], content_type="application/json",
            headers={"X-Timestamp": post["headers"]["X-Timestamp"]})


def test_a_body_changed_after_signing_is_refused(app, client, clock, phone_gateway):
    post = phone_gateway.received(TOM, "need rice", at=now(clock))
    post["data"] = post["data"].replace(b"need rice", b"need gold")
    refused(app, client, **post)


def test_a_signature_for_another_time_is_refused(app, client, clock, phone_gateway):
    post = phone_gateway.received(TOM, "need rice", at=now(clock))
    post["headers"]["X-Timestamp"] = str(int(now(clock)) + 1)
    refused(app, client, **post)


@pytest.mark.parametrize("off", [timedelta(minutes=-5, seconds=-30), timedelta(minutes=5, seconds=30)])
def test_a_timestamp_more_than_five_minutes_away_is_refused(app, client, clock, phone_gateway, off):
    refused(app, client, **phone_gateway.received(TOM, "need rice", at=(clock.at + off).timestamp()))


def test_a_timestamp_within_five_minutes_is_taken(app, client, clock, phone_gateway):
    post = phone_gateway.received(TOM, "need rice", at=(clock.at - timedelta(minutes=4)).timestamp())
    assert client.post("/gateway/events", **post).status_code == 204
    assert count(app, Inbound) == 1


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"id": "x", "event": "sms:received"}',
                                  b'{"id": "has space", "event": "sms:received", "payload": {}}',
                                  b'{"id": 7, "event": "sms:received", "payload": {}}'])
def test_a_signed_body_that_is_no_envelope_is_a_400_and_stores_nothing(app, client, clock, phone_gateway, body):
    from hotline.channels.gateway import sign

    stamp = str(int(now(clock)))
    response = client.post("/gateway/events", data=body, content_type="application/json",
                           headers={"X-Timestamp": stamp, "X-Signature": sign(SIGNING_KEY, body, stamp)})
    assert response.status_code == 400
    assert count(app, Inbound) == 0 and count(app, Outbox) == 0


def test_hostile_fields_are_kept_as_text(app, client, clock, phone_gateway):
    """A NUL, a lone surrogate and a number where text belongs: kept as text, answered, never a 500."""
    body = json.dumps({"id": "e1", "webhookId": "w", "deviceId": "d", "event": "sms:received",
                       "payload": {"sender": STRANGER, "message": "need rice\u0000 \ud800 12号楼302室",
                                   "messageId": 5}}).encode()
    from hotline.channels.gateway import sign

    stamp = str(int(now(clock)))
    response = client.post("/gateway/events", data=body, content_type="application/json",
                           headers={"X-Timestamp": stamp, "X-Signature": sign(SIGNING_KEY, body, stamp)})
    assert response.status_code == 204
    with app.app_context():
        assert "\x00" not in db.session.scalar(select(Inbound.body))
    assert len(queued_to(app, STRANGER)) == 1


def test_a_sender_that_is_no_phone_number_is_kept_for_the_coordinators(app, client, clock, phone_gateway):
    post = phone_gateway.event("sms:received", at=now(clock), sender="10086", message="您的话费余额不足")
    assert client.post("/gateway/events", **post).status_code == 204
    with app.app_context():
        assert db.session.scalar(select(Inbound.body)) == "您的话费余额不足"
