"""`POST /twilio/voice` and the IVR's own steps, and the volunteers' link to a voice message.

    POST /twilio/voice                   a new call: the main menu
    POST /twilio/voice/step              keys, words or silence at a menu or a number entry
    POST /twilio/voice/record            the voice message ended, was empty, or the caller hung up
    POST /twilio/voice/dial              the outcome of putting the caller through to a person
    POST /twilio/voice/recording-status  Twilio stored the recording
    POST /twilio/voice/<kind>            an answer on a call the hotline placed (`placed_calls.KINDS`)
    GET  /voice-messages/<token>         a voice message, streamed from Twilio (signed, expiring link)

Every step carries its number (`?n=`): the same CallSid step arriving twice is answered once and
replayed after. The call's state lives in the database. Whatever fails, Twilio gets TwiML: an
apology and a hang-up, and the coordinators are asked to call back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, Flask, Response, abort, current_app, has_request_context, request, url_for
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import exc, select

import ivr_flows
from hotline import clock, texts
from hotline.channels import twilio
from hotline.channels.webhooks import field, twilio_webhook, twiml
from hotline.database import DATABASE_DOWN, rollback_quietly
from hotline.domain import phones, placed_calls, requests, transitions, voice
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy
from hotline.domain.replies import Hangup, Reply, Say
from hotline.extensions import db
from hotline.models import Inbound, Lane, Request
from hotline.texts import N_

bp = Blueprint("voice", __name__)
log = logging.getLogger(__name__)

LINK_MAX_AGE = timedelta(days=7)  # how long a volunteer's link to a voice message works
LINK_SALT = "voice-message"

Handler = Callable[..., Reply]


def init_app(app: Flask) -> None:
    """Load and validate every flow (a broken one stops the start), and add the voice blueprint."""
    ivr_flows.flows()
    app.register_blueprint(bp)
    app.config.setdefault("VOICE_MESSAGE_LINK", voice_message_url)


# --------------------------------------------------------------------------------------------
# The call
# --------------------------------------------------------------------------------------------
@bp.post("/twilio/voice")
@twilio_webhook
def incoming():
    """Answer a new call with the main menu."""
    return _take("answer", voice.answer)


@bp.post("/twilio/voice/step")
@twilio_webhook
def step():
    """Take keys, words or silence at a menu or a number entry."""
    return _take("step", voice.step)


@bp.post("/twilio/voice/record")
@twilio_webhook
def record():
    """Make the request when the message ends, is empty, or the caller hangs up."""
    return _take("record", voice.recorded)


@bp.post("/twilio/voice/dial")
@twilio_webhook
def dial():
    """Take the outcome of the call to a person."""
    return _take("dial", voice.dialled)


@bp.post("/twilio/voice/<kind>")
@twilio_webhook
def placed_call(kind: str):
    """Take an answer on a call the hotline placed; its kind (`placed_calls.KINDS`) applies it."""
    placed = placed_calls.KINDS.get(kind)
    if placed is None:
        abort(404)
    subject = whole_number(request.args.get(placed.param, ""))
    if subject is None:
        return twiml(twilio.render_voice((Hangup(),)))
    lang, base_url = request.args.get("lang", "zh"), _base_url()

    def handle(session, policy, main_links, call):
        return placed_calls.answer(session, policy, placed, subject, lang, call, base_url, main_links)

    return _take(kind, handle)


@bp.post("/twilio/voice/recording-status")
@twilio_webhook
def recording_status():
    """Note the stored recording on the call's request."""
    call = _call_step()
    if not call.call_sid or not call.recording_sid or field("RecordingStatus", 20) != "completed":
        return "", 204
    key = f"{call.call_sid}:recording:{call.recording_sid}"[:80]
    try:
        if _replay(key) is None:
            db.session.add(Inbound(sid=key, kind="voice", phone=call.caller[:32], body=_summary(call)))
            voice.recording_ready(db.session, call)
            db.session.commit()
    except exc.IntegrityError:
        db.session.rollback()  # the same callback, in parallel: the other one took it
    except Exception:
        db.session.rollback()
        log.exception("could not note recording of call %s from %s", call.call_sid, phones.mask(call.caller))
    return "", 204


