"""Whether the carriers answer, and what each one carried: for the workers' checks and the dashboard.

A carrier that can go off line (the gateway phone: switched off, flat, off the Wi-Fi) is checked by
the workers and proves itself alive by its own events. Once it has been unreachable for the
configured time (HOTLINE_GATEWAY_DOWN_AFTER) the coordinators are told, once per outage, by another
carrier when there is one (their SMS through Twilio), and the dashboard shows it in red meanwhile.
Its first sign of life after that tells them it is back, through the carrier itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.domain import requests
from hotline.models import CarrierHealth, Lane, Outbox, OutStatus
from hotline.texts import N_

CHECK_EVERY = timedelta(seconds=30)  # how often a worker asks a carrier that can go off line


def _health(session: Session, name: str) -> CarrierHealth:
    row = session.get(CarrierHealth, name)
    if row is None:
        row = CarrierHealth(name=name)
        session.add(row)
    return row


def due_for_check(session: Session, name: str, now: datetime) -> bool:
    """Tell whether a worker should ask the carrier now (nobody did within CHECK_EVERY)."""
    row = session.get(CarrierHealth, name)
    return row is None or row.checked_at is None or now - row.checked_at >= CHECK_EVERY


def seen(session: Session, name: str, now: datetime, checked: bool = False) -> bool:
    """Record a sign of life of the carrier: it is up, and a later outage is a new one. When the
    coordinators were told it was away, tell them it is back (by the SMS carrier: the phone itself,
    which proves it); return whether they were told now."""
    row = _health(session, name)
    back = row.told_at is not None
    if back:
        minutes = int((now - row.down_since).total_seconds() // 60) if row.down_since else 0
        requests.tell_coordinators(session, N_("coordinator.gateway_back"), Lane.URGENT, minutes=minutes)
    row.last_seen_at, row.down_since, row.last_error, row.told_at = now, None, None, None
    if checked:
        row.checked_at = now
    return back


def unreachable(
    session: Session, name: str, error: str, now: datetime, down_after: timedelta, tell_by: str | None
) -> bool:
    """Record a failed check; once the carrier has been away `down_after`, tell the coordinators (by the
    carrier `tell_by`, when there is another; the dashboard shows it either way). Return whether they
    were told now."""
    row = _health(session, name)
    row.checked_at, row.last_error = now, error[:300]
    if row.down_since is None:
        row.down_since = now
    if row.told_at is not None or now - row.down_since < down_after:
        return False
    row.told_at = now
    if tell_by is not None:
        minutes = int((now - row.down_since).total_seconds() // 60)
        for message in requests.tell_coordinators(session, N_("coordinator.gateway_down"), Lane.URGENT,
                                                  minutes=minutes):
            message.transport = tell_by
    return True


@dataclass(frozen=True)
class Down:
    """A carrier that has been unreachable for longer than it may be."""

    name: str
    since: datetime
    error: str


def down(session: Session, now: datetime, down_after: timedelta) -> list[Down]:
    """The carriers away for `down_after` or longer, for the dashboard."""
    rows = session.scalars(select(CarrierHealth).where(CarrierHealth.down_since.is_not(None)))
    return [Down(r.name, r.down_since, r.last_error or "") for r in rows if now - r.down_since >= down_after]


@dataclass(frozen=True)
class Carried:
    """What one carrier has to send, sent in the last hour, and when it last got one out."""

    name: str
    queued: int
    sent_last_hour: int
    last_sent_at: datetime | None


def per_carrier(session: Session, sms: str, voice: str, now: datetime) -> list[Carried]:
    """Messages queued, sent in the last hour and the last success of each carrier: queued rows count
    for the carrier they were queued for, else the one their kind goes by."""
    waiting = session.execute(
        select(Outbox.kind, Outbox.transport, func.count(Outbox.id))
        .where(Outbox.status.in_((OutStatus.QUEUED, OutStatus.SENDING)))
        .group_by(Outbox.kind, Outbox.transport)
    ).all()
    queued: dict[str, int] = {}
    for kind, transport, n in waiting:
        name = transport or (sms if kind == "sms" else voice)
        queued[name] = queued.get(name, 0) + n
    sent = {
        name: (n, last) for name, n, last in session.execute(
            select(Outbox.transport, func.count(Outbox.id).filter(Outbox.sent_at >= now - timedelta(hours=1)),
                   func.max(Outbox.sent_at))
            .where(Outbox.status == OutStatus.SENT, Outbox.transport.is_not(None))
            .group_by(Outbox.transport)
        )
    }
    names = list(dict.fromkeys([sms, voice, *queued, *sent]))
    return [Carried(n, queued.get(n, 0), sent.get(n, (0, None))[0], sent.get(n, (0, None))[1]) for n in names]
