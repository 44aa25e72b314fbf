"""The home page, and the simulator's page and JSON endpoints.

The endpoints never act on the hotline themselves: texting, calling, pressing keys and answering
calls are webhooks posted to the app itself (`_poster`), Twilio-shaped and from the browser's own
address, so the webhooks' checks apply unchanged. What phones receive is read from the outbox.
"""

from __future__ import annotations

import json
import re
import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, jsonify, render_template, request
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from hotline import clock
from hotline.channels import gateway
from hotline.channels.twilio import RING_SECONDS
from hotline.channels.webhooks import from_another_site, from_loopback
from hotline.database import DATABASE_DOWN, rollback_quietly
from hotline.domain import phones
from hotline.domain.demo import DEMO_USER, demo_password
from hotline.extensions import db
from hotline.models import Inbound, Outbox, OutStatus, Resident, Role, User, Volunteer
from hotline.worker import call_twiml
from simulator import bp, calls, enabled, home, texts

MAX_BODY = 1600  # what an SMS webhook carries at most
MAX_SPEECH = 300
MAX_MESSAGE = 1600
MAX_ID = 2_147_483_647
FEED_LIMIT = 200  # a phone's newest messages shown
ACTIVITY_LIMIT = 40  # everyone's newest messages shown
ROSTER_LIMIT = 500  # phones offered in each group of the picker
PLACEHOLDER_HOTLINE = "+15005550006"  # without TWILIO_PHONE_NUMBER: Twilio's test number, nobody's line
KEYS = re.compile(r"[0-9*#]{1,40}")
ACTIONS = ("press", "speak", "silence", "record", "dial", "hangup")
RINGING = (None, "queued", "initiated", "ringing")  # a placed call nobody has answered or declined yet
ANSWERED = ("in-progress", "completed")
MISSED = ("no-answer", "busy", "canceled", "failed")


class WebhookRefused(Exception):
    """A webhook answered the simulator with an error status."""

    def __init__(self, status: int):
        super().__init__(f"the webhook answered {status}")
        self.status = status


# --------------------------------------------------------------------------------------------
# The home page
# --------------------------------------------------------------------------------------------
@home.get("/")
def index():
    """Say what this is, lead to the simulator and the admin page, and how to connect a Twilio number."""
    console = enabled()
    base = current_app.config["PUBLIC_BASE_URL"] or "{PUBLIC_BASE_URL}"  # where Twilio reaches this hotline
    return render_template(
        "home/index.html", console=console, demo_login=_demo_login() if console else None, base=base,
        number=current_app.config["TWILIO_PHONE_NUMBER"],
    )


def _demo_login() -> tuple[str, str] | None:
    """The demo coordinator's login, when it exists and the visitor is on this machine."""
    if not from_loopback():
        return None
    try:
        exists = db.session.scalar(select(User.id).filter_by(username=DEMO_USER, active=True))
    except SQLAlchemyError:  # no schema yet, or no database: the page still answers
        db.session.rollback()
        return None
    return (DEMO_USER, demo_password(current_app.config["SECRET_KEY"])) if exists is not None else None


# --------------------------------------------------------------------------------------------
# The simulator's page
# --------------------------------------------------------------------------------------------
@bp.before_request
def guard():
    """Exist only with the console transport; answer only this machine, by its own name; take JSON only,
    from this page (the page itself may be opened from a link anywhere: it shows nobody's data)."""
    if not enabled():
        abort(404)
    if not from_loopback():
        abort(403)
    if request.endpoint != "simulator.page" and from_another_site():
        abort(403)
    if request.method == "POST" and not request.is_json:
        abort(400, "send JSON")
    return None


@bp.errorhandler(HTTPException)
def refused(e: HTTPException):
    """Answer refusals in JSON to the endpoints, in words on the page."""
    if request.path.startswith("/simulator/api/"):
        return jsonify({"error": e.description if e.code in (400, 409) else e.name}), e.code
    t = texts.strings(texts.current_lang())
    message = t["only_here"] if e.code == 403 else t["not_here"]
    return Response(f"{e.code} {e.name}\n{message}\n", status=e.code, mimetype="text/plain")


@bp.errorhandler(calls.CallError)
def bad_call(e: calls.CallError):
    """A call step the browser asked for cannot happen."""
    return jsonify({"error": str(e)}), 400


@bp.errorhandler(WebhookRefused)
def webhook_refused(e: WebhookRefused):
    """The hotline's webhook refused what the simulator posted (as it would refuse Twilio)."""
    return jsonify({"error": str(e)}), 502


