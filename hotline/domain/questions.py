"""Questions residents put to the hotline ("垃圾放哪里？", a rumour to check): the coordinators are
told by SMS, and each question waits on the admin page's act-now list until one of them has
answered it, by an SMS written there or another way. Pure: no Flask."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline import clock
from hotline.domain import outbox, requests
from hotline.domain.transitions import Actor
from hotline.models import Channel, Purpose, Question


def ask(session: Session, msgid: str, phone: str, text: str, channel: Channel, language: str) -> Question:
    """Keep the question for the act-now list and send every coordinator `msgid` about it."""
    question = Question(phone=phone or "", text=text, channel=channel, language=language, asked_at=clock.now())
    session.add(question)
    requests.tell_coordinators(session, msgid, purpose=Purpose.QUESTION, phone=phone or "-", details=text or "-")
    return question


def answer(session: Session, question: Question, actor: Actor, reply: str = "") -> bool:
    """Mark the question answered by `actor` (a user of the admin page), and send `reply` to whoever
    asked, by SMS in the language they asked in (none when it is empty: answered by a call or at the
    door, or the number was withheld). False, and nothing sent, when someone had already answered it."""
    if question.answered_at is not None:
        return False
    question.answered_at, question.answered_by_user_id = clock.now(), actor.user_id
    reply = " ".join(reply.split())
    if reply and question.phone:
        outbox.queue_sms(session, question.phone, reply, question.language, purpose=Purpose.QUESTION)
    return True