def _take(kind: str, handle: Handler) -> Response:
    """Run one step of a call, once per CallSid step; never answer with an error."""
    call = _call_step()
    if not call.call_sid:
        return twiml(twilio.render_voice((Hangup(),)), 400)
    n = request.args.get("n", "0")
    key = f"{call.call_sid}:{kind}:{n if n.isdigit() else 'x'}"[:80]
    try:
        replayed = _replay(key)
        if replayed is not None:
            return twiml(replayed)
        inbound = Inbound(sid=key, kind="voice", phone=call.caller[:32], body=_summary(call))
        db.session.add(inbound)
        db.session.flush()
    except exc.IntegrityError:  # the same step, at the same moment, from a parallel retry
        db.session.rollback()
        return twiml(_replay_or_sorry(key, call))
    except DATABASE_DOWN:
        return twiml(_spool(call))
    except Exception:
        db.session.rollback()
        log.exception("could not take %s step of call %s from %s", kind, call.call_sid, phones.mask(call.caller))
        return twiml(_keep_for_a_person(key, call))
    try:
        policy = Policy.from_config(current_app.config)
        transitions.arriving_by(db.session, current_app.extensions["transport"].name)
        xml = twilio.render_voice(handle(db.session, policy, _links(), call))
        inbound.reply = xml
        db.session.commit()
    except exc.IntegrityError:
        db.session.rollback()
        xml = _replay_or_sorry(key, call)
    except DATABASE_DOWN:
        xml = _spool(call)
    except Exception:
        db.session.rollback()
        log.exception("could not handle %s step of call %s from %s (recording %s)", kind, call.call_sid,
                      phones.mask(call.caller), call.recording_sid or "-")
        xml = _keep_for_a_person(key, call)
    return twiml(xml)


def _call_step() -> voice.CallStep:
    """The call's step as the domain reads it, out of Twilio's form."""
    region = current_app.config["HOTLINE_DEFAULT_REGION"]
    caller = field("From", 40).strip()
    callee = field("To", 40).strip()
    digits = field("Digits", 40).strip()
    recording = field("RecordingSid", 64).strip()
    return voice.CallStep(
        call_sid=field("CallSid", 64).strip(),
        caller=phones.caller(caller, region),
        callee=phones.normalize(callee, region) or callee[:20],
        digits="" if digits == "hangup" else digits,
        speech=field("SpeechResult", 300).strip(),
        recording_sid=recording or None,
        dial_status=field("DialCallStatus", 20).strip() or None,
        hung_up=digits == "hangup",
    )


def _summary(call: voice.CallStep) -> str:
    """What the step carried, for the record (and for a person, if it could not be handled)."""
    parts = [f"digits={call.digits}" if call.digits else "", f"speech={call.speech}" if call.speech else "",
             f"recording={call.recording_sid}" if call.recording_sid else "",
             f"dial={call.dial_status}" if call.dial_status else "", "hangup" if call.hung_up else ""]
    return " ".join(p for p in parts if p)[:1600]


def _links() -> voice.Links:
    return voice.Links(
        step=_url("voice.step"), record=_url("voice.record"), dial=_url("voice.dial"),
        recording_status=_url("voice.recording_status"),
    )


def _url(endpoint: str) -> str:
    return _base_url() + url_for(endpoint)


def _base_url() -> str:
    """The URL Twilio reaches us at (it signs what it requests with it)."""
    return current_app.config["PUBLIC_BASE_URL"] or request.host_url.rstrip("/")


def _replay(key: str) -> str | None:
    return db.session.scalar(select(Inbound.reply).filter_by(sid=key))


def _replay_or_sorry(key: str, call: voice.CallStep) -> str:
    try:
        replayed = _replay(key)
    except Exception:
        db.session.rollback()
        replayed = None
    return replayed or _sorry("zh")


def _sorry(lang: str) -> str:
    return twilio.render_voice((Say(texts.t(lang, "voice.sorry"), lang), Hangup()))


