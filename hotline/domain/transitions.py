"""Who may change a request's status, and how: one table, and the one function that applies it.

Every status change of a request is a row of TABLE: a volunteer's OK, DONE, NO or OFF by SMS,
CANCEL or NOT RECEIVED from whoever asked (by SMS, or 1 on the hotline's call), an action on the
admin page, a timer running out in the worker's sweep, and the hotline routing a request on.
`change` applies a row and writes its event on the timeline; a change that is not in the table is
refused with `NotAllowed`, never applied. Steps that change no status (a note, a reminder, a voice
message arriving) are written with `record`, which refuses the events of the table.

The services in `requests.py` add what a change implies (its timer, whom to tell); the table only
says which changes exist. To add one, add its row here, call `change` with it from the service,
and tests/web/test_transitions.py walks it from every status, by every way, on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session, object_session

from hotline import clock
from hotline.models import ActorKind, Channel, EventKind, Request, RequestEvent, Role, Status, Via, Volunteer


class NotAllowed(Exception):
    """A change that the request's state or the actor's role does not allow."""

    def __init__(self, msgid: str, **params: object):
        super().__init__(msgid)
        self.msgid, self.params = msgid, params


class Way(StrEnum):
    RESIDENT_SMS = "resident_sms"  # whoever asked, by a word: CANCEL 457, NOT RECEIVED 457
    RESIDENT_CALL = "resident_call"  # whoever asked, on a call: 1 (nothing arrived), 取消 confirmed
    VOLUNTEER_SMS = "volunteer_sms"  # a building volunteer, by a word: OK, DONE, NO, OFF, STOP
    COORDINATOR_SMS = "coordinator_sms"  # a coordinator, by the same words
    COORDINATOR_PAGE = "coordinator_page"  # a coordinator, by an action on the admin page
    TIMER = "timer"  # the worker's sweep: a volunteer's time to answer ran out
    HOTLINE = "hotline"  # the hotline on its own: routing a request on, a voice message arriving, a repeat folded in


WAY_ACTOR = {
    Way.RESIDENT_SMS: ActorKind.RESIDENT,
    Way.RESIDENT_CALL: ActorKind.RESIDENT,
    Way.VOLUNTEER_SMS: ActorKind.VOLUNTEER,
    Way.COORDINATOR_SMS: ActorKind.COORDINATOR,
    Way.COORDINATOR_PAGE: ActorKind.COORDINATOR,
    Way.TIMER: ActorKind.SYSTEM,
    Way.HOTLINE: ActorKind.SYSTEM,
}
WAY_VIA = {  # where an event made this way happened, unless the caller says otherwise
    Way.RESIDENT_SMS: Via.SMS,
    Way.RESIDENT_CALL: Via.VOICE,
    Way.VOLUNTEER_SMS: Via.SMS,
    Way.COORDINATOR_SMS: Via.SMS,
    Way.COORDINATOR_PAGE: Via.ADMIN,
    Way.TIMER: Via.SYSTEM,
    Way.HOTLINE: Via.SYSTEM,
}


@dataclass(frozen=True)
class Actor:
    """Who makes a change and how: a way, and the volunteer or admin-page user behind it."""

    way: Way
    volunteer_id: int | None = None  # who texted the word (VOLUNTEER_SMS, COORDINATOR_SMS)
    user_id: int | None = None  # who acted on the admin page (COORDINATOR_PAGE)

    def __post_init__(self):
        texted, on_the_page = self.way in (Way.VOLUNTEER_SMS, Way.COORDINATOR_SMS), self.way == Way.COORDINATOR_PAGE
        if texted != (self.volunteer_id is not None) or on_the_page != (self.user_id is not None):
            raise ValueError(f"an actor {self.way} names {self.volunteer_id=} {self.user_id=}")

    @property
    def kind(self) -> ActorKind:
        """Return the kind of actor the timeline records."""
        return WAY_ACTOR[self.way]


RESIDENT_BY_SMS = Actor(Way.RESIDENT_SMS)
RESIDENT_ON_A_CALL = Actor(Way.RESIDENT_CALL)
TIMER = Actor(Way.TIMER)
HOTLINE = Actor(Way.HOTLINE)


def resident(channel: Channel) -> Actor:
    """Whoever asked, by SMS or on a call."""
    return RESIDENT_ON_A_CALL if channel is Channel.VOICE else RESIDENT_BY_SMS


def by_sms(volunteer: Volunteer) -> Actor:
    """The volunteer (or coordinator, by their role) answering by SMS."""
    way = Way.COORDINATOR_SMS if volunteer.role == Role.COORDINATOR else Way.VOLUNTEER_SMS
    return Actor(way, volunteer_id=volunteer.id)


def on_page(user_id: int) -> Actor:
    """The coordinator logged in to the admin page as user `user_id`."""
    return Actor(Way.COORDINATOR_PAGE, user_id=user_id)


@dataclass(frozen=True)
class Change:
    """One allowed status change: the event that records it, from which statuses, to which, by whom."""

    event: EventKind
    before: frozenset[Status]
    after: Status
    by: frozenset[Way]


def _change(event: EventKind, before: set[Status], after: Status, by: set[Way]) -> Change:
    return Change(event, frozenset(before), after, frozenset(by))


NEW, ASSIGNED, ACCEPTED, DELIVERED, CANCELLED = Status
SMS_WORD = {Way.VOLUNTEER_SMS, Way.COORDINATOR_SMS}
PAGE = Way.COORDINATOR_PAGE

# Every status change there is. A request leaving its volunteer (declined, timed out, handed on)
# waits as `new` for routing, which gives it to the next volunteer (`assigned`) or to nobody
# (`unassigned`) in the same transaction. DONE without OK is two rows: accepted, then delivered.
TABLE = (
    _change(EventKind.ACCEPTED, {NEW, ASSIGNED}, ACCEPTED, SMS_WORD | {PAGE}),
    _change(EventKind.DELIVERED, {ACCEPTED}, DELIVERED, SMS_WORD | {PAGE}),
    _change(EventKind.DECLINED, {ASSIGNED, ACCEPTED}, NEW, SMS_WORD),
    _change(EventKind.HANDED_ON, {ASSIGNED, ACCEPTED}, NEW, SMS_WORD),  # OFF, or STOP
    _change(EventKind.HANDED_ON, {NEW, ASSIGNED, ACCEPTED}, NEW, {PAGE}),  # reassigned, or set off duty
    _change(EventKind.TIMED_OUT, {ASSIGNED}, NEW, {Way.TIMER}),
    _change(EventKind.ASSIGNED, {NEW}, ASSIGNED, {Way.HOTLINE, PAGE}),
    _change(EventKind.UNASSIGNED, {NEW}, NEW, {Way.HOTLINE, PAGE}),
    _change(EventKind.CANCELLED, {NEW, ASSIGNED, ACCEPTED}, CANCELLED, {Way.RESIDENT_SMS, Way.RESIDENT_CALL, PAGE}),
    _change(EventKind.CANCELLED, {NEW}, CANCELLED, {Way.HOTLINE}),  # a repeat folded in as it is made
    _change(EventKind.REOPENED, {DELIVERED}, ACCEPTED, {Way.RESIDENT_SMS, Way.RESIDENT_CALL, PAGE}),
    _change(EventKind.RESTORED, {CANCELLED}, NEW, {PAGE}),
)
CHANGES = frozenset(row.event for row in TABLE)  # the events only `change` writes


def find(status: Status, event: EventKind, way: Way) -> Change | None:
    """Return the row that lets `way` make `event` from `status`, or None."""
    return next((row for row in TABLE if row.event == event and status in row.before and way in row.by), None)


def allows(status: Status, event: EventKind, way: Way) -> bool:
    """Tell whether the table lets `way` make `event` from `status`."""
    return find(status, event, way) is not None


def change(
    request: Request,
    event: EventKind,
    actor: Actor,
    *,
    via: Via | None = None,
    volunteer: Volunteer | None = None,
    note: str = "",
    refused: str | None = None,
) -> Change:
    """Apply a change of the table to the request and write its event; refuse one the table lacks.

    `refused` is the message id the refusal carries (what the sender is told); by default the one
    that says where the request stands.
    """
    row = find(request.status, event, actor.way)
    if row is None:
        raise NotAllowed(refused or f"volunteer.is_{request.status.value}", number=request.number)
    request.status = row.after
    _append(request, event, actor, via, volunteer, note)
    return row


def record(
    request: Request, event: EventKind, actor: Actor, *, via: Via | None = None, volunteer: Volunteer | None = None,
    note: str = "",
) -> RequestEvent:
    """Write a step that changes no status (made, a note, a reminder) on the request's timeline."""
    if event in CHANGES:
        raise ValueError(f"{event} changes the status: use transitions.change")
    return _append(request, event, actor, via, volunteer, note)


ARRIVED_BY = "arrived_by"  # a key of `session.info`: the carrier of the SMS or call being taken


def arriving_by(session: Session, carrier: str | None) -> None:
    """Say which carrier brought the SMS or call this session takes: the steps its sender makes by it
    name it on the timeline (the hotline's own steps name none: what they send shows its carrier)."""
    session.info[ARRIVED_BY] = carrier


def _append(
    request: Request, event: EventKind, actor: Actor, via: Via | None, volunteer: Volunteer | None, note: str
) -> RequestEvent:
    channel = via or WAY_VIA[actor.way]
    session = object_session(request)
    brought = channel in (Via.SMS, Via.VOICE) and actor.kind != ActorKind.SYSTEM  # the sender's own step
    carrier = session.info.get(ARRIVED_BY) if session is not None and brought else None
    row = RequestEvent(
        kind=event, actor_kind=actor.kind, actor_volunteer_id=actor.volunteer_id, actor_user_id=actor.user_id,
        channel=channel, volunteer=volunteer, note=note[:2000], at=clock.now(), transport=carrier,
    )
    row.request = request  # the timeline is not loaded to add a step to it: the step joins it when it is read
    if session is not None:
        session.add(row)
    return row
