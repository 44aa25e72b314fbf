"""A request's life: created, routed to a volunteer, accepted, delivered, or cancelled.

Every change is an event on the request's timeline and queues the messages it implies, in the
caller's transaction; a change of status is a row of the transition table (`transitions.py`), applied
with `transitions.change`. Services flush; the webhook, command or worker that called them commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, Select, String, and_, bindparam, false, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from hotline import clock
from hotline.database import write_new
from hotline.domain import outbox, spoken, transitions
from hotline.domain.parsing import Visit
from hotline.domain.policy import Policy
from hotline.domain.transitions import HOTLINE, TIMER, Actor, NotAllowed
from hotline.models import (
    OPEN_STATUSES,
    WITH_A_VOLUNTEER,
    Building,
    Category,
    Channel,
    EventKind,
    Household,
    Lane,
    OptOut,
    Outbox,
    Purpose,
    Request,
    RequestEvent,
    Resident,
    Role,
    Status,
    Via,
    Volunteer,
    VolunteerBuilding,
)
from hotline.texts import N_, t

UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}  # inserts that can yield to a concurrent one
DETAILS_IN_ALERT = 280  # characters of the details quoted in a volunteer's SMS
RECENT = timedelta(days=7)  # a resident asking (STATUS, key 4) hears of requests closed this recently


@dataclass(frozen=True)
class Asker:
    """Who asked: their number, name and language, and whether they ask for another household."""

    phone: str | None
    language: str
    name: str | None = None
    resident: Resident | None = None
    on_behalf: bool = False
    prefers_voice: bool = False


def of_asker(phone: str, resident_id: int | None = None) -> Select:
    """Select the requests this phone asked for, or that were made for its resident (purged ones aside).

    A withheld number (`""`) asked for nothing."""
    mine = Request.requester_phone == phone if phone else false()
    if resident_id:
        mine = or_(mine, Request.resident_id == resident_id)
    return select(Request).where(mine, Request.purged_at.is_(None))


def recent_of_asker(session: Session, phone: str, resident_id: int | None, limit: int) -> list[Request]:
    """Return the asker's open requests and those closed in the last RECENT, at most `limit`, oldest first.
    A repeat folded into an open request is that request, which is shown: not the repeat, "cancelled"."""
    rows = session.scalars(
        of_asker(phone, resident_id)
        .where(or_(Request.status.in_(OPEN_STATUSES), Request.closed_at >= clock.now() - RECENT),
               ~Request.events.any(RequestEvent.kind == EventKind.MERGED))
        .order_by(Request.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def household(session: Session, building: int, room: str) -> Household:
    """Find or add the household at `building`-`room`, in one statement on SQLite and PostgreSQL alike: an
    insert that, where the flat is there already (or a concurrent request adds it meanwhile), returns that
    row (`ON CONFLICT DO UPDATE`, which changes nothing). It inserts nothing where the database lacks the
    building (a building of HOTLINE_BUILDINGS that `init-db` has not added yet): then it is added first."""
    upsert = HOUSEHOLD[session.get_bind().dialect.name]
    found = session.scalar(upsert, {"building": building, "room": room})
    if found is None:
        session.add(Building(number=building))
        found = session.scalar(upsert, {"building": building, "room": room})
    return found


def _household_upsert(insert) -> Select:
    """The upsert, its row read as a Household (`from_statement`: the ORM's bulk-DML path would make the
    statement's cache key again at every call)."""
    building, room = bindparam("building", type_=Integer), bindparam("room", type_=String)
    known = select(Building.number).where(Building.number == building).exists()
    adding = insert(Household).from_select([Household.building, Household.room], select(building, room).where(known))
    upsert = adding.on_conflict_do_update(index_elements=["building", "room"], set_={"room": adding.excluded.room})
    return select(Household).from_statement(upsert.returning(Household))


HOUSEHOLD = {dialect: _household_upsert(insert) for dialect, insert in UPSERT.items()}  # made once per process


def category_label(lang: str, category: Category) -> str:
    """Name a category in `lang`."""
    return t(lang, f"category.{category.value}")


def open_request(
    session: Session,
    policy: Policy,
    *,
    home: Household,
    category: Category,
    channel: Channel,
    asker: Asker,
    details: str = "",
    urgent: bool = False,
    emergency: bool = False,
    drug: str | None = None,
    runs_out: str | None = None,
    recording_sid: str | None = None,
    actor: Actor | None = None,
    route_now: bool = True,
) -> Request:
    """Create a request, put it on its timeline, alert for an emergency and route it (unless it
    waits to be delivered with others: `route_now=False`). Made by whoever asked, unless `actor` says."""
    now = clock.now()
    request = Request(
        category=category,
        urgent=urgent or emergency,
        emergency=emergency,
        household=home,
        resident=asker.resident if not asker.on_behalf else None,
        requester_phone=asker.phone,
        requester_name=asker.name,
        on_behalf=asker.on_behalf,
        details=details.strip()[:4000],
        drug=drug,
        runs_out=runs_out,
        recording_sid=recording_sid,
        language=asker.language,
        channel=channel,
        status=Status.NEW,
        created_at=now,
        updated_at=now,
    )
    if route_now:
        session.flush()  # what this transaction changed before is written: routing reads it
    session.add(request)
    made_by = actor or transitions.resident(channel)
    transitions.record(request, EventKind.CREATED, made_by, via=Via(channel.value), note=request.details)
    if emergency or not route_now:
        write_new(session, request, "events")  # the number is the id
    if emergency:
        alert_coordinators(session, request, N_("coordinator.emergency"), lane=Lane.URGENT)
    if route_now:  # a request not written yet is written once, already routed (`route`)
        route(session, policy, request)
    if category is Category.WELFARE and not emergency:  # a door nobody answers may be an emergency
        alert_coordinators(session, request, N_("coordinator.welfare"), lane=Lane.URGENT)
    return request


def open_loads(session: Session, volunteer_ids: Collection[int] | None = None) -> dict[int, int]:
    """Return how many requests each volunteer has assigned or accepted (of `volunteer_ids`, or all), by id."""
    query = (
        select(Request.volunteer_id, func.count(Request.id))
        .where(Request.status.in_(WITH_A_VOLUNTEER), Request.volunteer_id.is_not(None))
        .group_by(Request.volunteer_id)
    )
    if volunteer_ids is not None:
        query = query.where(Request.volunteer_id.in_(volunteer_ids))
    return {vid: int(n) for vid, n in session.execute(query)}


class Routing:
    """Who is on duty for some buildings, and how many open requests each has.

    Read once (the loads only when there is a choice to make), then kept current as requests are
    assigned: routing many requests at once, as a sweep or OFF does, asks the database once and
    needs no flush in between (the counts read in the batch are those from before it, plus the
    moves made since).
    """

    def __init__(self, session: Session, buildings: set[int], requesters: Iterable[str | None] = ()):
        rows = session.execute(ON_DUTY, {"buildings": list(buildings)}).all()
        self.session = session
        self.coordinators = list({v.id: v for v, _, _ in rows if v.role == Role.COORDINATOR}.values())
        self.volunteers: dict[int, list[Volunteer]] = {}
        for v, building, _ in rows:
            if v.role == Role.VOLUNTEER:
                self.volunteers.setdefault(building, []).append(v)
        self._stopped = {v.id: out for v, _, out in rows}  # said STOP (what they are sent is skipped), by id read
        self._counted: dict[int, int] | None = None  # open requests per volunteer, as the database had them
        self._moves: Counter[int] = Counter()  # what this routing assigned and took away since
        self._alerted: list[tuple[Volunteer, bool]] | None = None
        self._requesters = {p for p in requesters if p}  # who asked, in a batch: their STOP is read at once
        self._requesters_stopped: set[str] | None = None

    def alerted(self) -> list[tuple[Volunteer, bool]]:
        """The coordinators an alert about a request goes to: those on duty, as read with the rest, else all of them
        (`coordinators_to_alert`), read the first time: a sweep that hands hundreds of requests to them asks once."""
        if self._alerted is None:
            on_duty = [(c, bool(self._stopped.get(c.id))) for c in self.coordinators]
            self._alerted = on_duty or coordinators_to_alert(self.session)
        return self._alerted

    def said_stop(self, volunteer: Volunteer) -> bool | None:
        """Whether the volunteer said STOP, as read with the rest; None for one not read (not on duty here)."""
        return self._stopped.get(volunteer.id)

    def requester_said_stop(self, phone: str) -> bool | None:
        """Whether someone who asked for a request of the batch said STOP, read for all of them the first time
        (a sweep tells hundreds of residents that a coordinator has their request); None for a number not given."""
        if phone not in self._requesters:
            return None
        if self._requesters_stopped is None:
            self._requesters_stopped = outbox.opted_out_among(self.session, self._requesters)
        return phone in self._requesters_stopped

    def load(self, volunteer: Volunteer) -> int:
        """Return how many requests the volunteer has assigned or accepted."""
        if self._counted is None:
            ids = {v.id for v in self.coordinators} | {v.id for vs in self.volunteers.values() for v in vs}
            self._counted = open_loads(self.session, ids)
        return self._counted.get(volunteer.id, 0) + self._moves[volunteer.id]

    def released(self, holder: Volunteer | None) -> None:
        """Count a request that leaves the volunteer who held it (if anyone)."""
        if holder is not None:
            self._moves[holder.id] -= 1

    def moved(self, to: Volunteer | None) -> None:
        """Count a request given to `to` (if anyone)."""
        if to is not None:
            self._moves[to.id] += 1


ON_DUTY = (  # who is on duty for `buildings` (and whether they said STOP): made once per process
    select(Volunteer, VolunteerBuilding.building, OptOut.phone.is_not(None))
    .outerjoin(VolunteerBuilding, and_(VolunteerBuilding.volunteer_id == Volunteer.id,
                                       VolunteerBuilding.building.in_(bindparam("buildings", expanding=True))))
    .outerjoin(OptOut, OptOut.phone == Volunteer.phone)
    .where(Volunteer.on_duty.is_(True))
    .where(or_(Volunteer.role == Role.COORDINATOR, VolunteerBuilding.building.is_not(None)))
    .order_by(Volunteer.rank, Volunteer.id)
)


def _passed_over(request: Request) -> set[int]:
    """Volunteers who declined, timed out on, or handed on this request."""
    passed = (EventKind.DECLINED, EventKind.TIMED_OUT, EventKind.HANDED_ON)
    return {e.volunteer.id for e in request.events if e.kind in passed and e.volunteer}


def choose_volunteer(session: Session, request: Request, routing: Routing | None = None) -> Volunteer | None:
    """Pick who gets the request: a building volunteer on duty, else a coordinator on duty.

    Among candidates: one who speaks the resident's language first, then the fewest open
    requests, then the order of the file. A volunteer who asked for themselves (or their
    household) is never sent their own request.
    """
    building = request.household.building
    routing = routing or Routing(session, {building})
    excluded = _passed_over(request)
    for group in (routing.volunteers.get(building, []), routing.coordinators):
        candidates = [v for v in group if v.id not in excluded and v.phone != request.requester_phone]
        if len(candidates) > 1:
            return min(candidates, key=lambda v: (not v.speaks(request.language), routing.load(v), v.rank, v.id))
        if candidates:
            return candidates[0]
    return None


def release(
    session: Session,
    policy: Policy,
    request: Request,
    event: EventKind,
    actor: Actor,
    *,
    volunteer: Volunteer | None = None,
    note: str = "",
    refused: str | None = None,
    to: Volunteer | None = None,
    routing: Routing | None = None,
) -> Volunteer | None:
    """Take the request from its volunteer (`event`: declined, timed out, handed on) and route it on,
    to `to` or whoever routing picks next; return who has it now."""
    # not volunteer_id: that is only set when the session flushes
    holder = request.volunteer if request.status in WITH_A_VOLUNTEER else None
    transitions.change(request, event, actor, volunteer=volunteer, note=note, refused=refused)
    if routing is not None:
        routing.released(holder)
    by = actor if actor.way == transitions.Way.COORDINATOR_PAGE else HOTLINE  # a coordinator's choice, or routing's
    return route(session, policy, request, by, to, routing)


def route(
    session: Session,
    policy: Policy,
    request: Request,
    actor: Actor = HOTLINE,
    to: Volunteer | None = None,
    routing: Routing | None = None,
) -> Volunteer | None:
    """Assign the waiting (`new`) request to `to` (a coordinator's choice), else to the next volunteer
    routing picks, and send them the alert; None if nobody is left.

    When it leaves the building's volunteers for the coordinators (or for nobody), the coordinators
    read why (no volunteer answered in time, none could take it, none is on duty) and whoever asked is
    told that a coordinator has it now. A coordinator's choice on the admin page is recorded as made there.
    """
    before, new = request.volunteer, request.id is None  # a new request is written once it is routed
    with session.no_autoflush if new else nullcontext():  # the counts read are of the requests before it
        if to is None:
            routing = routing or Routing(session, {request.household.building})
        volunteer = to or choose_volunteer(session, request, routing)
    if routing is not None:
        routing.moved(volunteer)
    now = clock.now()
    to_coordinators = volunteer is None or volunteer.role == Role.COORDINATOR
    why = _why_not_a_volunteer(request) if to_coordinators and to is None else ""
    if why and before is not None and before.role == Role.VOLUNTEER:
        tell_requester(session, request, N_("resident.with_coordinator"), routing=routing)
    if volunteer is None:
        transitions.change(request, EventKind.UNASSIGNED, actor, via=Via.SYSTEM, note=why or "nobody on duty")
        request.volunteer, request.escalate_at = None, None
        if new:
            write_new(session, request, "events")  # the number is the id
        alert_coordinators(session, request, UNROUTED[why or "nobody on duty"], lane=Lane.URGENT, routing=routing)
        return None
    via = Via.ADMIN if actor.way == transitions.Way.COORDINATOR_PAGE else Via.SMS  # a choice on the web page
    transitions.change(request, EventKind.ASSIGNED, actor, via=via, volunteer=volunteer)
    request.volunteer = volunteer
    request.assigned_at, request.accepted_at = now, None
    timeout = policy.accept_timeout_for(request.urgent)
    held_until = None if request.urgent else policy.quiet_until(now)  # alerts that can wait, wait
    request.escalate_at = (held_until or now) + timeout
    if new:
        write_new(session, request, "events")  # the number is the id
    lang = volunteer.first_language
    alert = volunteer_alert(request, lang, policy.voice_link)
    if why:  # a coordinator routing picked reads why it is theirs
        alert = f"{t(lang, WHY_COORDINATOR[why])}\n{alert}"
    outbox.queue_sms(
        session,
        volunteer.phone,
        alert,
        lang,
        lane=Lane.URGENT if request.urgent else Lane.NORMAL,
        request=request,
        not_before=held_until,
        opted_out=routing.said_stop(volunteer) if routing is not None else None,
    )
    return volunteer


# Why a request is with the coordinators, or with nobody: what happened at the building's volunteers.
UNROUTED = {
    "no answer in time": N_("coordinator.unanswered"),
    "could not take it": N_("coordinator.declined_by_all"),
    "nobody on duty": N_("coordinator.nobody"),
}
WHY_COORDINATOR = {
    "no answer in time": N_("coordinator.why_unanswered"),
    "could not take it": N_("coordinator.why_declined"),
    "nobody on duty": N_("coordinator.why_nobody"),
}


def _why_not_a_volunteer(request: Request) -> str:
    """Say why no building volunteer has the request: one did not answer in time, one could not
    take it, or none is on duty (the note of an `unassigned` event, and the key of what is said)."""
    kinds = {e.kind for e in request.events if e.volunteer and e.volunteer.role == Role.VOLUNTEER}
    if EventKind.TIMED_OUT in kinds:
        return "no answer in time"
    if EventKind.DECLINED in kinds:
        return "could not take it"
    return "nobody on duty"


def volunteer_alert(request: Request, lang: str, voice_link: Callable[[int], str] | None = None) -> str:
    """Write the SMS that offers a request to a volunteer: what, where, who, and how to answer."""
    details = request.details
    if request.drug and request.drug not in details:
        details = f"{request.drug} {details}".strip()
    if len(details) > DETAILS_IN_ALERT:
        details = details[: DETAILS_IN_ALERT - 1] + "…"
    if request.recording_sid and voice_link is not None:  # the voice message, through the hotline
        link = t(lang, N_("voice.alert_link"), url=voice_link(request.number))
        details = f"{details} {link} ".lstrip()  # a space ends the link before the sentence's full stop
    name = spoken.person(request.resident.name if request.resident else request.requester_name or "", lang)
    return t(
        lang,
        N_("volunteer.urgent_alert") if request.urgent else N_("volunteer.alert"),
        number=request.number,
        category=category_label(lang, request.category),
        home=request.household.label,
        name=name or "-",
        details=details or t(lang, "volunteer.no_details"),
    )


def tell_coordinators(session: Session, msgid: str, lane: Lane = Lane.NORMAL, purpose: Purpose | None = None,
                      about_phone: str | None = None, **params) -> list[Outbox]:
    """Send every coordinator an SMS that is about no request in particular (`about_phone`: about that
    number), each in their language (a parameter given as a function of the language is rendered in each)."""
    return [
        outbox.queue_sms(session, c.phone, t(c.first_language, msgid, **_in(c.first_language, params)),
                         c.first_language, lane=lane, purpose=purpose, about_phone=about_phone)
        for c in session.scalars(select(Volunteer).where(Volunteer.role == Role.COORDINATOR))
    ]


def _in(lang: str, params: dict) -> dict:
    return {name: value(lang) if callable(value) else value for name, value in params.items()}


def alert_coordinators(session: Session, request: Request, msgid: str, lane: Lane = Lane.URGENT,
                       routing: Routing | None = None, **params) -> int:
    """Send every coordinator (on duty, else all of them) an SMS about the request (who they are read once per
    `routing`, where one is given)."""
    coordinators = routing.alerted() if routing is not None else coordinators_to_alert(session)
    for c, said_stop in coordinators:
        lang = c.first_language
        text = t(
            lang,
            msgid,
            number=request.number,
            home=request.household.label,
            category=category_label(lang, request.category),
            phone=request.requester_phone or "-",
            volunteer=request.volunteer.name if request.volunteer else "-",
            details=(request.details[:200] or "-"),
            **params,
        )
        outbox.queue_sms(session, c.phone, text, lang, lane=lane, request=request, opted_out=said_stop)
    return len(coordinators)


def coordinators_to_alert(session: Session) -> list[tuple[Volunteer, bool]]:
    """The coordinators on duty, else all of them, each with whether they said STOP: one statement."""
    everyone = [(c, bool(said_stop)) for c, said_stop in session.execute(COORDINATORS)]
    return [(c, said_stop) for c, said_stop in everyone if c.on_duty] or everyone


COORDINATORS = (  # every coordinator, and whether they said STOP: made once per process
    select(Volunteer, OptOut.phone.is_not(None))
    .outerjoin(OptOut, OptOut.phone == Volunteer.phone)
    .where(Volunteer.role == Role.COORDINATOR)
    .order_by(Volunteer.id)
)


def tell_requester(session: Session, request: Request, msgid: str, purpose: Purpose | None = None,
                   routing: Routing | None = None, **params) -> None:
    """Tell whoever asked (by SMS, or by a call for landlines and those who prefer voice; their STOP as `routing`
    read it, where one is given)."""
    if not request.requester_phone:
        return
    lang = request.language
    text = t(lang, msgid, number=request.number, home=request.household.label, **params)
    prefers_voice = bool(request.resident and request.resident.prefers_voice and not request.on_behalf)
    said_stop = routing.requester_said_stop(request.requester_phone) if routing is not None else None
    outbox.queue_sms(session, request.requester_phone, text, lang, request=request, prefer_voice=prefers_voice,
                     purpose=purpose, opted_out=said_stop)


def accept(
    session: Session, policy: Policy, request: Request, volunteer: Volunteer, actor: Actor | None = None,
    coming: Visit | None = None,
) -> None:
    """The volunteer takes the request (by their SMS, or a coordinator's action); the resident is told,
    with the time the volunteer said they will come, if they said one."""
    actor = actor or transitions.by_sms(volunteer)
    if request.status == Status.ACCEPTED and request.volunteer_id == volunteer.id:
        raise NotAllowed(N_("volunteer.already_yours"), number=request.number)
    if not transitions.allows(request.status, EventKind.ACCEPTED, actor.way):
        raise NotAllowed(f"volunteer.is_{request.status.value}", number=request.number)
    _check_may_act(request, volunteer)
    if coming:  # "20分钟后到": the time of day it comes to, in the compound's time
        coming = coming.at(clock.now().astimezone(policy.timezone))
    when = said_time(request.language, coming) if coming else ""
    transitions.change(request, EventKind.ACCEPTED, actor, volunteer=volunteer, note=when)
    now = clock.now()
    request.volunteer = volunteer
    request.accepted_at = now
    request.escalate_at = now + policy.delivery_timeout
    named = spoken.person(volunteer.name, request.language)  # as whoever asked says it
    if coming:
        tell_requester(session, request, N_("resident.accepted_at"), volunteer=named, time=when)
    else:
        tell_requester(session, request, N_("resident.accepted"), volunteer=named)


PART_OF_DAY = {"am": N_("time.am"), "pm": N_("time.pm"), "evening": N_("time.evening")}


def said_time(lang: str, visit: Visit) -> str:
    """Say when a volunteer will come, in `lang`: `下午3点半`, `明天上午10点`; `at 3:30pm`, `tomorrow at 10am`."""
    part = "evening" if visit.part == "pm" and 6 <= visit.hour < 12 else visit.part
    if visit.minute == 0:
        minute = ""
    elif visit.minute == 30:
        minute = t(lang, N_("time.half"))
    else:
        minute = t(lang, N_("time.minute"), minute=f"{visit.minute:02d}")
    return t(lang, N_("time.clock"), day=t(lang, N_("time.tomorrow")) if visit.tomorrow else "",
             part=t(lang, PART_OF_DAY[part]) if part else "", hour=visit.hour, minute=minute)


def deliver(
    session: Session, policy: Policy, request: Request, volunteer: Volunteer, actor: Actor | None = None
) -> None:
    """The volunteer says it was delivered; the resident is told and invited to say if not."""
    actor = actor or transitions.by_sms(volunteer)
    if request.status == Status.ASSIGNED:  # a volunteer who skipped OK: taking it comes first
        accept(session, policy, request, volunteer, actor)
    if not transitions.allows(request.status, EventKind.DELIVERED, actor.way):
        raise NotAllowed(f"volunteer.is_{request.status.value}", number=request.number)
    _check_may_act(request, volunteer)
    transitions.change(request, EventKind.DELIVERED, actor, volunteer=volunteer)
    now = clock.now()
    request.delivered_at = request.closed_at = now
    request.escalate_at = None
    tell_requester(session, request, N_("resident.delivered"), purpose=Purpose.RECEIPT)


def note_from_volunteer(request: Request, volunteer: Volunteer, words: str) -> None:
    """A volunteer's words about one of their jobs that ask for no change ("20 老人说还要一瓶酱油"): on its
    timeline, where the coordinators read them."""
    transitions.record(request, EventKind.NOTE, transitions.by_sms(volunteer), note=words)


def check_on(session: Session, policy: Policy, request: Request, volunteer: Volunteer, words: str) -> Request:
    """Nobody opened the door of the request's flat, and the volunteer left it there: raise a welfare check
    for the flat (urgent, to another volunteer of the building or a coordinator, the coordinators told at
    once, as every welfare check), asked by that volunteer; or, while one is open, their words go on it."""
    home, actor = request.household, transitions.by_sms(volunteer)
    check = open_request_of(session, home.building, home.room, Category.WELFARE)
    if check is not None:
        transitions.record(check, EventKind.NOTE, actor, note=f"#{request.number}: {words}")
        return check
    resident = request.resident if request.resident and request.resident.household_id == home.id else None
    return open_request(
        session, policy, home=home, category=Category.WELFARE, channel=Channel.SMS,
        asker=Asker(phone=volunteer.phone, language=volunteer.first_language, resident=resident),
        details=f"#{request.number}: {words}", urgent=True, actor=actor,
    )


def decline(session: Session, policy: Policy, request: Request, volunteer: Volunteer) -> None:
    """The volunteer cannot take it (by SMS): it goes to the next one."""
    if request.volunteer_id != volunteer.id:
        raise NotAllowed(N_("volunteer.not_yours"), number=request.number)
    release(session, policy, request, EventKind.DECLINED, transitions.by_sms(volunteer), volunteer=volunteer,
            refused=N_("volunteer.not_yours"))


def set_duty(
    session: Session, policy: Policy, volunteer: Volunteer, on_duty: bool, reason: str = "off duty",
    actor: Actor | None = None,
) -> list[Request]:
    """Put a volunteer on or off duty, the one way every channel does it (their ON/OFF, STOP, the admin
    page); going off hands their open requests on (returned), even when they were off already."""
    volunteer.on_duty = on_duty
    return [] if on_duty else hand_on(session, policy, volunteer, reason, actor)


def hand_on(
    session: Session, policy: Policy, volunteer: Volunteer, reason: str, actor: Actor | None = None
) -> list[Request]:
    """Pass a volunteer's open requests to others (they went off duty or opted out, by SMS or as a
    coordinator set them on the admin page)."""
    moved = list(
        session.scalars(
            select(Request)
            .where(Request.volunteer_id == volunteer.id, Request.status.in_(WITH_A_VOLUNTEER))
            .order_by(Request.id)
        )
    )
    routing = Routing(session, {r.household.building for r in moved}, {r.requester_phone for r in moved})
    by = actor or transitions.by_sms(volunteer)
    with session.no_autoflush:  # routing counts the moves itself
        for request in moved:
            release(session, policy, request, EventKind.HANDED_ON, by, volunteer=volunteer, note=reason,
                    routing=routing)
    return moved


def cancel(session: Session, request: Request, actor: Actor, reason: str = "") -> None:
    """Withdraw an open request; its volunteer is told."""
    volunteer = request.volunteer
    transitions.change(request, EventKind.CANCELLED, actor, note=reason, refused=f"resident.is_{request.status.value}")
    request.closed_at = clock.now()
    request.escalate_at = None
    if volunteer:
        lang = volunteer.first_language
        outbox.queue_sms(session, volunteer.phone, t(lang, "volunteer.cancelled", number=request.number), lang,
                         request=request)


def restore(session: Session, policy: Policy, request: Request, actor: Actor, reason: str) -> Volunteer | None:
    """A coordinator opens a cancelled request again: it is routed as a new one (not "reopened": that
    says nothing arrived)."""
    transitions.change(request, EventKind.RESTORED, actor, note=reason)
    request.closed_at = None
    return route(session, policy, request, actor=actor)


def reopen(session: Session, policy: Policy, request: Request, actor: Actor) -> None:
    """Nothing arrived: the delivered request goes back to its volunteer, and coordinators see it."""
    transitions.change(request, EventKind.REOPENED, actor, note="not received", refused=N_("resident.not_delivered"))
    now = clock.now()
    request.delivered_at = request.closed_at = None
    request.escalate_at = now + policy.delivery_timeout
    if request.volunteer:
        lang = request.volunteer.first_language
        outbox.queue_sms(session, request.volunteer.phone,
                         t(lang, "volunteer.reopened", number=request.number, home=request.household.label), lang,
                         lane=Lane.URGENT, request=request)
    alert_coordinators(session, request, N_("coordinator.reopened"))


def fold(session: Session, repeat: Request, into: Request, actor: Actor) -> bool:
    """Fold a request into the open one of its flat that it repeats: its words join the other's details,
    both timelines say so, and it is cancelled (its volunteer, if any, told). Return whether it added words
    (none when they were there already, or it had none)."""
    words = repeat.details.strip()
    added = bool(words) and words not in into.details
    if added:
        into.details = f"{into.details}\n{words}".strip()[:4000]
    transitions.record(into, EventKind.MERGED_IN, actor, note=f"#{repeat.number} {words}".strip())
    transitions.record(repeat, EventKind.MERGED, actor, note=f"#{into.number}")
    cancel(session, repeat, actor, f"#{into.number}")
    return added


def open_request_of(session: Session, building: int, room: str, category: Category) -> Request | None:
    """Return the flat's oldest open request for `category` (a group buy's join aside, which waits to be
    delivered with the others): a new one for the same likely repeats it. The flat is joined, not read
    first: making the request reads it once."""
    return session.scalar(OPEN_REQUEST_OF, {"building": building, "room": room, "category": category})


OPEN_REQUEST_OF = (  # made once per process
    select(Request).join(Household)
    .where(Household.building == bindparam("building"), Household.room == bindparam("room"),
           Request.category == bindparam("category"), Request.status.in_(OPEN_STATUSES), Request.offer_id.is_(None),
           Request.purged_at.is_(None))
    .order_by(Request.id).limit(1)
)


def take_as_repeat(session: Session, repeat: Request, into: Request) -> None:
    """A request just made repeats the open one of its flat and kind: the hotline folds it in at once, so
    no second volunteer is sent; the open one's volunteer reads the words added (none when the same words were
    sent again), and the coordinators are told it likely repeats (a coordinator who finds it does not restores it
    on the admin page)."""
    added = fold(session, repeat, into, HOTLINE)
    words = repeat.details.strip()[:DETAILS_IN_ALERT] or "-"
    holder = into.volunteer if into.status in WITH_A_VOLUNTEER and added else None
    if holder is not None and holder.role == Role.VOLUNTEER:
        lang = holder.first_language
        outbox.queue_sms(session, holder.phone, t(lang, N_("volunteer.added"), number=into.number,
                                                  home=into.household.label, words=words), lang, request=into)
    alert_coordinators(session, into, N_("coordinator.repeat"), lane=Lane.NORMAL, repeat=repeat.number,
                       words=words[:120])


NUDGES_BEFORE_COORDINATOR = 2  # the second "still nothing?" about one request goes to the coordinators


def nudge(session: Session, request: Request, words: str, urgent: bool, actor: Actor) -> bool:
    """Someone asks after their open request ("还没送到", "any update?"): it goes on its timeline and its
    volunteer is reminded; the second time, or when the words say it is urgent ("家里一点吃的都没有了"),
    the request becomes urgent and the coordinators are told. Return whether the coordinators were."""
    transitions.record(request, EventKind.NUDGED, actor, note=words[:300])
    asked = sum(1 for event in request.events if event.kind == EventKind.NUDGED)
    if request.volunteer and request.volunteer.role != Role.COORDINATOR:
        lang = request.volunteer.first_language
        outbox.queue_sms(session, request.volunteer.phone,
                         t(lang, "volunteer.nudged", number=request.number, home=request.household.label),
                         lang, lane=Lane.URGENT, request=request)
    if asked < NUDGES_BEFORE_COORDINATOR and not urgent:
        return False
    request.urgent = True
    alert_coordinators(session, request, N_("coordinator.nudged"), count=asked, words=words[:120])
    return True


def run_timers(session: Session, policy: Policy, now: datetime | None = None) -> int:
    """Move on every request whose timer is due; return how many moved. Safe to run twice."""
    now = now or clock.now()
    due = list(
        session.scalars(
            select(Request)
            .where(Request.escalate_at <= now, Request.status.in_(OPEN_STATUSES))
            .order_by(Request.escalate_at)
            .limit(500)
            .with_for_update(skip_locked=True)  # two workers never move the same request
            .options(  # what moving a request reads, loaded for the whole batch at once
                selectinload(Request.events).selectinload(RequestEvent.volunteer),
                selectinload(Request.household),
                selectinload(Request.resident),
                selectinload(Request.volunteer).selectinload(Volunteer.buildings),
            )
        )
    )
    if not due:
        return 0
    routing = Routing(session, {r.household.building for r in due if r.status == Status.ASSIGNED},
                      {r.requester_phone for r in due})
    with session.no_autoflush:  # routing counts the moves itself; one flush at the end writes them all
        for request in due:
            if request.status == Status.ASSIGNED:
                release(session, policy, request, EventKind.TIMED_OUT, TIMER, volunteer=request.volunteer,
                        routing=routing)
            elif request.status == Status.ACCEPTED:
                _remind_or_escalate(session, policy, request, now, routing)
            else:
                request.escalate_at = None
    session.flush()
    return len(due)


def _remind_or_escalate(session: Session, policy: Policy, request: Request, now: datetime,
                        routing: Routing) -> None:
    reminded = any(e.kind == EventKind.REMINDED for e in request.events if e.at >= (request.accepted_at or now))
    if not reminded and request.volunteer:
        transitions.record(request, EventKind.REMINDED, TIMER, via=Via.SMS, volunteer=request.volunteer)
        lang = request.volunteer.first_language
        outbox.queue_sms(session, request.volunteer.phone,
                         t(lang, "volunteer.reminder", number=request.number, home=request.household.label), lang,
                         request=request, opted_out=routing.said_stop(request.volunteer))
        request.escalate_at = now + policy.delivery_timeout / 2
    else:
        transitions.record(request, EventKind.ESCALATED, TIMER, via=Via.SMS, volunteer=request.volunteer)
        alert_coordinators(session, request, N_("coordinator.overdue"), routing=routing)
        tell_requester(session, request, N_("resident.overdue_with_coordinator"), routing=routing)
        request.escalate_at = None


def may_act(request: Request, volunteer: Volunteer) -> bool:
    """Tell whether the volunteer may change this request (theirs, their building's, or a coordinator)."""
    if volunteer.role == Role.COORDINATOR or request.volunteer_id == volunteer.id:
        return True
    return request.household.building in {b.building for b in volunteer.buildings}


def _check_may_act(request: Request, volunteer: Volunteer) -> None:
    if not may_act(request, volunteer):
        raise NotAllowed(N_("volunteer.not_yours"), number=request.number)
