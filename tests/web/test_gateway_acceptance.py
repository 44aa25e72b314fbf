"""The public acceptance scenarios that are SMS-only (../shared/acceptance/run.py), replayed with the phone
as the only carrier: each text is the phone's signed `sms:received` posted to /gateway/events, and every
answer must arrive through the phone (the stand-in, each request checked against the app's OpenAPI
description), as the acceptance kit reads them from Twilio's REST API. The voice scenario needs Twilio
and stays with it; a forged signature and a repeated delivery are the phone's own (its key, its envelope id).
"""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Inbound, Request
from hotline.worker import Worker
from tests.gateway_standin import gateway_app
from tests.helpers import (
    CHEN_JIE,
    LI_WEI,
    RESIDENTS_CSV,
    TOM,
    VOLUNTEERS_CSV,
    ZHANG_MIN,
    get_request,
    load_roster,
    numbers_in,
)

WANG_LANDLINE_AS_WRITTEN = "+86 21 6000 1234"

# The acceptance kit's roster: the tests' own volunteers, and its residents without the landline.
RESIDENTS = "".join(line for line in RESIDENTS_CSV.splitlines(keepends=True) if WANG_LANDLINE_AS_WRITTEN not in line)
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def app(make_app, phone_gateway):
    """The SMS phone and no Twilio: the carrier of a compound in mainland China."""
    app = gateway_app(make_app, phone_gateway, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="")
    load_roster(app, VOLUNTEERS_CSV, RESIDENTS)
    return app


class Handset:
    """A phone texting the hotline's SIM: the gateway phone posts each text, the worker sends the answers
    back through it; what this phone received is what the phone sent to its number."""

    def __init__(self, app, client, phone, clock, number: str):
        self.app, self.client, self.phone, self.clock, self.number = app, client, phone, clock, number
        self.last_status = 0

    def mark(self) -> int:
        return len(self.phone.messages)

    def received(self, since: int = 0) -> list[str]:
        return [m.text for m in self.phone.messages[since:] if m.to == self.number]

    def text(self, body: str, event_id: str | None = None) -> list[str]:
        """Text the hotline; return what came back to this phone through the gateway."""
        mark = self.mark()
        posted = self.client.post("/gateway/events", **self.phone.received(self.number, body, self.clock.at.timestamp(),
                                                                             event_id=event_id))
        self.last_status = posted.status_code
        Worker(self.app).tick()
        return self.received(mark)


@pytest.fixture
def handset(app, client, phone_gateway, clock):
    return lambda number: Handset(app, client, phone_gateway, clock, number)


def has(number: int, texts: list[str]) -> bool:
    return any(number in numbers_in(t) for t in texts)


def test_english_sms_then_the_volunteer_takes_and_delivers_it_and_status_names_it(app, handset):
    tom, chen = handset(TOM), handset(CHEN_JIE)
    replies = tom.text("I need food please")
    [n] = {x for m in replies for x in numbers_in(m)}
    assert replies and not any(CJK.search(m) for m in replies)  # in English
    assert has(n, chen.received())  # the building's volunteer gets it
    request = get_request(app, n)
    assert (request.category, request.household.building, request.household.room, request.language) == (
        "food", 7, "1101", "en")

    mark = tom.mark()
    chen.text(f"OK #{n}")
    assert get_request(app, n).status == "accepted" and has(n, tom.received(mark))
    mark = tom.mark()
    chen.text(f"DONE {n}")
    assert get_request(app, n).status == "delivered" and has(n, tom.received(mark))

    assert has(n, tom.text("STATUS"))


def test_chinese_sms_goes_to_building_12_and_no_hands_it_on(app, handset):
    replies = handset("+8613700001111").text("12号楼302室 需要买菜")
    [n] = {x for m in replies for x in numbers_in(m)}
    assert any(CJK.search(m) for m in replies)
    request = get_request(app, n)
    assert (request.category, request.household.building, request.household.room) == ("food", 12, "302")
    li, zhang = handset(LI_WEI), handset(ZHANG_MIN)
    [first] = [v for v in (li, zhang) if has(n, v.received())]
    other = zhang if first is li else li
    mark = other.mark()
    first.text(f"NO {n}")
    assert has(n, other.received(mark))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("forged", ["wrong key", "stale", "unsigned"])
def test_a_forged_event_is_refused_and_creates_nothing(app, client, phone_gateway, clock, forged):
    at = clock.at.timestamp() - (301 if forged == "stale" else 0)
    post = phone_gateway.received("+8613700002222", "12号楼101 要药", at,
                                  **({"key": "wrong-key"} if forged == "wrong key" else {}))
    if forged == "unsigned":
        post["headers"] = {}
    assert client.post("/gateway/events", **post).status_code == 403
    assert count(app, Request) == 0 and count(app, Inbound) == 0
    assert phone_gateway.messages == []


def test_the_same_event_delivered_twice_makes_one_request(app, handset):
    twice = handset("+8613700003333")
    envelope = "ev-" + secrets.token_hex(8)
    first = twice.text("13号楼501 需要药", event_id=envelope)
    assert twice.text("13号楼501 需要药", event_id=envelope) == []  # nothing more is sent
    with app.app_context():
        made = db.session.scalars(select(Request)).all()
        assert [(r.household.building, r.household.room) for r in made] == [(13, "501")]
    assert numbers_in(first[0]) == [made[0].id]


@pytest.mark.parametrize("body", ["", "😀😀😀", "x" * 1600, "<Response><Hangup/></Response>",
                                  "'; DROP TABLE requests; --"])
def test_bad_input_is_taken_without_an_error(app, client, handset, body):
    odd = handset("+8613700004440")
    odd.text(body)
    assert odd.last_status == 204
    assert client.get("/healthz").status_code == 200
