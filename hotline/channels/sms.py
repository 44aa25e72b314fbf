"""`POST /twilio/sms`: every incoming SMS, answered with its TwiML reply.

Each SMS is taken once per MessageSid, in one transaction with everything it causes. When the
database does not answer, or taking it fails in a way not even the fallback survives, the SMS goes
to the spool and gets a holding reply; the worker replays it later through `take_sms`, and its
replies then go out through the outbox. An SMS from an address that is no phone number
(`whatsapp:`, `client:`…) cannot be answered by SMS: it is kept, and the coordinators are shown it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, current_app
from sqlalchemy import exc, func, select
from sqlalchemy.orm import Session

from hotline import clock, texts
from hotline.channels import twilio
from hotline.channels.webhooks import field, phone_from, twilio_webhook, twiml
from hotline.database import DATABASE_DOWN, hold_sender, rollback_quietly
from hotline.domain import outbox, phones, requests
from hotline.domain.intake import InboundSms, handle_sms
from hotline.domain.policy import Policy
from hotline.domain.replies import Message, Reply
from hotline.extensions import db
from hotline.models import Inbound, Lane, Request
from hotline.texts import N_

bp = Blueprint("sms", __name__)
log = logging.getLogger(__name__)
ATTEMPTS = 3  # tries of one SMS whose transaction conflicts with another
NO_PHONE = ""  # Inbound.phone of a message from no phone number, as of a call whose number is withheld
NO_PHONE_ALERTS = 30  # coordinators are shown at most this many such messages in NO_PHONE_WINDOW (a bot's flood)
NO_PHONE_WINDOW = timedelta(minutes=10)


@bp.post("/twilio/sms")
@twilio_webhook
def incoming():
    """Take one SMS: once per MessageSid, whatever Twilio retries, even with the database down."""
    sid = (field("MessageSid", 80) or field("SmsSid", 80)).strip()
    sender = field("From", 40).strip()
    body = field("Body")
    if not sid or not sender:
        return twiml(twilio.render_sms(()), 400)
    return twiml(take_or_spool(sid, sender, body, queue_replies=False))


def take_or_spool(sid: str, sender: str, body: str, queue_replies: bool) -> str:
    """Take an SMS as a webhook received it (`sender` as the carrier wrote it) and return its TwiML answer;
    when that fails, even to keep it for a person, or the database does not answer, spool it for the
    worker and answer with a holding reply (none when the replies go by the outbox)."""
    phone = phone_from(sender)
    try:
        if phone is None:  # nobody to answer by SMS; an error status would only set off Twilio's fallback URL
            return take_from_no_phone(db.session, sid, sender, body)
        return take_sms(db.session, Policy.from_config(current_app.config), sid, phone, body, queue_replies)
    except Exception as failure:  # noqa: BLE001 - whatever it is, the SMS is kept and answered
        rollback_quietly(db.session)
        current_app.extensions["spool"].put("sms", sid, {"MessageSid": sid, "From": phone or sender, "Body": body})
        if isinstance(failure, DATABASE_DOWN):
            log.warning("database unavailable: SMS %s spooled", sid)
        else:
            log.exception("SMS %s could not be taken, not even kept for a person: spooled", sid)
        if phone is None or queue_replies:
            return twilio.render_sms(())
        lang = _lang_of(body)
        return twilio.render_sms((Message(texts.t(lang, "sms.holding"), lang),))


def take_sms(session: Session, policy: Policy, sid: str, phone: str, body: str, queue_replies: bool = False) -> str:
    """Act on one SMS from `phone` (E.164, as `phones.sender` read it) once and return its TwiML answer
    (for a SID seen before, the same answer).

    The messages of one sender are taken one at a time. A transaction that still conflicts (a
    parallel retry of the same SID, or a row someone else wrote at the same moment) is tried again
    from the start; one that keeps failing is kept for a person, never answered with silence.
    With `queue_replies` the replies are queued in the outbox instead: a replayed SMS already had a
    holding answer, and the phone gateway takes no answer to its webhook.
    Raises one of DATABASE_DOWN when the database does not answer (a sender held past the lock
    timeout included), and whatever keeping it for a person raised when even that fails.
    """
    for attempt in range(1, ATTEMPTS + 1):
        hold_sender(session, phone)
        answered = _answer_given(session, sid)
        if answered is not None:
            return answered
        try:
            reply = handle_sms(session, policy, InboundSms(sid, phone, body))
            _deliver(session, phone, reply, queue_replies)
            xml = twilio.render_sms(() if queue_replies else reply)
            session.add(Inbound(sid=sid, kind="sms", phone=phone, body=body[:1600], reply=xml))
            session.commit()  # the SID is unique: of two copies handled at once, one commits
            return xml
        except exc.IntegrityError as conflict:
            session.rollback()
            log.warning("SMS %s from %s conflicted on %s (attempt %d of %d)", sid, phones.mask(phone),
                        _constraint(conflict), attempt, ATTEMPTS)
        except DATABASE_DOWN:
            raise
        except Exception:
            session.rollback()
            log.exception("could not handle SMS %s from %s", sid, phones.mask(phone))
            return _keep_for_a_person(session, sid, phone, body, queue_replies)
    log.error("SMS %s from %s conflicted %d times: kept for a person", sid, phones.mask(phone), ATTEMPTS)
    return _keep_for_a_person(session, sid, phone, body, queue_replies)


def take_from_no_phone(session: Session, sid: str, address: str, body: str) -> str:
    """Keep an SMS whose `From` is no phone number (`whatsapp:+86…`, `client:alice`) and show it to the
    coordinators, once per MessageSid: the hotline cannot answer there, a person may. Its TwiML answer
    is empty. A flood of them (a bot) is kept without more alerts past NO_PHONE_ALERTS in NO_PHONE_WINDOW."""
    answered = _answer_given(session, sid)
    if answered is not None:  # Twilio's retry, or the spool's replay of one taken meanwhile
        return answered
    xml = twilio.render_sms(())
    recent = session.scalar(select(func.count(Inbound.id)).where(
        Inbound.kind == "sms", Inbound.phone == NO_PHONE, Inbound.received_at >= clock.now() - NO_PHONE_WINDOW))
    session.add(Inbound(sid=sid, kind="sms", phone=NO_PHONE, body=body[:1600], reply=xml))
    if recent < NO_PHONE_ALERTS:
        requests.tell_coordinators(session, N_("coordinator.unhandled"), Lane.URGENT, phone=address[:40],
                                   details=body[:200])
    try:
        session.commit()
    except exc.IntegrityError:  # a parallel copy of it was kept meanwhile: its answer stands
        session.rollback()
        return _answer_given(session, sid) or xml
    return xml


def _deliver(session: Session, phone: str, reply: Reply, queue_replies: bool) -> None:
    """Record the TwiML replies in the outbox, or queue them when the TwiML answer has gone."""
    for message in reply:
        if queue_replies:
            request = session.get(Request, message.number) if message.number else None
            outbox.queue_sms(session, phone, message.text, message.lang, request=request)
        else:
            outbox.record_reply(session, phone, message.text, message.lang, message.number,
                                current_app.extensions["transport"].name)


def _answer_given(session: Session, sid: str) -> str | None:
    return session.scalar(select(Inbound.reply).filter_by(sid=sid))


def _keep_for_a_person(session: Session, sid: str, phone: str, body: str, queue_replies: bool) -> str:
    """A message the hotline could not handle is kept, and coordinators are shown it."""
    hold_sender(session, phone)
    answered = _answer_given(session, sid)
    if answered is not None:  # a parallel copy of it got through meanwhile
        return answered
    lang = _lang_of(body)
    reply = (Message(texts.t(lang, "sms.kept_for_a_person"), lang),)
    xml = twilio.render_sms(() if queue_replies else reply)
    session.add(Inbound(sid=sid, kind="sms", phone=phone, body=body[:1600], reply=xml))
    requests.tell_coordinators(session, N_("coordinator.unhandled"), Lane.URGENT, phone=phone, details=body[:200])
    _deliver(session, phone, reply, queue_replies)
    session.commit()
    return xml


def _constraint(conflict: exc.IntegrityError) -> str:
    """The name of the constraint a conflict broke (its message would quote the values, numbers too)."""
    return getattr(getattr(conflict.orig, "diag", None), "constraint_name", None) or type(conflict.orig).__name__


def _lang_of(body: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in body) or not body.isascii() else "en"
