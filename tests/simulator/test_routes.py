"""The home page and the simulator's endpoints: there only with the console transport and only for this machine,
driving the real webhooks (nothing is done beside them), and refusing bad input with a 400, never a 500."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from hotline import clock as hotline_clock
from hotline import create_app
from hotline.domain import broadcast, offers
from hotline.domain.demo import COORDINATOR
from hotline.extensions import db
from hotline.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    Inbound,
    Outbox,
    OutStatus,
    Request,
    Resident,
    Status,
    Volunteer,
)
from hotline.worker import Worker
from simulator import calls
from tests.admin.actions import AdminActions
from tests.conftest import hotline_env
from tests.helpers import numbers_in
from tests.simulator.conftest import CONSOLE, demo_login, load_demo

TOM = "+8613912345678"  # the demo's foreign resident, 7-1101
WANG = "+8613800138001"  # the demo's elderly resident, 12-302
LIU = "+862160001234"  # the demo's landline, 5-1201
STRANGER = "+8613711112222"
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


class Links(HTMLParser):
    """The hrefs of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href")


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def newest_request(app, **where) -> Request:
    with app.app_context():
        found = db.session.scalars(select(Request).filter_by(**where).order_by(Request.id.desc())).first()
        assert found is not None, where
        _ = (found.household, found.volunteer)
        db.session.expunge_all()
        return found


def post(sim, path: str, payload, status: int = 200) -> dict:
    response = sim.post(f"/simulator/api/{path}", json=payload)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.json


def spoken(step: dict) -> str:
    return "\n".join(s["text"] for s in step["says"])


# --------------------------------------------------------------------------------------------
# Where it exists
# --------------------------------------------------------------------------------------------
def test_the_home_page_leads_to_the_simulator_and_the_admin_page_with_the_demo_login(console_app, sim):
    response = sim.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert {"/simulator", "/admin/"} <= set(Links(html).hrefs)
    user, password = demo_login(console_app)
    assert f"<code>{user}</code> / <code>{password}</code>" in html
    assert "POST {PUBLIC_BASE_URL}/twilio/sms" in html  # how to connect a number
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    page = sim.get("/simulator/")
    assert page.status_code == 200 and "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.get_data(as_text=True))  # no inline script
    assert sim.get("/assets/simulator.js").status_code == 200


def test_with_twilio_credentials_there_is_no_simulator_and_no_demo_login(app, client):
    load_demo(app)
    for path in ("/simulator/", "/simulator/api/phones", f"/simulator/api/feed?phone={TOM}"):
        assert client.get(path).status_code == 404, path
    assert client.post("/simulator/api/sms", json={"phone": TOM, "body": "I need rice"}).status_code == 404
    assert count(app, Inbound) == 0
    html = client.get("/").get_data(as_text=True)
    hrefs = Links(html).hrefs
    assert "/admin/" in hrefs and not any(h.startswith("/simulator") for h in hrefs)
    assert demo_login(app)[1] not in html
    assert "POST https://hotline.test/twilio/voice" in html  # the webhooks Twilio is to call, at PUBLIC_BASE_URL


