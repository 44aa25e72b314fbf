"""What the list pages ask of the data: requests, volunteers, residents and the outbox, filtered,
searched and paged, and the rosters as CSV in the import's columns. Pure: no Flask."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload, undefer

from hotline import clock
from hotline.domain import act_now, heard, roster
from hotline.domain.late import overdue_clause  # the one definition of overdue
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy
from hotline.domain.spreadsheet import to_csv
from hotline.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Household,
    Lane,
    Outbox,
    OutStatus,
    Request,
    Resident,
    Status,
    Volunteer,
    VolunteerBuilding,
)

PER_PAGE = 50


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

    status: str = ""  # a Status value, `open`, `overdue`, or `act` (those the act-now list has)
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
    elif f.status == "act":
        query = query.where(act_now.wanted(policy, now))
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
        if (flat := _flat(q)) is not None:
            terms.append(flat)
        if search_phones and len(_digits(q)) >= 4:
            terms.append(Request.requester_phone.like(_like(_digits(q)), escape="\\"))
        query = query.where(or_(*terms))
    return query


def _flat(q: str):
    """The household a search names as `building-room` (`12-302`), as an SQL condition; None otherwise."""
    if m := re.fullmatch(r"(\d{1,4})\s*-\s*(\S{1,32})", q):
        return and_(Household.building == int(m.group(1)), Household.room == m.group(2))
    return None


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


@dataclass(frozen=True)
class ResidentFilter:
    """What the residents list is narrowed to; empty fields do not narrow."""

    q: str = ""
    flags: tuple[str, ...] = ()  # residents with every one of these flags
    building: int | None = None
    silent_days: int | None = None  # not heard from for this many days (see `heard`)


def resident_query(f: ResidentFilter | None = None, search_phones: bool = True, now: datetime | None = None) -> Select:
    """Select residents matching `f`, by building and room, each with when the hotline last heard from them
    (`search_phones`: whether a number may be searched for; `now`: when "not heard from" counts from)."""
    f = f or ResidentFilter()
    query = (
        select(Resident)
        .outerjoin(Household, Resident.household_id == Household.id)
        .options(selectinload(Resident.household), *heard.with_last_signs())
        .order_by(Household.building, Household.room, Resident.id)
    )
    for flag in f.flags:
        if flag in FLAGS:
            query = query.where(getattr(Resident, flag).is_(True))
    if f.building is not None:
        query = query.where(Household.building == f.building)
    if f.silent_days is not None:
        query = query.where(heard.silent_since((now or clock.now()) - timedelta(days=f.silent_days)))
    q = f.q.strip()[:100]
    if q:
        terms = [Resident.name.ilike(_like(q), escape="\\"), Household.room == q]
        if (building := whole_number(q, 4)) is not None:
            terms.append(Household.building == building)
        if (flat := _flat(q)) is not None:
            terms.append(flat)
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


# --- the rosters as CSV ------------------------------------------------------------------


def volunteers_csv(session: Session, headers: dict[str, str] | None = None) -> str:
    """Export volunteers in the import's columns (plus on_duty), so the file can be imported back; `headers`
    names the columns (in the page's language), the import reads those names too."""
    rows = (
        (v.name, v.phone, ";".join(str(b.building) for b in v.buildings), v.languages, v.role.value,
         "yes" if v.on_duty else "no")
        for v in session.scalars(volunteer_query())
    )
    return to_csv(_named(("name", "phone", "buildings", "languages", "role", "on_duty"), headers), rows)


FLAGS = roster.FLAGS


def resident_flags(resident: Resident, include_health: bool) -> list[str]:
    """Return the resident's flags; `chronic` is health data, only when `include_health`."""
    return [f for f in FLAGS if getattr(resident, f) and (include_health or f != "chronic")]


def residents_csv(session: Session, headers: dict[str, str] | None = None) -> str:
    """Export residents in the import's columns, so the file can be imported back (`headers` as for volunteers)."""
    rows = (
        (r.name, r.phone, r.household.building if r.household else "", r.household.room if r.household else "",
         r.language, ";".join(resident_flags(r, include_health=True)))
        for r in session.scalars(resident_query())
    )
    return to_csv(_named(("name", "phone", "building", "room", "language", "flags"), headers), rows)


def _named(columns: tuple[str, ...], headers: dict[str, str] | None) -> tuple[str, ...]:
    return tuple((headers or {}).get(c, c) for c in columns)