def database_down(e: Exception):
    """The database does not answer: say so (the webhooks keep what comes in the spool meanwhile)."""
    rollback_quietly(db.session)
    return jsonify({"error": "the database does not answer"}), 503


for _error in DATABASE_DOWN:
    bp.register_error_handler(_error, database_down)


@bp.get("/")
def page():
    """The simulator: a phone picker, every phone's incoming messages, and one phone's SMS and call."""
    lang = texts.current_lang()
    return render_template("simulator/page.html", lang=lang, t=texts.strings(lang), hotline=_hotline())


@bp.get("/api/phones")
def phone_list():
    """The phones to pick: residents, volunteers, coordinators, a relative and a new number."""
    residents = db.session.scalars(select(Resident).order_by(Resident.id).limit(ROSTER_LIMIT)).all()
    people = db.session.scalars(select(Volunteer).order_by(Volunteer.rank, Volunteer.id).limit(2 * ROSTER_LIMIT)).all()
    taken = {r.phone for r in residents} | {v.phone for v in people}
    known = set(db.session.scalars(select(Resident.phone).where(Resident.phone.in_(_relative_candidates()))))
    relative = next(p for p in _relative_candidates() if p not in taken and p not in known)

    def volunteer(v: Volunteer) -> dict:
        return {"phone": v.phone, "name": v.name, "buildings": [b.building for b in v.buildings],
                "languages": v.languages}

    return jsonify({
        "hotline": _hotline(),
        "residents": [
            {"phone": r.phone, "name": r.name, "home": r.household.label if r.household else "",
             "language": r.language, "landline": phones.is_landline(r.phone)} for r in residents
        ],
        "volunteers": [volunteer(v) for v in people if v.role == Role.VOLUNTEER][:ROSTER_LIMIT],
        "coordinators": [volunteer(v) for v in people if v.role == Role.COORDINATOR],
        "relative": relative,
        "new": _new_number(taken),
    })


def _relative_candidates() -> list[str]:
    return [f"+86136{n:08d}" for n in (20220412, 20220413, 20220414, 20220415)]


def _new_number(taken: set[str]) -> str:
    while True:
        number = f"+86137{secrets.randbelow(10**8):08d}"
        if number not in taken:
            return number


@bp.get("/api/feed")
def feed():
    """One phone's messages with the hotline, oldest first: what it texted, its calls, and what it received."""
    phone = _phone(request.args.get("phone"))
    _ring_out()
    out = db.session.scalars(select(Outbox).where(Outbox.to == phone).order_by(Outbox.id.desc()).limit(FEED_LIMIT))
    took = db.session.scalars(
        select(Inbound)
        .where(Inbound.phone == phone, or_(Inbound.kind == "sms", Inbound.sid.like("%:answer:%")))
        .order_by(Inbound.id.desc())
        .limit(FEED_LIMIT)
    )
    items = [_received(row) for row in out] + [_sent(row) for row in took]
    items.sort(key=lambda item: (item["at"], item["order"]))
    return jsonify({"phone": phone, "name": _names({phone}).get(phone, ""), "items": items[-FEED_LIMIT:]})


@bp.get("/api/activity")
def activity():
    """Everything the hotline sent lately, to every phone, newest first."""
    _ring_out()
    rows = db.session.scalars(select(Outbox).order_by(Outbox.id.desc()).limit(ACTIVITY_LIMIT)).all()
    names = _names({row.to for row in rows})
    return jsonify({"items": [{**_received(row), "to": row.to, "name": names.get(row.to, "")} for row in rows]})


