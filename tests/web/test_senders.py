"""Who a message or call comes from: a phone number, or another channel's address (`client:`,
`whatsapp:`, `sip:`), which is never taken for a phone."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from hotline.domain import phones
from hotline.extensions import db
from hotline.models import Inbound, Outbox, Request
from tests.helpers import BASE, TOM, load_roster, numbers_in, sign

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


@pytest.mark.parametrize("raw", NOT_PHONES)
def test_an_sms_from_another_channel_is_answered_with_nothing_and_kept_nowhere(app, client, clock, caplog, raw):
    load_roster(app)
    params = {"MessageSid": "SM" + "8" * 32, "From": raw, "To": "+15005550006", "Body": "I need rice, Bldg 7 Rm 1101"}
    response = client.post(
        "/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(BASE + "/twilio/sms", params)}
    )
    assert response.status_code == 200 and response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response" and len(root) == 0
    with app.app_context():
        for model in (Inbound, Request, Outbox):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    refused = [r.getMessage() for r in caplog.records if r.name == "hotline.channels.webhooks"]
    assert refused and "13912345678" not in caplog.text and "alice" not in caplog.text


def test_a_known_number_still_texts_the_hotline(app, phone, clock):
    load_roster(app)
    assert numbers_in(phone(TOM).reply("I need rice")) == [1]
