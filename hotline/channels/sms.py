"""`POST /twilio/sms`: every incoming SMS, answered with its TwiML reply."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app
from sqlalchemy import exc, select

from hotline import texts
from hotline.channels import twilio
from hotline.channels.webhooks import field, twilio_webhook, twiml
from hotline.domain import outbox, phones
from hotline.domain.intake import InboundSms, handle_sms
from hotline.domain.policy import Policy
from hotline.domain.replies import Message
from hotline.extensions import db
from hotline.models import Inbound, Lane, Role, Volunteer

bp = Blueprint("sms", __name__)
log = logging.getLogger(__name__)


@bp.post("/twilio/sms")
@twilio_webhook
def incoming():
    """Take one SMS: once per MessageSid, whatever Twilio retries."""
    sid = (field("MessageSid", 80) or field("SmsSid", 80)).strip()
    sender = field("From", 40).strip()
    if not sid or not sender:
        return twiml(twilio.render_sms(()), 400)
    policy = Policy.from_config(current_app.config)
    phone = phones.normalize(sender, policy.region) or sender[:20]
    body = field("Body")
    replayed = _replay(sid)
    if replayed is not None:
        return twiml(replayed)
    inbound = Inbound(sid=sid, kind="sms", phone=phone, body=body[:1600])
    try:
        db.session.add(inbound)
        db.session.flush()
    except exc.IntegrityError:  # the same SID, at the same moment, from a parallel retry
        db.session.rollback()
        return twiml(_replay(sid) or twilio.render_sms(()))
    try:
        xml = twilio.render_sms(handle_sms(db.session, policy, InboundSms(sid, phone, body)))
        inbound.reply = xml
        db.session.commit()
    except exc.IntegrityError:
        db.session.rollback()
        return twiml(_replay(sid) or twilio.render_sms(()))
    except Exception:
        db.session.rollback()
        log.exception("could not handle SMS %s from %s", sid, phones.mask(phone))
        xml = _keep_for_a_person(sid, phone, body)
    return twiml(xml)


def _replay(sid: str) -> str | None:
    """The answer already given to this SID, if it was seen."""
    return db.session.scalar(select(Inbound.reply).filter_by(sid=sid))


def _keep_for_a_person(sid: str, phone: str, body: str) -> str:
    """A message the hotline could not handle is kept, and coordinators are shown it."""
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in body) else "en"
    reply = texts.t(lang, "sms.kept_for_a_person")
    xml = twilio.render_sms((Message(reply),))
    db.session.add(Inbound(sid=sid, kind="sms", phone=phone, body=body[:1600], reply=xml))
    for c in db.session.scalars(select(Volunteer).where(Volunteer.role == Role.COORDINATOR)):
        text = texts.t(c.first_language, "coordinator.unhandled", phone=phone, details=body[:200])
        outbox.queue_sms(db.session, c.phone, text, c.first_language, lane=Lane.URGENT)
    outbox.record_reply(db.session, phone, reply, lang)
    db.session.commit()
    return xml
