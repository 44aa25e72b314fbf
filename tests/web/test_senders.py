"""Who a message or call comes from: a phone number, or another channel's address (`client:`,
`whatsapp:`, `sip:`), which is never taken for a phone."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from hotline.domain import phones
from hotline.extensions import db
from hotline.models import Inbound, Outbox, Request
from hotline.worker import Worker
from tests.helpers import BASE, SUN_HONG, TOM, load_roster, numbers_in, sign

NOT_PHONES = [
    "client:alice",  # Twilio Client: a browser or an app
    "client:13912345678",  # a client named like a resident's number
    "whatsapp:+8613912345678",
    "sip:+8613912345678@sip.example.com",
    "messenger:1234567890",
    "tel:+8613912345678",
    "ALERTS",  # an alphanumeric sender ID
    "#$%&*!",
]


@pytest.mark.parametrize("raw", NOT_PHONES)
def test_another_channel_s_address_is_no_phone_number(raw):
    assert phones.sender(raw, "CN") is None
    assert phones.caller(raw, "CN") == ""


@pytest.mark.parametrize("raw", ["+8613912345678", "13912345678", "+86 139 1234 5678", "(021) 6000-1234"])
def test_a_phone_number_is_one_however_it_is_written(raw):
    assert phones.sender(raw, "CN") in ("+8613912345678", "+862160001234")


def post_sms(client, params: dict[str, str]):
    return client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(BASE + "/twilio/sms", params)})


@pytest.mark.parametrize("raw", NOT_PHONES)
def test_an_sms_from_another_channel_is_kept_and_shown_to_the_coordinators_once(app, client, clock, caplog, raw):
    load_roster(app)
    params = {"MessageSid": "SM" + "8" * 32, "From": raw, "To": "+15005550006", "Body": "I need rice, Bldg 7 Rm 1101"}
    for _ in range(2):  # Twilio's retry is the same message
        response = post_sms(client, params)
        assert response.status_code == 200 and response.mimetype == "text/xml"
        root = ET.fromstring(response.get_data(as_text=True))
        assert root.tag == "Response" and len(root) == 0  # nobody to answer by SMS there
    with app.app_context():
        [kept] = db.session.scalars(select(Inbound)).all()
        assert (kept.phone, kept.kind, kept.body) == ("", "sms", "I need rice, Bldg 7 Rm 1101")  # no phone made up
        assert db.session.scalar(select(func.count()).select_from(Request)) == 0
        [told] = db.session.scalars(select(Outbox)).all()  # the one coordinator, once
        assert told.to == SUN_HONG and raw in told.body and "I need rice" in told.body
    refused = [r.getMessage() for r in caplog.records if r.name == "hotline.channels.webhooks"]
    assert refused and "13912345678" not in caplog.text and "alice" not in caplog.text


def test_a_flood_from_another_channel_is_kept_without_flooding_the_coordinators(app, client, clock, monkeypatch):
    from hotline.domain import inbox

    load_roster(app)
    monkeypatch.setattr(inbox, "NO_PHONE_ALERTS", 3)
    for n in range(5):
        post_sms(client, {"MessageSid": f"SM{n:032d}", "From": "whatsapp:+8613912345678", "Body": f"spam {n}"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Inbound)) == 5
        assert db.session.scalar(select(func.count()).select_from(Outbox)) == 3
    clock.advance(minutes=11)
    post_sms(client, {"MessageSid": "SM" + "9" * 32, "From": "whatsapp:+8613912345678", "Body": "later"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Outbox)) == 4


@pytest.fixture
def spooled(app):
    """Put an SMS into the spool as the webhook would have, with the database down."""

    def put(sender: str, body: str, sid: str) -> None:
        app.extensions["spool"].put("sms", sid, {"MessageSid": sid, "From": sender, "Body": body})

    return put


def test_the_spool_s_replay_reads_the_sender_as_the_webhook_does(app, clock, spooled):
    load_roster(app)
    spooled("client:13912345678", "I need rice", "SM" + "1" * 32)  # a client named like Tom's number is not Tom
    spooled("+86 139 1234 5678", "I need rice", "SM" + "2" * 32)  # Tom, as a number is written
    assert Worker(app).replay_spool() == 2
    with app.app_context():
        first, second = db.session.scalars(select(Inbound).order_by(Inbound.id)).all()
        assert (first.phone, second.phone) == ("", TOM)
        [request] = db.session.scalars(select(Request)).all()  # Tom's, once
        assert request.requester_phone == TOM
        told = db.session.scalars(select(Outbox.body).where(Outbox.to == SUN_HONG)).all()
        assert any("client:13912345678" in body for body in told)


def test_a_known_number_still_texts_the_hotline(app, phone, clock):
    load_roster(app)
    assert numbers_in(phone(TOM).reply("I need rice")) == [1]
