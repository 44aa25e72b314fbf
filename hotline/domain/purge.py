"""Forgetting: the personal data of closed requests goes, anonymous counts stay.

A purged request keeps its number, category, urgency, building, status and times (so the
counts per building and day still add up) and loses its room, details, voice message, who asked,
the notes of its timeline and the texts of its messages. Messages about no request (a
coordinator alert quoting a stranger's number and words, a reply asking for an address, a
broadcast, a check-in call) lose their text and number by age alone, once they are sent or given
up. Inbound logs, questions and check-in answers older than the cut-off, and expired conversations, go
entirely; a check-in answer still inside the plan's silent days stays, as it tells that someone
was heard from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hotline.domain import checkins, phones
from hotline.domain.requests import household
from hotline.models import CheckIn, Conversation, Inbound, Outbox, OutStatus, Question, Request, RequestEvent, Status

ANONYMOUS_ROOM = "-"
PURGED = "(purged)"
# Nothing more will be sent from these rows.
FINISHED = (OutStatus.SENT, OutStatus.FAILED, OutStatus.SKIPPED, OutStatus.CANCELLED)


@dataclass
class PurgeReport:
    """What a purge removed."""

    requests: int = 0
    recordings_deleted: int = 0
    recordings_kept: int = 0  # Twilio did not answer: tried again at the next purge
    inbound: int = 0
    conversations: int = 0
    messages: int = 0  # about no request
    check_ins: int = 0
    questions: int = 0


def parse_age(text: str) -> timedelta:
    """Read `30d`, `12h` or `2w`."""
    m = re.fullmatch(r"\s*(\d{1,5})\s*([dhw])\s*", text or "")
    if not m:
        raise ValueError(f"cannot read {text!r}: write it as 30d, 12h or 2w")
    number, unit = int(m.group(1)), m.group(2)
    return {"d": timedelta(days=number), "h": timedelta(hours=number), "w": timedelta(weeks=number)}[unit]


def purge(
    session: Session, now: datetime, older_than: timedelta, delete_recording: Callable[[str], bool]
) -> PurgeReport:
    """Remove the personal data of requests closed before `now - older_than`.

    `delete_recording(sid)` deletes a voice message at the carrier and tells whether it is gone.
    """
    cutoff = now - older_than
    report = PurgeReport()
    closed = session.scalars(
        select(Request).where(
            Request.status.in_((Status.DELIVERED, Status.CANCELLED)),
            Request.closed_at < cutoff,
            Request.purged_at.is_(None) | Request.recording_sid.is_not(None),
        )
    ).all()
    for request in closed:
        if request.recording_sid:
            if delete_recording(request.recording_sid):
                request.recording_sid = None
                report.recordings_deleted += 1
            else:
                report.recordings_kept += 1
        if request.purged_at is not None:
            continue
        request.household = household(session, request.household.building, ANONYMOUS_ROOM)
        request.details, request.drug, request.runs_out = "", None, None
        request.requester_phone = request.requester_name = None
        request.resident = None
        request.purged_at = now
        report.requests += 1
        session.execute(update(RequestEvent).where(RequestEvent.request_id == request.id).values(note=""))
        for row in session.scalars(select(Outbox).where(Outbox.request_id == request.id)):
            _forget(row)
    report.messages = _forget_messages_about_no_request(session, cutoff)
    heard_from = now - timedelta(days=checkins.plan(session).silent_days)  # what "not heard from" still reads
    report.check_ins = _forget_check_ins(session, min(cutoff, heard_from))
    report.questions = session.execute(delete(Question).where(Question.asked_at < cutoff)).rowcount or 0
    report.inbound = session.execute(delete(Inbound).where(Inbound.received_at < cutoff)).rowcount or 0
    report.conversations = session.execute(delete(Conversation).where(Conversation.expires_at < now)).rowcount or 0
    return report


def _forget(row: Outbox) -> None:
    """Drop a message's text and numbers (a carrier's error may quote the number too); a call still waiting
    for a person leaves their list: there is nothing left to say, nor a number to dial."""
    row.body, row.to = PURGED, phones.mask(row.to)
    if row.about_phone:
        row.about_phone = phones.mask(row.about_phone)
    if row.last_error:
        row.last_error = PURGED
    if row.status == OutStatus.BY_HAND:
        row.status, row.last_error = OutStatus.SKIPPED, "purged before anyone phoned"


def _forget_messages_about_no_request(session: Session, cutoff: datetime) -> int:
    """Forget the messages about no request made before `cutoff` that nothing will send any more."""
    rows = session.scalars(
        select(Outbox).where(
            Outbox.request_id.is_(None), Outbox.created_at < cutoff, Outbox.status.in_((*FINISHED, OutStatus.BY_HAND)),
            Outbox.body != PURGED,
        )
    ).all()
    for row in rows:
        _forget(row)
    return len(rows)


def _forget_check_ins(session: Session, cutoff: datetime) -> int:
    """Remove the check-in calls made before `cutoff`: who was called, and what they answered."""
    return session.execute(delete(CheckIn).where(CheckIn.created_at < cutoff)).rowcount or 0
