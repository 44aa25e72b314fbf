"""Calls a person makes, where no carrier places calls (the phone gateway alone, without Twilio).

Every call the hotline would have placed (a landline told where its request stands, a resident who
prefers voice, a check-in, an announcement by call) is kept `by_hand` with what it would have said,
never queued. The coordinators' page lists them, oldest first, with the number to phone and whom it
is; one tap says a person phoned: the row counts as sent by a person, the request's timeline says
so, and a check-in counts as answered. Pure: no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from hotline.domain import transitions
from hotline.domain.outbox import BY_A_PERSON
from hotline.domain.transitions import Actor
from hotline.models import CheckInStatus, EventKind, Outbox, OutStatus, Resident, Volunteer

READ_AT_MOST = 200  # rows read for one list; the rest are counted


@dataclass(frozen=True)
class ToPhone:
    """A call for a person to make: the row (number, words, language), and whom it reaches."""

    row: Outbox
    name: str  # the resident's (or volunteer's) name; "" for a number the roster does not know
    home: str  # their flat, as `12-302`; "" when unknown


def waiting(session: Session, limit: int = READ_AT_MOST) -> list[ToPhone]:
    """The calls waiting for a person, oldest first."""
    rows = session.scalars(
        select(Outbox).where(Outbox.status == OutStatus.BY_HAND)
        .options(selectinload(Outbox.request))
        .order_by(Outbox.created_at, Outbox.id).limit(limit)
    ).all()
    numbers = {row.to for row in rows}
    residents = {r.phone: r for r in session.scalars(
        select(Resident).where(Resident.phone.in_(numbers)).options(selectinload(Resident.household)))}
    volunteers = dict(session.execute(
        select(Volunteer.phone, Volunteer.name).where(Volunteer.phone.in_(numbers))).all())
    listed = []
    for row in rows:
        resident = residents.get(row.to)
        home = resident.household.label if resident is not None and resident.household is not None else ""
        if not home and row.request is not None and row.request.household is not None:
            home = row.request.household.label
        name = resident.name if resident is not None else volunteers.get(row.to, "")
        listed.append(ToPhone(row, name, home))
    return listed


def count(session: Session) -> int:
    """Count the calls waiting for a person."""
    return session.scalar(select(func.count(Outbox.id)).where(Outbox.status == OutStatus.BY_HAND)) or 0


def phoned(session: Session, row_id: int, actor: Actor, now: datetime) -> Outbox | None:
    """Record that a person made the call `row_id`; None when it is no call waiting for a person (another
    coordinator tapped first). Its request's timeline says so, and a check-in it made counts as answered."""
    taken = session.execute(
        update(Outbox).where(Outbox.id == row_id, Outbox.status == OutStatus.BY_HAND)
        .values(status=OutStatus.SENT, transport=BY_A_PERSON, sent_at=now, delivery_status="completed")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        return None
    row = session.get(Outbox, row_id, populate_existing=True)
    if row.request is not None and row.request.purged_at is None:
        step = transitions.record(row.request, EventKind.PHONED, actor, note=f"outbox {row.id}")
        step.transport = BY_A_PERSON
    if row.check_in is not None and row.check_in.status == CheckInStatus.CALLING:
        row.check_in.status, row.check_in.answered_at = CheckInStatus.FINE, now
    return row