# --------------------------------------------------------------------------------------------
# Texting and calling: webhooks, as Twilio posts them
# --------------------------------------------------------------------------------------------
@bp.post("/api/sms")
def sms():
    """Text the hotline from a phone; answer with the texts of its TwiML reply."""
    data = _json()
    phone = _phone(data.get("phone"))
    body = data.get("body")
    if not isinstance(body, str) or len(body) > MAX_BODY:
        abort(400, f"body: a text of at most {MAX_BODY} characters")
    if current_app.config["SMS_GATEWAY_URL"]:  # the SMS phone carries the hotline's texts: it posts what it gets
        return jsonify({"sid": _text_through_the_phone(phone, body), "replies": []})
    sid = "SM" + secrets.token_hex(16)
    form = {
        "MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": calls.ACCOUNT_SID, "From": phone,
        "To": _hotline(), "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    xml = _poster()("/twilio/sms", form)
    try:
        root = ET.fromstring(xml)  # noqa: S314 - TwiML the hotline itself rendered
    except ET.ParseError:
        raise WebhookRefused(200) from None
    return jsonify({"sid": sid, "replies": [" ".join("".join(m.itertext()).split()) for m in root.iter("Message")]})


@bp.post("/api/call")
def call():
    """Call the hotline from a phone."""
    phone = _phone(_json().get("phone"))
    post = _poster()
    return _walked(post, calls.dial(post, calls.Leg.new(phone, _hotline())))


@bp.post("/api/answer")
def answer():
    """Answer a call the hotline placed to this phone: its TwiML as the outbox renders it, walked."""
    data = _json()
    phone = _phone(data.get("phone"))
    row = _ringing(phone, data.get("message"))
    twiml = call_twiml(row.body, row.lang, row, _base_url())
    leg = calls.Leg(row.twilio_sid or "", phone, _hotline(), outbound=True)
    post = _poster()
    return _walked(post, calls.pick_up(post, leg, twiml))


@bp.post("/api/decline")
def decline():
    """Let a call from the hotline ring out."""
    data = _json()
    phone = _phone(data.get("phone"))
    row = _ringing(phone, data.get("message"))
    declined, leg = row.id, calls.Leg(row.twilio_sid or "", phone, _hotline(), outbound=True)
    calls.reject(_poster(), leg)
    return jsonify({"declined": declined})


@bp.post("/api/step")
def step():
    """Do something on a call: press keys, speak, stay silent, leave a message, answer a dial, hang up."""
    data = _json()
    leg, waiting = calls.unseal(current_app.config["SECRET_KEY"], data.get("call"))
    action, value = data.get("action"), data.get("value", "")
    if action not in ACTIONS:
        abort(400, f"action: one of {', '.join(ACTIONS)}")
    if not isinstance(value, str):
        abort(400, "value: a text")
    if action == "press" and not KEYS.fullmatch(value):
        abort(400, "value: keys 0-9, * and #")
    if action == "speak" and not 0 < len(value.strip()) <= MAX_SPEECH:
        abort(400, f"value: words, at most {MAX_SPEECH} characters")
    if len(value) > MAX_MESSAGE:
        abort(400, f"value: at most {MAX_MESSAGE} characters")
    post, keep = _poster(), _keeper()
    if action == "hangup":
        return _walked(post, calls.hang_up(post, leg, waiting, value, keep))
    if waiting is None:
        abort(400, "the call has ended")
    return _walked(post, calls.act(post, leg, waiting, action, value.strip() if action == "speak" else value, keep))


def _walked(post: calls.Post, walk: calls.Walk):
    """Answer the browser with what the phone heard and what waits; an ended call gets its status callback."""
    if walk.ended:
        calls.finish(post, walk.leg)
    waiting = walk.waiting
    shown = None
    if waiting is not None:
        shown = {k: waiting.get(k) for k in ("kind", "speech", "num_digits", "finish_on_key", "number")}
    return jsonify({"call": calls.seal(current_app.config["SECRET_KEY"], walk), "sid": walk.leg.sid,
                    "says": walk.says, "waiting": shown, "ended": walk.ended})


def _poster() -> calls.Post:
    """Post a Twilio-shaped form to one of the app's own webhooks, from the browser's address."""
    app = current_app._get_current_object()
    base_url, remote = request.host_url, request.remote_addr or ""

    def post(path: str, form: dict[str, str] | None = None, **how) -> str:
        # End this request's transaction first: on SQLite each one holds the write lock (BEGIN IMMEDIATE).
        db.session.rollback()
        with app.app_context():  # a context of its own: the webhook's session, g and teardown are its own
            response = app.test_client().post(path, data=form, base_url=base_url, environ_base={"REMOTE_ADDR": remote},
                                              **how)
        if response.status_code >= 400:
            raise WebhookRefused(response.status_code)
        return response.get_data(as_text=True)

    return post


def _text_through_the_phone(phone: str, body: str) -> str:
    """Post the signed `sms:received` the SMS phone would post for a text from `phone`; return the event's id.
    The replies go out through the outbox and the phone (or its stand-in), as they do from the real one."""
    payload = {"messageId": secrets.token_hex(8), "message": body, "sender": phone, "phoneNumber": phone,
               "recipient": _hotline(), "simNumber": 1, "receivedAt": clock.now().isoformat()}
    raw, headers = gateway.signed_event(current_app.config["SMS_GATEWAY_SIGNING_KEY"], gateway.RECEIVED, payload,
                                        clock.now().timestamp())
    _poster()("/gateway/events", raw, headers=headers, content_type="application/json")
    return gateway.SID_PREFIX + json.loads(raw)["id"]


def _keeper() -> calls.Keep:
    """Keep a voice message's audio where the hotline fetches recordings: the console transport."""
    return current_app.extensions["transport"].keep_recording


# --------------------------------------------------------------------------------------------
# Reading what phones received
# --------------------------------------------------------------------------------------------
def _received(row: Outbox) -> dict:
    """An SMS or call the hotline sent (or will send) to a phone."""
    return {"key": f"out-{row.id}", "id": row.id, "mine": False, "kind": row.kind, "text": row.body,
            "status": _status(row), "ringing": _is_ringing(row), "time": _clock(row.created_at),
            "at": row.created_at.isoformat(), "order": 1}


def _sent(row: Inbound) -> dict:
    """An SMS a phone sent, or a call it made, as the hotline took it."""
    kind = "sms" if row.kind == "sms" else "call"
    return {"key": f"in-{row.id}", "id": row.id, "mine": True, "kind": kind, "text": row.body if kind == "sms" else "",
            "status": "", "ringing": False, "time": _clock(row.received_at), "at": row.received_at.isoformat(),
            "order": 0}


def _status(row: Outbox) -> str:
    if row.kind == "sms":
        return "reply" if row.delivery_status == "twiml" else row.status.value
    if _is_ringing(row):
        return "ringing"
    if row.delivery_status in ANSWERED:
        return "answered"
    if row.delivery_status in MISSED:
        return "missed"
    if row.status == OutStatus.QUEUED and row.attempts:  # placed before, unanswered: the hotline calls again
        return "missed_again"
    return row.status.value


def _is_ringing(row: Outbox) -> bool:
    """A call the worker placed that nobody answered or declined yet."""
    return (row.kind == "call" and row.status == OutStatus.SENT and bool(row.twilio_sid)
            and row.delivery_status in RINGING)


def _ring_out() -> None:
    """Let the calls nobody answered ring out after RING_SECONDS on the hotline's clock, as Twilio does with
    the timeout the hotline gives it: Twilio reports `no-answer` to the status webhook."""
    since = clock.now() - timedelta(seconds=RING_SECONDS)
    rang = db.session.execute(
        select(Outbox.to, Outbox.twilio_sid).where(
            Outbox.kind == "call", Outbox.status == OutStatus.SENT, Outbox.twilio_sid.is_not(None),
            or_(Outbox.delivery_status.is_(None), Outbox.delivery_status.in_(RINGING[1:])), Outbox.sent_at <= since,
        )
    ).all()
    if rang:
        post = _poster()
        for to, sid in rang:
            calls.reject(post, calls.Leg(sid, to, _hotline(), outbound=True))


def _ringing(phone: str, message: object) -> Outbox:
    """The outbox call `message` to `phone`, which must be ringing."""
    if isinstance(message, bool) or not isinstance(message, int) or not 0 < message <= MAX_ID:
        abort(400, "message: the id of a call from the outbox")
    row = db.session.get(Outbox, message)
    if row is None or row.to != phone or row.kind != "call":
        abort(404)
    if not _is_ringing(row):
        abort(409, "this call is not ringing")
    return row


def _names(phones: set[str]) -> dict[str, str]:
    """Name the phones the roster knows (a resident's name over a volunteer's)."""
    names = dict(db.session.execute(select(Volunteer.phone, Volunteer.name).where(Volunteer.phone.in_(phones))).all())
    names.update(db.session.execute(select(Resident.phone, Resident.name).where(Resident.phone.in_(phones))).all())
    return names


def _clock(at: datetime) -> str:
    return at.astimezone(ZoneInfo(current_app.config["HOTLINE_TIMEZONE"])).strftime("%H:%M")


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------
def _json() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "send a JSON object")
    return data


def _phone(value: object) -> str:
    """A phone number as people write it, in E.164; anything else is refused."""
    if not isinstance(value, str) or not value.strip():
        abort(400, "phone: a phone number")
    number = phones.normalize(value.strip(), current_app.config["HOTLINE_DEFAULT_REGION"])
    if number is None or len(number) > 20:
        abort(400, "phone: not a phone number")
    return number


def _hotline() -> str:
    return current_app.config["TWILIO_PHONE_NUMBER"] or PLACEHOLDER_HOTLINE


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")
