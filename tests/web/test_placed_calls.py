"""The registry of placed calls: each kind is whole, and the worker, the voice route and the status
callback know the kinds only through it, so a kind declared there alone is placed, answered and ended."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

import ivr_flows
from hotline.domain import outbox, placed_calls, voice
from hotline.domain.replies import Hangup, Say
from hotline.extensions import db
from hotline.models import Outbox, OutStatus, Purpose
from hotline.worker import Worker
from tests.helpers import BASE, WANG_LANDLINE, sign
from tests.twilio_standin import ACCOUNT_SID, HOTLINE_NUMBER


def test_every_kind_has_its_flow_its_own_url_parameter_and_its_own_purpose():
    kinds = placed_calls.KINDS
    assert [(kind, placed.kind) for kind, placed in kinds.items()] == [(kind, kind) for kind in kinds]
    for placed in kinds.values():
        assert ivr_flows.flow(placed.flow).name == placed.flow  # loaded and validated
        assert re.fullmatch(r"[a-z]+", placed.kind) and re.fullmatch(r"[a-z]", placed.param)
    assert len({placed.param for placed in kinds.values()}) == len(kinds)
    assert len({placed.purpose for placed in kinds.values()}) == len(kinds)  # a row's purpose picks one kind


def test_a_url_names_its_kind_subject_and_language_and_a_strange_language_is_chinese():
    placed = placed_calls.KINDS["checkin"]
    assert placed_calls.url(BASE + "/", placed, 7, "en") == f"{BASE}/twilio/voice/checkin?c=7&lang=en"
    assert placed_calls.url(BASE, placed, 7, "xx") == f"{BASE}/twilio/voice/checkin?c=7&lang=zh"


# A kind declared here and nowhere else: a call to a coordinator's landline about a question (the rows
# of `Purpose.QUESTION` are of no kind otherwise), asking "1 if you will call back".
heard: list[tuple[int, str]] = []
ended: list[tuple[int, str]] = []


def _answer(session, policy, step: voice.PlacedStep):
    heard.append((step.subject, step.call.digits))
    return (Say(f"heard {step.call.digits}", step.lang), Hangup())


def _ended(session, policy, row, call_status, now) -> bool:
    ended.append((row.id, call_status))
    return False


EXAMPLE = placed_calls.PlacedCall(
    kind="example", param="q", purpose=Purpose.QUESTION, flow="checkin",
    subject=lambda _session, row: row.id,
    opening=lambda placing: voice.open_placed(placing, example=placing.subject),
    answer=_answer, ended=_ended,
)


@pytest.fixture
def app(make_app, twilio, clock, monkeypatch):
    app = make_app(TWILIO_API_URL=twilio.url)
    from hotline import init_transport

    init_transport(app)
    monkeypatch.setitem(placed_calls.KINDS, EXAMPLE.kind, EXAMPLE)
    heard.clear()
    ended.clear()
    return app


def post(app, url: str, params: dict):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return app.test_client().post(path, data=params, headers={"X-Twilio-Signature": sign(BASE + path, params)})


def test_a_kind_declared_in_the_registry_alone_is_placed_answered_and_ended(app, twilio):
    with app.app_context():
        row = outbox.queue_call(db.session, WANG_LANDLINE, "有人问：明天几点发菜？", "zh", purpose=Purpose.QUESTION)
        db.session.commit()
        row_id = row.id
    Worker(app).tick()
    [placed] = twilio.posts("Calls")
    gather = ET.fromstring(placed.params["Twiml"]).find("Gather")
    action = gather.get("action")
    assert urlsplit(action).path == "/twilio/voice/example"
    assert parse_qs(urlsplit(action).query) == {"q": [str(row_id)], "lang": ["zh"], "n": ["1"]}
    with app.app_context():
        sid = db.session.scalars(select(Outbox.twilio_sid).where(Outbox.id == row_id)).one()
    call = {"CallSid": sid, "From": HOTLINE_NUMBER, "To": WANG_LANDLINE, "AccountSid": ACCOUNT_SID, "Digits": "1"}
    answer = ET.fromstring(post(app, action, call).get_data(as_text=True))
    assert " ".join("".join(answer.itertext()).split()) == "heard 1" and answer.find("Hangup") is not None
    assert heard == [(row_id, "1")]
    status = post(app, BASE + "/twilio/status", {"CallSid": sid, "CallStatus": "no-answer", "AccountSid": ACCOUNT_SID})
    assert status.status_code == 204 and ended == [(row_id, "no-answer")]
    with app.app_context():
        assert db.session.get(Outbox, row_id).status == OutStatus.SENT  # its `ended` said: not again


def test_without_its_kind_the_same_call_only_speaks_and_an_unknown_kind_is_not_found(app, twilio, monkeypatch):
    monkeypatch.delitem(placed_calls.KINDS, EXAMPLE.kind)
    with app.app_context():
        outbox.queue_call(db.session, WANG_LANDLINE, "有人问：明天几点发菜？", "zh", purpose=Purpose.QUESTION)
        db.session.commit()
    Worker(app).tick()
    [placed] = twilio.posts("Calls")
    verbs = [verb.tag for verb in ET.fromstring(placed.params["Twiml"])]
    assert verbs == ["Say", "Pause", "Say", "Hangup"]  # said twice, slowly
    call = {"CallSid": "CA" + "1" * 32, "From": HOTLINE_NUMBER, "To": WANG_LANDLINE, "AccountSid": ACCOUNT_SID}
    assert post(app, BASE + "/twilio/voice/example?q=1&lang=zh&n=1", call).status_code == 404
    assert heard == []
