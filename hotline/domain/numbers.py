"""The numbers that run the response: per building and per volunteer, over the last day or week.

For the requests made in the window (not purged), read from their timelines:
- **requests**: per building, the requests its flats made; per volunteer, those the hotline (or a
  coordinator) sent them;
- **time to accept**: from a request being sent to the volunteer who took it to their `accepted`
  (from its making, when it was taken without being sent); the first acceptance of each request;
- **time to deliver**: from that acceptance to the `delivered` that followed it;
- **delivered within the promised time**: the promise is the one late.py keeps, added up from the
  request's making: the accept timeout (a third of it when urgent) and then the delivery timeout.
  The share is of the requests whose promise is due: delivered (on time or late), or still open
  after their promise ran out; cancelled ones and those still within their time are left out.
  Per volunteer, of the requests they delivered or hold accepted;
- **declines** and **time-outs**: the volunteer's `declined` and `timed_out` events.

The database picks the rows in two queries, each found by an index on a time: the requests made in
the window (by the time they were made, as the dashboard's days count them) with their flat's
building, newest first, at most READ_AT_MOST of them (a compound's week is a few thousand; past the
bound the figures say they are partial), and the events of these kinds in the window (those of older
requests are left aside here; the index holds what is read of them). Every time comes back as seconds
since the window's start, counted by the database, so thousands of rows are read as plain numbers.
The grouping and the medians are computed here, in Python, over those rows. Pure: no Flask.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, literal, select, type_coerce
from sqlalchemy.orm import Session

from hotline.domain.policy import Policy
from hotline.models import (
    OPEN_STATUSES,
    EventKind,
    Household,
    Request,
    RequestEvent,
    Status,
    UTCDateTime,
    Volunteer,
    seconds_between,
)

WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7)}
READ_AT_MOST = 50_000  # requests read for one window
KINDS = (EventKind.ASSIGNED, EventKind.ACCEPTED, EventKind.DELIVERED, EventKind.DECLINED,
         EventKind.TIMED_OUT)
# The same as plain strings, and the statuses the counting asks about: looking a member up on its enum
# costs more than the rest of reading a step, done for thousands of steps.
ASSIGNED, ACCEPTED, DELIVERED, DECLINED, TIMED_OUT = (kind.value for kind in KINDS)
OPEN, HELD = frozenset(status.value for status in OPEN_STATUSES), Status.ACCEPTED.value


def promise(policy: Policy, urgent: bool) -> timedelta:
    """How long after its making a request is promised to be delivered (late.py's two timers added up)."""
    return policy.accept_timeout_for(urgent) + policy.delivery_timeout


@dataclass
class Figures:
    """One building's or one volunteer's numbers over a window."""

    requests: int = 0
    accept_seconds: list[float] = field(default_factory=list)
    deliver_seconds: list[float] = field(default_factory=list)
    due: int = 0  # requests whose promise is due: delivered, or open past it
    on_time: int = 0  # of those, delivered within it
    declines: int = 0
    time_outs: int = 0

    @property
    def accept_median(self) -> timedelta | None:
        """The median time to accept, None when nothing was accepted."""
        return _median(self.accept_seconds)

    @property
    def deliver_median(self) -> timedelta | None:
        """The median time from acceptance to delivery, None when nothing was delivered."""
        return _median(self.deliver_seconds)

    @property
    def on_time_share(self) -> float | None:
        """The share (0 to 1) of the due requests delivered within the promise, None when none is due."""
        return self.on_time / self.due if self.due else None


def _median(seconds: list[float]) -> timedelta | None:
    return timedelta(seconds=statistics.median(seconds)) if seconds else None


@dataclass
class Numbers:
    """A window's figures: per building, per volunteer (with their names), and for the whole compound."""

    since: datetime
    until: datetime
    buildings: dict[int, Figures] = field(default_factory=dict)
    volunteers: dict[int, Figures] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    total: Figures = field(default_factory=Figures)
    partial: bool = False  # more rows than READ_AT_MOST: the oldest requests of the window are left out


@dataclass(slots=True)
class _Life:
    """One request's timeline, as far as the numbers need it (times in seconds since the window's start)."""

    building: int
    made: float
    deadline: float
    status: str  # a Status value
    holder: int | None
    sent: dict[int, float] | None = None  # volunteer -> last time it was sent to them (made when first sent)
    accepted: tuple[int | None, float, float] | None = None  # who, when, seconds taken
    delivered: tuple[int | None, float, bool] | None = None  # who, seconds after acceptance, on time
    declines: tuple[int, ...] = ()
    time_outs: tuple[int, ...] = ()


def numbers(session: Session, policy: Policy, now: datetime, window: timedelta,
            read_at_most: int = READ_AT_MOST, volunteers: bool = True) -> Numbers:
    """Compute the numbers of the requests made in the `window` before `now` (see the module's docstring);
    per volunteer too unless `volunteers` is false (the dashboard charts the buildings alone)."""
    since = now - window
    start = literal(since, UTCDateTime())
    asked = session.connection().execute(  # plain strings for the enums, numbers for the times: thousands of rows
        select(Request.id, Household.building, seconds_between(start, Request.created_at).label("made"),
               Request.urgent, type_coerce(Request.status, String), Request.volunteer_id)
        .join(Household, Request.household_id == Household.id)
        .where(Request.created_at.between(since, now), Request.purged_at.is_(None))
        .order_by(Request.created_at.desc(), Request.id.desc())
        .limit(read_at_most + 1)
    ).all()
    out = Numbers(since, now, partial=len(asked) > read_at_most)
    asked = asked[:read_at_most]  # past the bound, the oldest of the window are left out
    promised = {urgent: promise(policy, urgent).total_seconds() for urgent in (False, True)}
    lives = {r.id: _Life(r.building, r.made, r.made + promised[r.urgent], r.status, r.volunteer_id) for r in asked}
    steps = session.connection().execute(
        select(RequestEvent.request_id, type_coerce(RequestEvent.kind, String),
               seconds_between(start, RequestEvent.at), RequestEvent.volunteer_id)
        .where(RequestEvent.at.between(since, now), RequestEvent.kind.in_(KINDS))
        .order_by(RequestEvent.at, RequestEvent.id)  # the index's order: each request's events in turn
    ).all()
    for request_id, kind, at, volunteer in steps:
        life = lives.get(request_id)
        if life is not None:
            _read(life, kind, at, volunteer)
    for life in lives.values():
        _count(out, life, window.total_seconds(), volunteers)
    if out.volunteers:
        out.names = dict(session.execute(select(Volunteer.id, Volunteer.name)
                                         .where(Volunteer.id.in_(sorted(out.volunteers)))).all())
    out.buildings = dict(sorted(out.buildings.items()))
    out.volunteers = dict(sorted(out.volunteers.items(), key=lambda kv: (out.names.get(kv[0], ""), kv[0])))
    return out


def _read(life: _Life, kind: str, at: float, volunteer: int | None) -> None:
    if kind == ASSIGNED and volunteer is not None:
        life.sent = life.sent or {}
        life.sent[volunteer] = at
    elif kind == ACCEPTED and life.accepted is None:
        start = (life.sent or {}).get(volunteer, life.made) if volunteer is not None else life.made
        life.accepted = (volunteer, at, at - start)
    elif kind == DELIVERED and life.delivered is None and life.accepted is not None:
        life.delivered = (volunteer, at - life.accepted[1], at <= life.deadline)
    elif kind == DECLINED and volunteer is not None:
        life.declines += (volunteer,)
    elif kind == TIMED_OUT and volunteer is not None:
        life.time_outs += (volunteer,)


def _count(out: Numbers, life: _Life, now: float, volunteers: bool) -> None:
    building = out.buildings.setdefault(life.building, Figures())
    acceptor = life.accepted[0] if life.accepted else None
    deliverer = life.delivered[0] if life.delivered else None
    involved = set(life.sent or ()) | {v for v in (acceptor, deliverer) if v is not None} if volunteers else set()
    mine = {v: out.volunteers.setdefault(v, Figures()) for v in involved}

    def each(volunteer: int | None) -> list[Figures]:
        return [building, out.total] + ([mine[volunteer]] if volunteer in mine else [])

    for figures in (building, out.total, *mine.values()):
        figures.requests += 1
    if life.accepted:
        for figures in each(acceptor):
            figures.accept_seconds.append(life.accepted[2])
    if life.delivered:
        for figures in each(deliverer):
            figures.deliver_seconds.append(life.delivered[1])
            figures.due += 1
            figures.on_time += life.delivered[2]
    elif life.status in OPEN and life.deadline <= now:  # late, and still open
        for figures in each(life.holder if life.status == HELD else None):
            figures.due += 1
    for volunteer in life.declines:
        for figures in each(volunteer):
            figures.declines += 1
    for volunteer in life.time_outs:
        for figures in each(volunteer):
            figures.time_outs += 1