def test_only_this_machine_and_only_this_page_may_use_it(console_app, sim):
    assert sim.get("/simulator/", environ_base=OUTSIDE).status_code == 403
    assert sim.get("/simulator/api/phones", environ_base=OUTSIDE).status_code == 403
    refused = sim.post("/simulator/api/sms", json={"phone": TOM, "body": "I need rice"}, environ_base=OUTSIDE)
    assert refused.status_code == 403
    forged = sim.post("/simulator/api/sms", json={"phone": TOM, "body": "I need rice"},
                      headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    assert count(console_app, Inbound) == 0
    assert demo_login(console_app)[1] not in sim.get("/", environ_base=OUTSIDE).get_data(as_text=True)
    # the webhooks themselves still refuse unsigned requests from outside
    webhook = sim.post("/twilio/sms", data={"MessageSid": "SM1", "From": TOM, "Body": "hi"}, environ_base=OUTSIDE)
    assert webhook.status_code == 403


CROSS_SITE = [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},  # a form another site auto-submits
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a file:// page
    {"Sec-Fetch-Site": "same-site"},  # another port of this machine is another page, not this one
]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_another_site_s_page_cannot_text_the_hotline_through_this_machine_s_browser(console_app, sim, headers):
    volunteer = sim.get("/simulator/api/phones").json["volunteers"][0]["phone"]
    form = {"MessageSid": "SM" + "5" * 32, "From": volunteer, "Body": "OFF"}
    refused = sim.post("/twilio/sms", data=form, headers=headers, base_url="http://127.0.0.1:5000")
    assert refused.status_code == 403
    call = {"CallSid": "CA" + "5" * 32, "From": volunteer, "To": "+15005550006"}
    assert sim.post("/twilio/voice", data=call, headers=headers, base_url="http://127.0.0.1:5000").status_code == 403
    assert count(console_app, Inbound) == 0
    with console_app.app_context():
        assert db.session.scalar(select(Volunteer.on_duty).filter_by(phone=volunteer)) is True


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_another_site_s_page_cannot_drive_or_read_the_simulator(console_app, sim, headers):
    assert sim.get("/simulator/api/phones", headers=headers).status_code == 403
    assert sim.get(f"/simulator/api/feed?phone={TOM}", headers=headers).status_code == 403
    refused = sim.post("/simulator/api/sms", json={"phone": TOM, "body": "I need rice"}, headers=headers)
    assert refused.status_code == 403
    assert count(console_app, Inbound) == 0
    assert sim.get("/simulator/", headers=headers).status_code == 200  # a link to the page, from anywhere


REBOUND = ["evil.example", "evil.example:5000", "127.0.0.1.nip.io:5000", "0.0.0.0:5000", "localhost.evil.example",
           "[::2]:5000"]


@pytest.mark.parametrize("host", REBOUND)
def test_a_name_rebound_to_this_machine_gets_nothing(console_app, sim, host):
    """A page whose name was rebound to 127.0.0.1 (DNS rebinding) sends its own name: everything refuses it."""
    base = f"http://{host}"
    assert sim.get("/simulator/", base_url=base).status_code == 400
    assert sim.get("/simulator/api/phones", base_url=base).status_code == 400
    assert sim.post("/simulator/api/sms", json={"phone": TOM, "body": "I need rice"}, base_url=base).status_code == 400
    form = {"MessageSid": "SM" + "6" * 32, "From": TOM, "Body": "I need rice"}
    assert sim.post("/twilio/sms", data=form, base_url=base).status_code == 400
    assert demo_login(console_app)[1] not in sim.get("/", base_url=base).get_data(as_text=True)
    assert count(console_app, Inbound) == 0


