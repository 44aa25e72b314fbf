"""What the dashboard shows: counts of open requests, the buildings' grid, who waited longest, the
last days, and the stamp live pages poll. Pure: no Flask."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, selectinload, undefer

from hotline.domain.late import overdue_clause  # the one definition of overdue
from hotline.domain.policy import Policy
from hotline.models import (
    OPEN_STATUSES,
    CarrierHealth,
    Household,
    Outbox,
    OutStatus,
    Question,
    Request,
    RequestEvent,
    Status,
)

LIVE = and_(Request.status.in_(OPEN_STATUSES), Request.purged_at.is_(None))


@dataclass(frozen=True)
class Counts:
    """How many requests are open, overdue, urgent, and with nobody."""

    open: int
    overdue: int
    urgent: int
    unassigned: int


def counts(session: Session, policy: Policy, now: datetime) -> Counts:
    """Count the open requests and those that need a coordinator's eye."""
    return overview(session, policy, now)[0]


@dataclass(frozen=True)
class BuildingCell:
    """One building on the dashboard's grid: how many open requests, urgent and overdue among them."""

    building: int
    open: int = 0
    urgent: int = 0
    overdue: int = 0


def building_grid(session: Session, policy: Policy, now: datetime) -> list[BuildingCell]:
    """Return every building of the compound with its open requests (counts only, never a label)."""
    return overview(session, policy, now)[1]


def overview(session: Session, policy: Policy, now: datetime) -> tuple[Counts, list[BuildingCell]]:
    """Count the open requests per building and in all, in one pass over them: the counts and the grid."""
    rows = session.execute(
        select(
            Household.building,
            func.count(Request.id),
            func.coalesce(func.sum(case((Request.urgent.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((overdue_clause(policy, now), 1), else_=0)), 0),
            func.coalesce(func.sum(case((Request.status == Status.NEW, 1), else_=0)), 0),
        )
        .join(Household)
        .where(LIVE)
        .group_by(Household.building)
    ).all()
    found = {b: BuildingCell(b, int(n), int(u), int(o)) for b, n, u, o, _new in rows}
    total = Counts(*(sum(int(row[i]) for row in rows) for i in (1, 3, 2, 4)))
    return total, [found.get(b, BuildingCell(b)) for b in sorted(policy.buildings | found.keys())]


def oldest_waiting(session: Session, limit: int = 5) -> list[Request]:
    """Return the open requests that have waited longest."""
    return list(
        session.scalars(
            select(Request)
            .options(selectinload(Request.household), selectinload(Request.volunteer), undefer(Request.reopened))
            .where(LIVE)
            .order_by(Request.created_at, Request.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class DayCount:
    """Requests made and delivered on one local day."""

    day: date
    created: int
    delivered: int


def per_day(session: Session, tz: ZoneInfo, now: datetime, days: int = 14) -> list[DayCount]:
    """Count requests made and delivered on each of the last `days` local days, oldest first.

    Counted by the database in one statement: for each day and each of the two times, the rows between
    its local midnights (so a day is right across a change of clock), each a range of the time's index."""
    first = now.astimezone(tz).date() - timedelta(days=days - 1)
    dates = [first + timedelta(days=i) for i in range(days + 1)]
    midnights = [datetime(d.year, d.month, d.day, tzinfo=tz) for d in dates]

    def between(column, start: datetime, end: datetime):
        return select(func.count()).select_from(Request).where(column >= start, column < end).scalar_subquery()

    counted = session.execute(select(*(between(column, start, end) for start, end in itertools.pairwise(midnights)
                                       for column in (Request.created_at, Request.delivered_at)))).one()
    return [DayCount(d, counted[2 * i], counted[2 * i + 1]) for i, d in enumerate(dates[:-1])]


def live_stamp(session: Session) -> str:
    """Return a stamp that changes whenever a request, the outbox or a question changes, or a carrier is found
    off line or back (what pages poll for)."""
    last_event = session.scalar(select(func.coalesce(func.max(RequestEvent.id), 0)))
    last_message = session.scalar(select(func.coalesce(func.max(Outbox.id), 0)))
    waiting = session.scalar(  # calls waiting for a person count: one made leaves the list
        select(func.count(Outbox.id)).where(Outbox.status.in_((OutStatus.QUEUED, OutStatus.SENDING, OutStatus.BY_HAND)))
    )
    questions = session.execute(select(func.coalesce(func.max(Question.id), 0), func.count(Question.answered_at))).one()
    away = session.scalar(select(func.count(CarrierHealth.name)).where(CarrierHealth.told_at.is_not(None)))
    return f"{last_event}.{last_message}.{waiting}.{questions[0]}.{questions[1]}.{away}"
