"""Taking one SMS: once per message id, one sender at a time, never answered with silence.

The use case behind every SMS route (Twilio's webhook, the spool's replay): the edge reads the
message off the wire and passes `render`, which writes a reply the way its channel answers (TwiML
for Twilio); the answer is kept with the message, so a retried message id gets the same answer.
Pure domain: no Flask, no Twilio.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import exc, func, select
from sqlalchemy.orm import Session

from hotline import clock, texts
from hotline.database import DATABASE_DOWN, hold_sender, insert_added
from hotline.domain import outbox, phones, requests, transitions
from hotline.domain.intake import InboundSms, Sender, handle_sms, read_ahead
from hotline.domain.policy import Policy
from hotline.domain.replies import Message, Reply
from hotline.models import Inbound, Lane, Outbox, Request
from hotline.texts import N_

log = logging.getLogger(__name__)
ATTEMPTS = 3  # tries of one SMS whose transaction conflicts with another
NO_PHONE = ""  # Inbound.phone of a message from no phone number, as of a call whose number is withheld
NO_PHONE_ALERTS = 30  # coordinators are shown at most this many such messages in NO_PHONE_WINDOW (a bot's flood)
NO_PHONE_WINDOW = timedelta(minutes=10)

Render = Callable[[Reply], str]  # a reply as the channel answers it (Twilio: TwiML)


def take_sms(session: Session, policy: Policy, sid: str, phone: str, body: str, render: Render,
             queue_replies: bool = False, transport: str | None = None) -> str:
    """Act on one SMS from `phone` (E.164, as `phones.sender` read it) once and return its answer as
    `render` writes it (for a SID seen before, the same answer).

    The words are read before the transaction begins, the database is held for the rest only. The
    messages of one sender are taken one at a time. A transaction that still conflicts (a
    parallel retry of the same SID, or a row someone else wrote at the same moment) is tried again
    from the start; one that keeps failing is kept for a person, never answered with silence.
    With `queue_replies` the replies are queued in the outbox instead: a replayed SMS already had a
    holding answer, and the phone gateway takes no answer to its webhook. `transport` is the carrier
    the SMS came by: its steps on the timeline name it, and replies that go back as the answer are
    recorded as carried by it.
    Raises one of DATABASE_DOWN when the database does not answer (a sender held past the lock
    timeout included), and whatever keeping it for a person raised when even that fails.
    """
    named = None
    with contextlib.suppress(Exception):  # read once more in the transaction, where a failure is kept for a person
        named = read_ahead(policy, body)
    transitions.arriving_by(session, transport)
    for attempt in range(1, ATTEMPTS + 1):
        hold_sender(session, phone)
        sender = Sender(session, phone, sid, named)  # the answer given to the SID and the flat named with it
        if sender.answered is not None:
            return sender.answered
        try:
            reply = handle_sms(session, policy, InboundSms(sid, phone, body), sender)
            _deliver(session, phone, reply, queue_replies, transport)
            xml = render(() if queue_replies else reply)
            session.add(Inbound(sid=sid, kind="sms", phone=phone, body=body[:1600], reply=xml))
            insert_added(session, Inbound, Outbox)  # the SID is unique: of two copies handled at once, one is written
            session.commit()
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
            return _keep_for_a_person(session, sid, phone, body, render, queue_replies, transport)
    log.error("SMS %s from %s conflicted %d times: kept for a person", sid, phones.mask(phone), ATTEMPTS)
    return _keep_for_a_person(session, sid, phone, body, render, queue_replies, transport)


def take_from_no_phone(session: Session, sid: str, address: str, body: str, render: Render) -> str:
    """Keep an SMS whose `From` is no phone number (`whatsapp:+86…`, `client:alice`) and show it to the
    coordinators, once per MessageSid: the hotline cannot answer there, a person may. Its answer is
    empty. A flood of them (a bot) is kept without more alerts past NO_PHONE_ALERTS in NO_PHONE_WINDOW."""
    answered = _answer_given(session, sid)
    if answered is not None:  # Twilio's retry, or the spool's replay of one taken meanwhile
        return answered
    xml = render(())
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


def _deliver(session: Session, phone: str, reply: Reply, queue_replies: bool, transport: str | None) -> None:
    """Record the replies that went back as the answer in the outbox, or queue them to be sent."""
    for message in reply:
        if queue_replies:
            request = session.get(Request, message.number) if message.number else None
            outbox.queue_sms(session, phone, message.text, message.lang, request=request)
        else:
            outbox.record_reply(session, phone, message.text, message.lang, message.number, transport)


def _answer_given(session: Session, sid: str) -> str | None:
    return session.scalar(select(Inbound.reply).filter_by(sid=sid))


def _keep_for_a_person(session: Session, sid: str, phone: str, body: str, render: Render, queue_replies: bool,
                       transport: str | None) -> str:
    """A message the hotline could not handle is kept, and coordinators are shown it."""
    hold_sender(session, phone)
    answered = _answer_given(session, sid)
    if answered is not None:  # a parallel copy of it got through meanwhile
        return answered
    lang = lang_of(body)
    reply = (Message(texts.t(lang, "sms.kept_for_a_person"), lang),)
    xml = render(() if queue_replies else reply)
    session.add(Inbound(sid=sid, kind="sms", phone=phone, body=body[:1600], reply=xml))
    requests.tell_coordinators(session, N_("coordinator.unhandled"), Lane.URGENT, phone=phone, details=body[:200])
    _deliver(session, phone, reply, queue_replies, transport)
    session.commit()
    return xml


def _constraint(conflict: exc.IntegrityError) -> str:
    """The name of the constraint a conflict broke (its message would quote the values, numbers too)."""
    return getattr(getattr(conflict.orig, "diag", None), "constraint_name", None) or type(conflict.orig).__name__


def lang_of(body: str) -> str:
    """The language of the answer to a message that could not be taken: no reading of it is trusted
    after a failure (`reading.language` may be what failed), so Chinese for any non-ASCII text."""
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in body) or not body.isascii() else "en"