@pytest.mark.parametrize("host", REBOUND)
def test_a_name_rebound_to_this_machine_cannot_log_in_or_read_the_admin_pages(console_app, host):
    """The rebound page plays the whole attack: the login page for its token, the demo login, the roster."""
    base = f"http://{host}"
    rebound = console_app.test_client()
    user, password = demo_login(console_app)
    page = rebound.get("/admin/login", base_url=base)
    tokens = re.findall(r'<meta name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
    login = rebound.post("/admin/login", base_url=base,
                         data={"username": user, "password": password, "csrf_token": tokens[0] if tokens else ""})
    roster = rebound.get("/admin/residents.csv", base_url=base)
    assert (page.status_code, login.status_code, roster.status_code) == (400, 400, 400)
    assert TOM not in roster.get_data(as_text=True)
    for path in ("/admin/", "/admin/residents", "/admin/volunteers.csv", "/admin/live.json", "/admin/static/admin.css"):
        assert rebound.get(path, base_url=base).status_code == 400, path
    # by this machine's own name the same login works: what was refused is the name, nothing else
    own = AdminActions(console_app.test_client())
    assert own.login(user, password).status_code == 302
    assert TOM in own.get("/admin/residents.csv").get_data(as_text=True)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:5000", "[::1]:5000"])
def test_this_machine_s_own_page_still_texts_by_any_of_its_names(console_app, sim, host):
    base = f"http://{host}"
    browser = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
    answer = sim.post("/simulator/api/sms", json={"phone": TOM, "body": "I need rice"}, base_url=base, headers=browser)
    assert answer.status_code == 200 and numbers_in(answer.json["replies"][0])
    assert sim.get("/simulator/api/phones", base_url=base, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert demo_login(console_app)[1] in sim.get("/", base_url=base,
                                                 headers={"Sec-Fetch-Site": "none"}).get_data(as_text=True)


# --------------------------------------------------------------------------------------------
# Texting
# --------------------------------------------------------------------------------------------
def test_a_text_goes_through_the_sms_webhook_and_every_phone_sees_what_it_received(console_app, sim):
    phones = sim.get("/simulator/api/phones").json
    assert TOM in {r["phone"] for r in phones["residents"]}
    assert [c["phone"] for c in phones["coordinators"]] == [COORDINATOR[1]]
    assert {r["phone"] for r in phones["residents"] if r["landline"]} >= {LIU}
    roster = {r["phone"] for r in phones["residents"]} | {v["phone"] for v in phones["volunteers"]}
    assert phones["relative"] not in roster and phones["new"] not in roster

    answer = post(sim, "sms", {"phone": "139 1234 5678", "body": "I need rice, eggs and milk please"})
    [n] = numbers_in(answer["replies"][0])
    with console_app.app_context():
        took = db.session.scalar(select(Inbound).filter_by(sid=answer["sid"]))
        assert took.phone == TOM and took.kind == "sms"  # the webhook took it, as from Twilio
    request = newest_request(console_app, id=n)
    assert request.channel == Channel.SMS and request.household.label == "7-1101"

    feed = sim.get(f"/simulator/api/feed?phone={TOM}").json
    assert feed["name"] == "Tom Baker"
    mine, reply = feed["items"][-2:]
    assert (mine["mine"], mine["text"]) == (True, "I need rice, eggs and milk please")
    assert (reply["mine"], reply["status"], reply["text"]) == (False, "reply", answer["replies"][0])

    volunteer = request.volunteer.phone
    [alert] = [i for i in sim.get(f"/simulator/api/feed?phone={volunteer}").json["items"] if f"#{n}" in i["text"]]
    assert alert["status"] == "queued"
    everyone = sim.get("/simulator/api/activity").json["items"]
    assert any(i["to"] == volunteer and f"#{n}" in i["text"] and i["name"] == request.volunteer.name
               for i in everyone)
    Worker(console_app).tick()  # the console transport marks it sent
    [alert] = [i for i in sim.get(f"/simulator/api/feed?phone={volunteer}").json["items"] if f"#{n}" in i["text"]]
    assert alert["status"] == "sent"

    post(sim, "sms", {"phone": volunteer, "body": f"OK {n}"})
    post(sim, "sms", {"phone": volunteer, "body": f"DONE {n}"})
    assert newest_request(console_app, id=n).status == Status.DELIVERED
    told = [i["text"] for i in sim.get(f"/simulator/api/feed?phone={TOM}").json["items"] if f"#{n}" in i["text"]]
    assert len(told) == 3  # the reply, accepted, delivered


# --------------------------------------------------------------------------------------------
# Calling
# --------------------------------------------------------------------------------------------
def test_a_call_presses_1_leaves_a_message_and_hears_the_request_number(console_app, sim):
    menu = post(sim, "call", {"phone": WANG})
    assert menu["waiting"] == {"kind": "gather", "speech": True, "num_digits": 1, "finish_on_key": "",
                               "number": None}
    assert "12号楼" in spoken(menu)
    assert {s["lang"] for s in menu["says"]} == {"zh-CN", "en-US"}  # English is offered in English
    beep = post(sim, "step", {"call": menu["call"], "action": "press", "value": "1"})
    assert beep["waiting"]["kind"] == "record"
    done = post(sim, "step", {"call": beep["call"], "action": "record", "value": "需要大米一袋"})
    assert done["ended"] and done["call"] is None and done["waiting"] is None
    made = newest_request(console_app, requester_phone=WANG)
    assert made.channel == Channel.VOICE and made.household.label == "12-302"
    assert re.fullmatch(r"RE[0-9a-f]{32}", made.recording_sid)
    assert f"您的请求编号是：{'、'.join(str(made.number))}" in spoken(done)
    steps = count(console_app, Inbound, Inbound.sid.like(f"{menu['sid']}:%"))
    assert steps == 4  # answer, step, recording-status callback, record: each through its webhook
    with console_app.app_context():
        assert db.session.scalar(select(Inbound).filter_by(sid=f"{menu['sid']}:answer:0")).phone == WANG
    # the same token again is the same step again: answered once
    assert spoken(post(sim, "step", {"call": beep["call"], "action": "record", "value": "x"})) == spoken(done)
    assert count(console_app, Request, Request.requester_phone == WANG, Request.channel == Channel.VOICE) == 1


def test_a_stranger_speaks_keys_in_an_address_and_stays_silent_after_the_beep(console_app, sim):
    step = post(sim, "call", {"phone": STRANGER})
    step = post(sim, "step", {"call": step["call"], "action": "speak", "value": "买菜"})
    assert step["waiting"]["kind"] == "gather" and step["waiting"]["finish_on_key"] == "#"
    step = post(sim, "step", {"call": step["call"], "action": "press", "value": "12"})
    step = post(sim, "step", {"call": step["call"], "action": "press", "value": "302"})
    assert "3、0、2" in spoken(step)  # read back
    step = post(sim, "step", {"call": step["call"], "action": "press", "value": "1"})
    assert step["waiting"]["kind"] == "record"
    step = post(sim, "step", {"call": step["call"], "action": "silence"})
    assert step["ended"]
    made = newest_request(console_app, requester_phone=STRANGER)
    assert made.household.label == "12-302" and made.recording_sid is None and made.details == ""


def test_hanging_up_during_the_message_still_makes_the_request(console_app, sim):
    step = post(sim, "call", {"phone": TOM})
    assert "For food, press 1." in spoken(step)
    step = post(sim, "step", {"call": step["call"], "action": "press", "value": "2"})
    ended = post(sim, "step", {"call": step["call"], "action": "hangup", "value": "blood pressure pills"})
    assert ended["ended"] and ended["says"] == []
    made = newest_request(console_app, requester_phone=TOM, channel=Channel.VOICE)
    assert made.category == "medicine" and made.recording_sid


def test_key_0_puts_the_caller_through_and_no_answer_promises_a_callback(console_app, sim):
    step = post(sim, "call", {"phone": WANG})
    step = post(sim, "step", {"call": step["call"], "action": "press", "value": "0"})
    assert step["waiting"] == {"kind": "dial", "number": COORDINATOR[1], "speech": None, "num_digits": None,
                               "finish_on_key": None}
    step = post(sim, "step", {"call": step["call"], "action": "dial", "value": "no-answer"})
    assert step["ended"]
    callback = newest_request(console_app, requester_phone=WANG)
    assert callback.channel == Channel.VOICE and str(callback.number) in spoken(step).replace("、", "")


def test_the_hotlines_calls_ring_and_are_answered_or_let_ring_out(console_app, sim):
    liu = newest_request(console_app, requester_phone=LIU, status=Status.ASSIGNED)
    volunteer = liu.volunteer.phone
    post(sim, "sms", {"phone": volunteer, "body": f"接 {liu.number}"})
    [accepted] = [i for i in sim.get(f"/simulator/api/feed?phone={LIU}").json["items"] if i["kind"] == "call"]
    assert accepted["status"] == "queued"  # the worker has not placed it
    post(sim, "answer", {"phone": LIU, "message": accepted["id"]}, status=409)

    Worker(console_app).tick()  # places it, and (at 10:00, in the demo's window) the daily check-in call
    ringing = {i["id"]: i for i in sim.get(f"/simulator/api/feed?phone={LIU}").json["items"] if i["ringing"]}
    assert ringing.pop(accepted["id"])
    [checkin] = ringing.values()
    assert post(sim, "decline", {"phone": LIU, "message": accepted["id"]}) == {"declined": accepted["id"]}
    with console_app.app_context():
        row = db.session.get(Outbox, accepted["id"])
        assert row.status == OutStatus.QUEUED and "no-answer" in row.last_error  # placed again later
    post(sim, "decline", {"phone": LIU, "message": accepted["id"]}, status=409)

    post(sim, "sms", {"phone": volunteer, "body": f"完成 {liu.number}"})  # before it is placed again: one call
    calls_to_liu = [i for i in sim.get(f"/simulator/api/feed?phone={LIU}").json["items"] if i["kind"] == "call"]
    delivered = calls_to_liu[-1]
    with console_app.app_context():
        assert db.session.get(Outbox, accepted["id"]).status == OutStatus.SKIPPED
    Worker(console_app).tick()
    step = post(sim, "answer", {"phone": LIU, "message": delivered["id"]})
    assert "已经送到5号楼1201室" in spoken(step) and "如果没有收到，请按1" in spoken(step)  # as call_twiml renders it
    step = post(sim, "step", {"call": step["call"], "action": "press", "value": "1"})
    assert step["ended"]
    assert newest_request(console_app, id=liu.number).status == Status.ACCEPTED  # nothing arrived: open again
    with console_app.app_context():
        assert db.session.get(Outbox, delivered["id"]).delivery_status == "completed"

    step = post(sim, "answer", {"phone": LIU, "message": checkin["id"]})
    assert step["waiting"]["kind"] == "gather"
    step = post(sim, "step", {"call": step["call"], "action": "press", "value": "1"})  # all is well
    assert step["ended"]
    with console_app.app_context():
        [day] = db.session.scalars(select(CheckIn).join(Resident).where(Resident.phone == LIU)).all()
        assert day.status == CheckInStatus.FINE
    post(sim, "answer", {"phone": TOM, "message": delivered["id"]}, status=404)  # not a call to that phone


def test_a_group_buy_call_is_joined_with_keys(console_app, sim):
    with console_app.app_context():  # a coordinator broadcasts eggs to building 5 (刘伯伯 is on a landline)
        texts = {"zh": "团购鸡蛋：30个45元。回复“参加 数量”报名。", "en": "Eggs, 30 for 45 yuan: JOIN 2"}
        sent = broadcast.send(db.session, broadcast.Announcement(texts, frozenset({5})), broadcast.new_id())
        offer = offers.create(db.session, sent, "鸡蛋30个", hotline_clock.now() + timedelta(days=1))
        db.session.commit()
        offer_id = offer.id
    Worker(console_app).tick()
    [ringing] = [i for i in sim.get(f"/simulator/api/feed?phone={LIU}").json["items"]
                 if i["ringing"] and "团购" in i["text"]]
    step = post(sim, "answer", {"phone": LIU, "message": ringing["id"]})
    assert "团购鸡蛋" in spoken(step) and "按1" in spoken(step)
    step = post(sim, "step", {"call": step["call"], "action": "press", "value": "1"})
    step = post(sim, "step", {"call": step["call"], "action": "press", "value": "2"})
    assert step["ended"]
    joined = newest_request(console_app, offer_id=offer_id)
    assert (joined.quantity, joined.channel, joined.household.label) == (2, Channel.VOICE, "5-1201")


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
def _token(sim) -> str:
    return post(sim, "call", {"phone": WANG})["call"]


def _forged(sim) -> str:
    leg, waiting = calls.unseal("test-secret", _token(sim))
    return calls.seal("another-secret", calls.Walk(leg, waiting=waiting))


BAD_POSTS = [
    ("sms", lambda sim: [TOM, "hi"]),
    ("sms", lambda sim: {"body": "hi"}),
    ("sms", lambda sim: {"phone": "", "body": "hi"}),
    ("sms", lambda sim: {"phone": "hello", "body": "hi"}),
    ("sms", lambda sim: {"phone": "1" * 41, "body": "hi"}),
    ("sms", lambda sim: {"phone": 8613912345678, "body": "hi"}),
    ("sms", lambda sim: {"phone": TOM}),
    ("sms", lambda sim: {"phone": TOM, "body": ["hi"]}),
    ("sms", lambda sim: {"phone": TOM, "body": "x" * 1601}),
    ("call", lambda sim: {"phone": None}),
    ("answer", lambda sim: {"phone": LIU}),
    ("answer", lambda sim: {"phone": LIU, "message": "1"}),
    ("answer", lambda sim: {"phone": LIU, "message": True}),
    ("answer", lambda sim: {"phone": LIU, "message": 0}),
    ("answer", lambda sim: {"phone": LIU, "message": 10**12}),
    ("decline", lambda sim: {"phone": LIU, "message": 1.5}),
    ("step", lambda sim: {"action": "press", "value": "1"}),
    ("step", lambda sim: {"call": "garbage", "action": "press", "value": "1"}),
    ("step", lambda sim: {"call": {"leg": []}, "action": "press", "value": "1"}),
    ("step", lambda sim: {"call": _token(sim)[:-3] + "abc", "action": "press", "value": "1"}),
    ("step", lambda sim: {"call": _forged(sim), "action": "press", "value": "1"}),
    ("step", lambda sim: {"call": _token(sim), "action": "explode"}),
    ("step", lambda sim: {"call": _token(sim), "action": "press", "value": "1a"}),
    ("step", lambda sim: {"call": _token(sim), "action": "press", "value": ""}),
    ("step", lambda sim: {"call": _token(sim), "action": "press", "value": 1}),
    ("step", lambda sim: {"call": _token(sim), "action": "speak", "value": "  "}),
    ("step", lambda sim: {"call": _token(sim), "action": "speak", "value": "x" * 301}),
    ("step", lambda sim: {"call": _token(sim), "action": "record", "value": "x" * 1601}),
    ("step", lambda sim: {"call": _token(sim), "action": "record", "value": "at a menu"}),
    ("step", lambda sim: {"call": _token(sim), "action": "dial", "value": "completed"}),
]


@pytest.mark.parametrize(("path", "payload"), BAD_POSTS)
def test_bad_input_is_refused_with_400_and_touches_nothing(console_app, sim, path, payload):
    body = payload(sim)
    before = count(console_app, Inbound), count(console_app, Request)
    response = sim.post(f"/simulator/api/{path}", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"]
    assert (count(console_app, Inbound), count(console_app, Request)) == before


@pytest.mark.parametrize("query", ["", "?phone=", "?phone=abc", "?phone=" + "9" * 50])
def test_a_feed_for_no_phone_is_refused(sim, query):
    response = sim.get(f"/simulator/api/feed{query}")
    assert response.status_code == 400 and response.json["error"]


def test_what_is_not_json_is_refused(console_app, sim):
    for body, kind in (("phone=%2B8613912345678&body=hi", "application/x-www-form-urlencoded"),
                       ("{not json", "application/json"), ("", "application/json")):
        response = sim.post("/simulator/api/sms", data=body, content_type=kind)
        assert response.status_code == 400 and response.json["error"], body
    assert sim.get("/simulator/api/sms").status_code == 405
    assert sim.get("/simulator/nowhere").status_code == 404
    assert count(console_app, Inbound) == 0


def test_a_database_that_does_not_answer_gets_a_503_not_a_500(tmp_path):
    with socket.socket() as s:  # a port nobody listens on: the connection is refused
        s.bind(("127.0.0.1", 0))
        nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{s.getsockname()[1]}/hotline"
    app = create_app({"ENV": hotline_env(nowhere, **CONSOLE, HOTLINE_SPOOL_DIR=str(tmp_path)), "TESTING": True})
    response = app.test_client().get(f"/simulator/api/feed?phone={TOM}")
    assert response.status_code == 503 and response.json["error"]
