"""What the coordinators' pages ask of the data, and the steering they do to requests.

Pure: no Flask. Every change goes through `hotline.domain.requests` (or mirrors it where that
module has no function for it yet), so it is an event on the timeline and queues the SMS it
implies, in the caller's transaction. The caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload, undefer

from hotline import clock
from hotline.domain import outbox, requests, transitions
from hotline.domain.late import overdue_clause  # the one definition of overdue
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy
from hotline.domain.requests import NotAllowed
from hotline.domain.spreadsheet import to_csv
from hotline.domain.transitions import Actor, Way
from hotline.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    EventKind,
    Household,
    Lane,
    Outbox,
    OutStatus,
    Request,
    RequestEvent,
    Resident,
    Role,
    Status,
    Volunteer,
    VolunteerBuilding,
)
from hotline.texts import N_, t

PER_PAGE = 50


# --- the dashboard ---------------------------------------------------------------------------


_LIVE = and_(Request.status.in_(OPEN_STATUSES), Request.purged_at.is_(None))


@dataclass(frozen=True)
class Counts:
    """How many requests are open, overdue, urgent, and with nobody."""

    open: int
    overdue: int
    urgent: int
    unassigned: int


def counts(session: Session, policy: Policy, now: datetime) -> Counts:
    """Count the open requests and those that need a coordinator's eye."""
    row = session.execute(
        select(
            func.count(Request.id),
            func.coalesce(func.sum(case((overdue_clause(policy, now), 1), else_=0)), 0),
            func.coalesce(func.sum(case((Request.urgent.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((Request.status == Status.NEW, 1), else_=0)), 0),
        ).where(_LIVE)
    ).one()
    return Counts(*(int(v) for v in row))


@dataclass(frozen=True)
class BuildingCell:
    """One building on the dashboard's grid: how many open requests, urgent and overdue among them."""

    building: int
    open: int = 0
    urgent: int = 0
    overdue: int = 0


def building_grid(session: Session, policy: Policy, now: datetime) -> list[BuildingCell]:
    """Return every building of the compound with its open requests (counts only, never a label)."""
    rows = session.execute(
        select(
            Household.building,
            func.count(Request.id),
            func.coalesce(func.sum(case((Request.urgent.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((overdue_clause(policy, now), 1), else_=0)), 0),
        )
        .join(Household)
        .where(_LIVE)
        .group_by(Household.building)
    ).all()
    found = {b: BuildingCell(b, int(n), int(u), int(o)) for b, n, u, o in rows}
    return [found.get(b, BuildingCell(b)) for b in sorted(policy.buildings | found.keys())]


def oldest_waiting(session: Session, limit: int = 5) -> list[Request]:
    """Return the open requests that have waited longest."""
    return list(
        session.scalars(
            select(Request)
            .options(selectinload(Request.household), selectinload(Request.volunteer), undefer(Request.reopened))
            .where(_LIVE)
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

    Counted by the database: one grouped query per column, each row put in its local day by
    comparing it with the local midnights (so a day is right across a change of clock)."""
    first = now.astimezone(tz).date() - timedelta(days=days - 1)
    dates = [first + timedelta(days=i) for i in range(days + 1)]
    midnights = [datetime(d.year, d.month, d.day, tzinfo=tz) for d in dates]

    def count(column) -> dict[int, int]:
        day = case(*((column < m, i) for i, m in enumerate(midnights[1:-1])), else_=days - 1).label("day")
        query = select(day, func.count()).where(column >= midnights[0], column < midnights[-1]).group_by("day")
        return dict(session.execute(query).all())

    made, done = count(Request.created_at), count(Request.delivered_at)
    return [DayCount(d, made.get(i, 0), done.get(i, 0)) for i, d in enumerate(dates[:-1])]


def live_stamp(session: Session) -> str:
    """Return a stamp that changes whenever a request or the outbox changes (what pages poll for)."""
    last_event = session.scalar(select(func.coalesce(func.max(RequestEvent.id), 0)))
    last_message = session.scalar(select(func.coalesce(func.max(Outbox.id), 0)))
    waiting = session.scalar(
        select(func.count(Outbox.id)).where(Outbox.status.in_((OutStatus.QUEUED, OutStatus.SENDING)))
    )
    return f"{last_event}.{last_message}.{waiting}"


# --- lists -----------------------------------------------------------------------------------


@dataclass
class Page:
    """One page of a list, and where it sits among the others."""

    items: list
    total: int
    number: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """Return how many pages the list has (at least one)."""
        return max(1, -(-self.total // self.per_page))


def paginate(session: Session, query: Select, number: int, per_page: int = PER_PAGE) -> Page:
    """Run `query` for page `number` (1-based) and count all its rows."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = min(max(number, 1), max(1, -(-total // per_page)))
    items = list(session.scalars(query.limit(per_page).offset((number - 1) * per_page)).unique())
    return Page(items, total, number, per_page)


def _like(text: str) -> str:
    """Escape a search text for LIKE (with `\\` as the escape character)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True)
class RequestFilter:
    """What the request list is narrowed to; empty fields do not narrow."""

    status: str = ""  # a Status value, `open`, or `overdue`
    category: str = ""
    building: int | None = None
    urgent: bool = False
    channel: str = ""
    q: str = ""
    volunteer: int | None = None


def request_query(f: RequestFilter, policy: Policy, now: datetime, search_phones: bool = True) -> Select:
    """Select requests matching `f`, newest first (`search_phones`: whether a number may be searched for)."""
    query = (
        select(Request)
        .join(Household)
        .outerjoin(Resident, Request.resident_id == Resident.id)
        .options(selectinload(Request.household), selectinload(Request.volunteer), selectinload(Request.resident),
                 undefer(Request.reopened))
        .where(Request.purged_at.is_(None))
        .order_by(Request.id.desc())
    )
    if f.status == "open":
        query = query.where(Request.status.in_(OPEN_STATUSES))
    elif f.status == "overdue":
        query = query.where(Request.status.in_(OPEN_STATUSES), overdue_clause(policy, now))
    elif f.status in {s.value for s in Status}:
        query = query.where(Request.status == Status(f.status))
    if f.category in {c.value for c in Category}:
        query = query.where(Request.category == Category(f.category))
    if f.channel in {c.value for c in Channel}:
        query = query.where(Request.channel == Channel(f.channel))
    if f.building is not None:
        query = query.where(Household.building == f.building)
    if f.urgent:
        query = query.where(Request.urgent.is_(True))
    if f.volunteer is not None:
        query = query.where(Request.volunteer_id == f.volunteer)
    q = f.q.strip()[:100]
    if q:
        pattern = _like(q)
        terms = [
            Request.details.ilike(pattern, escape="\\"),
            Request.drug.ilike(pattern, escape="\\"),
            Request.requester_name.ilike(pattern, escape="\\"),
            Resident.name.ilike(pattern, escape="\\"),
            Household.room == q,
        ]
        if re.fullmatch(r"#?\d{1,9}", q):
            terms.append(Request.id == int(q.lstrip("#")))
        if m := re.fullmatch(r"(\d{1,4})\s*-\s*(\S{1,32})", q):
            terms.append(and_(Household.building == int(m.group(1)), Household.room == m.group(2)))
        if search_phones and len(_digits(q)) >= 4:
            terms.append(Request.requester_phone.like(_like(_digits(q)), escape="\\"))
        query = query.where(or_(*terms))
    return query


def volunteer_query(q: str = "", search_phones: bool = True) -> Select:
    """Select volunteers and coordinators matching a name, phone or building, in the file's order."""
    query = select(Volunteer).options(selectinload(Volunteer.buildings)).order_by(Volunteer.role, Volunteer.rank,
                                                                                  Volunteer.id)
    q = q.strip()[:100]
    if q:
        terms = [Volunteer.name.ilike(_like(q), escape="\\")]
        if (building := whole_number(q, 4)) is not None:
            terms.append(Volunteer.buildings.any(VolunteerBuilding.building == building))
        if search_phones and len(_digits(q)) >= 4:
            terms.append(Volunteer.phone.like(_like(_digits(q)), escape="\\"))
        query = query.where(or_(*terms))
    return query


def resident_query(q: str = "", search_phones: bool = True) -> Select:
    """Select residents matching a name, phone, building or building-room, by building and room."""
    query = (
        select(Resident)
        .outerjoin(Household, Resident.household_id == Household.id)
        .options(selectinload(Resident.household))
        .order_by(Household.building, Household.room, Resident.id)
    )
    q = q.strip()[:100]
    if q:
        terms = [Resident.name.ilike(_like(q), escape="\\"), Household.room == q]
        if (building := whole_number(q, 4)) is not None:
            terms.append(Household.building == building)
        if m := re.fullmatch(r"(\d{1,4})\s*-\s*(\S{1,32})", q):
            terms.append(and_(Household.building == int(m.group(1)), Household.room == m.group(2)))
        if search_phones and len(_digits(q)) >= 4:
            terms.append(Resident.phone.like(_like(_digits(q)), escape="\\"))
        query = query.where(or_(*terms))
    return query


def outbox_query(status: str = "", kind: str = "", lane: str = "", q: str = "", search_phones: bool = True) -> Select:
    """Select outgoing messages and calls, newest first."""
    query = select(Outbox).order_by(Outbox.id.desc())
    if status == "problems":
        query = query.where(Outbox.status.in_((OutStatus.FAILED, OutStatus.SKIPPED)))
    elif status in {s.value for s in OutStatus}:
        query = query.where(Outbox.status == OutStatus(status))
    if kind in ("sms", "call"):
        query = query.where(Outbox.kind == kind)
    if lane in {x.value for x in Lane}:
        query = query.where(Outbox.lane == Lane(lane))
    q = q.strip()[:100]
    if q:
        terms = [Outbox.body.ilike(_like(q), escape="\\")]
        if re.fullmatch(r"#?\d{1,9}", q):
            terms.append(Outbox.request_id == int(q.lstrip("#")))
        if search_phones and len(_digits(q)) >= 4:
            terms.append(Outbox.to.like(_like(_digits(q)), escape="\\"))
        query = query.where(or_(*terms))
    return query


# --- CSV export ------------------------------------------------------------------------------


def volunteers_csv(session: Session) -> str:
    """Export volunteers in the import's columns (plus on_duty), so the file can be imported back."""
    rows = (
        (v.name, v.phone, ";".join(str(b.building) for b in v.buildings), v.languages, v.role.value,
         "yes" if v.on_duty else "no")
        for v in session.scalars(volunteer_query())
    )
    return to_csv(("name", "phone", "buildings", "languages", "role", "on_duty"), rows)


FLAGS = ("elderly", "alone", "mobility", "chronic")


def resident_flags(resident: Resident, include_health: bool) -> list[str]:
    """Return the resident's flags; `chronic` is health data, only when `include_health`."""
    return [f for f in FLAGS if getattr(resident, f) and (include_health or f != "chronic")]


def residents_csv(session: Session) -> str:
    """Export residents in the import's columns, so the file can be imported back."""
    rows = (
        (r.name, r.phone, r.household.building if r.household else "", r.household.room if r.household else "",
         r.language, ";".join(resident_flags(r, include_health=True)))
        for r in session.scalars(resident_query())
    )
    return to_csv(("name", "phone", "building", "room", "language", "flags"), rows)


# --- steering a request ----------------------------------------------------------------------


@dataclass(frozen=True)
class NewRequest:
    """A request a coordinator enters for someone at the gate or on the phone."""

    building: int
    room: str
    category: Category
    details: str = ""
    urgent: bool = False
    phone: str | None = None  # E.164, already checked
    name: str | None = None
    language: str = "zh"
    drug: str | None = None
    runs_out: str | None = None


def create_request(session: Session, policy: Policy, new: NewRequest, actor: Actor) -> Request:
    """Open the request (channel `admin`), route it, and confirm its number to whoever asked, if reachable."""
    home = requests.household(session, new.building, new.room.strip())
    resident = session.scalar(select(Resident).filter_by(phone=new.phone)) if new.phone else None
    on_behalf = bool(resident and resident.household_id is not None and resident.household_id != home.id)
    asker = requests.Asker(
        phone=new.phone,
        language=new.language if new.language in ("zh", "en") else "zh",
        name=new.name or (resident.name if resident else None),
        resident=resident,
        on_behalf=on_behalf,
        prefers_voice=bool(resident and resident.prefers_voice),
    )
    request = requests.open_request(
        session, policy, home=home, category=new.category, channel=Channel.ADMIN, asker=asker,
        details=new.details, urgent=new.urgent, drug=new.drug or None, runs_out=new.runs_out or None, actor=actor,
    )
    requests.tell_requester(session, request, N_("sms.created"),
                            category=requests.category_label(request.language, request.category))
    return request


def candidates(session: Session, request: Request) -> list[Volunteer]:
    """Who a request may be given to: the building's volunteers first, then everyone else, on duty first."""
    everyone = list(session.scalars(volunteer_query()))
    building = request.household.building
    return sorted(
        everyone,
        key=lambda v: (building not in {b.building for b in v.buildings}, v.role != Role.VOLUNTEER, not v.on_duty,
                       v.rank, v.id),
    )


def reassign(session: Session, policy: Policy, request: Request, volunteer: Volunteer | None, actor: Actor,
             reason: str = "") -> Volunteer | None:
    """Take an open request from its volunteer (who is told) and give it to `volunteer`, or to whoever
    routing picks next when `volunteer` is None; return who has it now."""
    if not transitions.allows(request.status, EventKind.HANDED_ON, actor.way):
        raise NotAllowed(f"volunteer.is_{request.status.value}", number=request.number)
    previous = request.volunteer
    if volunteer is not None and previous is not None and volunteer.id == previous.id:
        raise NotAllowed(N_("volunteer.already_yours"), number=request.number)
    if previous is not None:
        lang = previous.first_language
        outbox.queue_sms(session, previous.phone, t(lang, N_("volunteer.declined"), number=request.number), lang,
                         request=request)
    # `handed_on` is what routing skips: the previous volunteer is not picked again.
    return requests.release(session, policy, request, EventKind.HANDED_ON, actor, volunteer=previous,
                            note=reason or "reassigned", to=volunteer)


# The changes the status form makes, each one row of the transition table (reassigning has a form of its own).
STATUS_FORM = (EventKind.ACCEPTED, EventKind.DELIVERED, EventKind.CANCELLED, EventKind.REOPENED, EventKind.RESTORED)


def status_steps(request: Request) -> dict[Status, tuple[EventKind, ...]]:
    """Return each status a coordinator may move this request to, with the changes of the table that
    take it there: one, or accepted then delivered (as a volunteer's DONE without OK)."""
    steps: dict[Status, tuple[EventKind, ...]] = {}
    for event in STATUS_FORM:
        row = transitions.find(request.status, event, Way.COORDINATOR_PAGE)
        if row is not None and not (event == EventKind.ACCEPTED and request.volunteer is None):
            steps.setdefault(row.after, (event,))
    if steps.get(Status.ACCEPTED) == (EventKind.ACCEPTED,) and transitions.allows(
        Status.ACCEPTED, EventKind.DELIVERED, Way.COORDINATOR_PAGE
    ):
        steps.setdefault(Status.DELIVERED, (EventKind.ACCEPTED, EventKind.DELIVERED))
    return dict(sorted(steps.items(), key=lambda item: list(Status).index(item[0])))


def status_choices(request: Request) -> list[Status]:
    """Return the statuses a coordinator may move this request to."""
    return list(status_steps(request))


def change_status(session: Session, policy: Policy, request: Request, target: Status, actor: Actor,
                  reason: str) -> None:
    """Move the request to `target` for a stated reason; each step tells whom it concerns."""
    steps = status_steps(request).get(target)
    if steps is None:
        raise NotAllowed(f"volunteer.is_{request.status.value}", number=request.number)
    transitions.record(request, EventKind.STATUS_CHANGED, actor,
                       note=f"{request.status.value} → {target.value}: {reason}")
    for event in steps:
        if event == EventKind.CANCELLED:
            requests.cancel(session, request, actor, reason)
            requests.tell_requester(session, request, N_("resident.cancelled"))
        elif event == EventKind.REOPENED:
            requests.reopen(session, policy, request, actor)
        elif event == EventKind.ACCEPTED:
            requests.accept(session, policy, request, request.volunteer, actor)
        elif event == EventKind.DELIVERED:
            requests.deliver(session, policy, request, request.volunteer, actor)
        elif event == EventKind.RESTORED:
            requests.restore(session, policy, request, actor, reason)


def add_note(request: Request, actor: Actor, note: str) -> None:
    """Write a coordinator's note on the timeline (nobody is messaged)."""
    transitions.record(request, EventKind.NOTE, actor, note=note.strip())


def set_details(request: Request, actor: Actor, details: str) -> None:
    """Replace the details (e.g. what a voice message says, typed in); the timeline keeps the text."""
    request.details = details.strip()[:4000]
    transitions.record(request, EventKind.DETAILS_EDITED, actor, note=request.details)


def mark_urgent(session: Session, policy: Policy, request: Request, urgent: bool, actor: Actor) -> None:
    """Mark the request urgent (its volunteer is alerted again, its timer shortened) or not urgent."""
    if request.urgent == urgent:
        return
    request.urgent = urgent
    transitions.record(request, EventKind.MARKED_URGENT if urgent else EventKind.MARKED_NOT_URGENT, actor)
    if not urgent or request.status not in OPEN_STATUSES:
        return
    volunteer = request.volunteer
    if request.status == Status.NEW:
        requests.route(session, policy, request, actor=actor)
        return
    if volunteer is None:  # its volunteer's row is gone: to the next one
        requests.release(session, policy, request, EventKind.HANDED_ON, actor, note="no volunteer")
        return
    lang = volunteer.first_language
    if request.status == Status.ASSIGNED:
        text = requests.volunteer_alert(request, lang, policy.voice_link)
        soon = clock.now() + policy.urgent_accept_timeout
        request.escalate_at = min(request.escalate_at, soon) if request.escalate_at else soon
    else:
        text = t(lang, N_("volunteer.reminder"), number=request.number, home=request.household.label)
    outbox.queue_sms(session, volunteer.phone, text, lang, lane=Lane.URGENT, request=request)


# --- volunteers and the outbox ---------------------------------------------------------------


def set_on_duty(session: Session, policy: Policy, volunteer: Volunteer, on_duty: bool, actor: Actor) -> list[Request]:
    """Put a volunteer on or off duty (going off hands their open requests on); they are told by SMS."""
    if volunteer.on_duty == on_duty:
        return []
    volunteer.on_duty = on_duty
    moved = [] if on_duty else requests.hand_on(session, policy, volunteer, reason="off duty", actor=actor)
    lang = volunteer.first_language
    text = t(lang, N_("volunteer.on")) if on_duty else t(lang, N_("volunteer.off"), count=len(moved))
    outbox.queue_sms(session, volunteer.phone, text, lang)
    return moved


def retry_message(session: Session, row: Outbox, actor: Actor) -> bool:
    """Queue a failed message again with fresh attempts; False when it cannot be sent (opted out)."""
    if row.status != OutStatus.FAILED or outbox.is_opted_out(session, row.to):
        return False
    row.status, row.attempts, row.next_attempt_at = OutStatus.QUEUED, 0, clock.now()
    row.lease_owner = row.lease_until = None
    if row.request is not None:
        transitions.record(row.request, EventKind.MESSAGE_RETRIED, actor, note=f"outbox {row.id}")
    return True


def timeline(session: Session, request: Request) -> list[RequestEvent]:
    """Load a request's whole timeline with the volunteers and users who acted, and whom each step concerns."""
    return list(session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(RequestEvent.id)
        .options(selectinload(RequestEvent.actor_volunteer), selectinload(RequestEvent.actor_user),
                 selectinload(RequestEvent.volunteer))
    ))