def _spool(call: voice.CallStep) -> str:
    """The database does not answer: keep the call for a callback and apologise to the caller."""
    rollback_quietly(db.session)
    form = {"CallSid": call.call_sid, "From": call.caller, "RecordingSid": call.recording_sid or ""}
    current_app.extensions["spool"].put("voice", call.call_sid, form)
    log.warning("database unavailable: call %s spooled for a callback", call.call_sid)
    return _sorry("zh")


def take_spooled_call(session, policy: Policy, call_sid: str, caller: str, recording_sid: str | None) -> None:
    """Replay a call kept while the database was down: once per call, the caller is called back.

    Raises one of DATABASE_DOWN when the database still does not answer.
    """
    key = f"{call_sid}:callback"[:80]
    if session.scalar(select(Inbound.id).filter_by(sid=key)) is not None:
        return
    try:
        session.add(Inbound(sid=key, kind="voice", phone=caller[:32], body="spooled during an outage"))
        session.flush()
        voice.call_back_later(session, policy, caller, recording_sid)
        session.commit()
    except exc.IntegrityError:
        session.rollback()


def _keep_for_a_person(key: str, call: voice.CallStep) -> str:
    """A step the hotline could not handle: apologise, keep what came, and ask coordinators to call back."""
    try:
        lang = voice.call_language(db.session, call.call_sid)
        xml = _sorry(lang)
        db.session.add(Inbound(sid=key, kind="voice", phone=call.caller[:32], body=_summary(call), reply=xml))
        requests.tell_coordinators(db.session, N_("voice.coordinator_unhandled"), Lane.URGENT,
                                   phone=call.caller or "-")
        db.session.commit()
        return xml
    except Exception:
        db.session.rollback()
        log.exception("could not keep the failed step of call %s", call.call_sid)
        return _sorry("zh")


# --------------------------------------------------------------------------------------------
# The volunteers' link to a voice message
# --------------------------------------------------------------------------------------------
class _LinkSigner(TimestampSigner):
    """Sign request numbers with a timestamp from the hotline's one clock."""

    def get_timestamp(self) -> int:
        """Return the current time as the signer counts it."""
        return int(clock.now().timestamp())


def _signer() -> _LinkSigner:
    # `~` is not in a signature's alphabet, and a sentence's full stop after the link stays outside it
    return _LinkSigner(current_app.config["SECRET_KEY"], salt=LINK_SALT, sep="~")


def voice_message_token(number: int) -> str:
    """Return the signed, expiring token that names a request's voice message."""
    return _signer().sign(str(number)).decode("ascii")


def voice_message_url(number: int) -> str:
    """Return the link a volunteer opens to hear a request's voice message, through the hotline."""
    token = voice_message_token(number)
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        return f"{base}/voice-messages/{token}"
    if has_request_context():
        return url_for("voice.voice_message", token=token, _external=True)
    return f"/voice-messages/{token}"  # the console transport sends nothing: the admin outbox shows it


@bp.get("/voice-messages/<token>")
def voice_message(token: str):
    """Stream a request's recording from Twilio with the account's credentials (404/410 for a bad link)."""
    try:
        number = int(_signer().unsign(token, max_age=int(LINK_MAX_AGE.total_seconds())).decode("ascii"))
    except SignatureExpired:
        abort(410)
    except (BadSignature, ValueError, UnicodeDecodeError):
        abort(404)
    found = db.session.get(Request, number)
    if found is None or not found.recording_sid or found.purged_at is not None:
        abort(404)
    try:
        audio, content_type = current_app.extensions["transport"].fetch_recording(found.recording_sid)
    except twilio.SendError as error:
        log.warning("could not fetch the recording of request #%s: %s", number, error)
        abort(404 if error.status == 404 or error.permanent else 502)
    return Response(
        audio,
        mimetype=content_type.split(";")[0] or "audio/mpeg",
        headers={"Cache-Control": "private, no-store", "Content-Disposition": f'inline; filename="request-{number}"'},
    )
