"""Questions residents put to the hotline ("垃圾放哪里？", a rumour to check): the coordinators are
told by SMS, and each question waits on the admin page's act-now list until one of them has
answered it. Pure: no Flask."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline import clock
from hotline.domain import requests
from hotline.domain.transitions import Actor
from hotline.models import Channel, Question

PURPOSE = "question"  # Outbox.purpose of the coordinators' SMS about a question


def ask(session: Session, msgid: str, phone: str, text: str, channel: Channel, language: str) -> Question:
    """Keep the question for the act-now list and send every coordinator `msgid` about it."""
    question = Question(phone=phone or "", text=text, channel=channel, language=language, asked_at=clock.now())
    session.add(question)
    requests.tell_coordinators(session, msgid, purpose=PURPOSE, phone=phone or "-", details=text or "-")
    return question


def answer(question: Question, actor: Actor) -> bool:
    """Mark the question answered by `actor` (a user of the admin page); False when someone already had."""
    if question.answered_at is not None:
        return False
    question.answered_at, question.answered_by_user_id = clock.now(), actor.user_id
    return True
