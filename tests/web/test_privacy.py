"""No phone number or message body appears in the logs in clear."""

from __future__ import annotations

import logging

from hotline import logs
from tests.helpers import CHEN_JIE, TOM, load_roster, numbers_in


def test_a_whole_flow_logs_no_number_or_body_in_clear(app, phone, clock, caplog):
    load_roster(app)
    caplog.set_level(logging.DEBUG)
    [n] = numbers_in(phone(TOM).reply("I need insulin, my secret diagnosis"))
    phone(CHEN_JIE).reply(f"OK {n}")
    phone(TOM).text("STOP")
    logging.getLogger("hotline.test").warning("sending to %s failed", TOM)  # as any module might
    text = caplog.text
    assert TOM not in text and CHEN_JIE not in text and "secret diagnosis" not in text
    assert "+86*******5678#" in text


def test_the_tag_follows_a_number_without_revealing_it():
    a = logs.redact("to +8613912345678", b"k")
    assert a == logs.redact("to +8613912345678", b"k") != logs.redact("to +8613912345678", b"other")
    assert "13912345678" not in a
