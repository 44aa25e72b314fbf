"""`POST /twilio/sms`: every incoming SMS, answered with its TwiML reply.

Each SMS is taken once per MessageSid, in one transaction with everything it causes. When the
database does not answer, or taking it fails in a way not even the fallback survives, the SMS goes
to the spool and gets a holding reply; the worker replays it later through `take_sms` (the use
case, in `hotline.domain.inbox`), and its replies then go out through the outbox. An SMS from an
address that is no phone number (`whatsapp:`, `client:`…) cannot be answered by SMS: it is kept,
and the coordinators are shown it. This view only reads the webhook and writes TwiML.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app

from hotline import texts
from hotline.channels import twilio
from hotline.channels.webhooks import field, phone_from, twilio_webhook, twiml
from hotline.database import DATABASE_DOWN, rollback_quietly
from hotline.domain.inbox import lang_of, take_from_no_phone, take_sms
from hotline.domain.policy import Policy
from hotline.domain.replies import Message
from hotline.extensions import db

bp = Blueprint("sms", __name__)
log = logging.getLogger(__name__)


@bp.post("/twilio/sms")
@twilio_webhook
def incoming():
    """Take one SMS: once per MessageSid, whatever Twilio retries, even with the database down."""
    sid = (field("MessageSid", 80) or field("SmsSid", 80)).strip()
    sender = field("From", 40).strip()
    body = field("Body")
    if not sid or not sender:
        return twiml(twilio.render_sms(()), 400)
    carrier = current_app.extensions["transport"].name
    return twiml(take_or_spool(sid, sender, body, queue_replies=False, carrier=carrier))


def take_or_spool(sid: str, sender: str, body: str, queue_replies: bool, carrier: str) -> str:
    """Take an SMS as a webhook of `carrier` received it (`sender` as the carrier wrote it) and return its
    TwiML answer; when that fails, even to keep it for a person, or the database does not answer, spool it
    for the worker and answer with a holding reply (none when the replies go by the outbox)."""
    phone = phone_from(sender)
    try:
        if phone is None:  # nobody to answer by SMS; an error status would only set off Twilio's fallback URL
            return take_from_no_phone(db.session, sid, sender, body, twilio.render_sms)
        policy = Policy.from_config(current_app.config)
        return take_sms(db.session, policy, sid, phone, body, twilio.render_sms, queue_replies, carrier)
    except Exception as failure:  # noqa: BLE001 - whatever it is, the SMS is kept and answered
        rollback_quietly(db.session)
        current_app.extensions["spool"].put("sms", sid, {"MessageSid": sid, "From": phone or sender, "Body": body})
        if isinstance(failure, DATABASE_DOWN):
            log.warning("database unavailable: SMS %s spooled", sid)
        else:
            log.exception("SMS %s could not be taken, not even kept for a person: spooled", sid)
        if phone is None or queue_replies:
            return twilio.render_sms(())
        lang = lang_of(body)
        return twilio.render_sms((Message(texts.t(lang, "sms.holding"), lang),))
