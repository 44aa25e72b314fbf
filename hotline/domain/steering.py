"""The steering coordinators do on the admin pages: requests entered at the gate, reassigned, moved
to another status, noted; volunteers on and off duty; failed messages sent again.

Pure: no Flask. Every change goes through `hotline.domain.requests` (or mirrors it where that
module has no function for it yet), so it is an event on the timeline and queues the SMS it
implies, in the caller's transaction. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline import clock
from hotline.domain import outbox, requests, transitions
from hotline.domain.lists import volunteer_query
from hotline.domain.policy import Policy
from hotline.domain.requests import NotAllowed
from hotline.domain.transitions import Actor, Way
from hotline.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    EventKind,
    Lane,
    Outbox,
    OutStatus,
    Request,
    RequestEvent,
    Resident,
    Role,
    Status,
    Volunteer,
)
from hotline.texts import N_, t


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


def building_volunteer(volunteers: list[Volunteer], request: Request) -> Volunteer | None:
    """Whom a one-tap reassign gives the request to: a volunteer of its building other than the one who
    has it, on duty first, then in the file's order (`volunteers` as `volunteer_query` reads them)."""
    building = request.household.building
    mates = [v for v in volunteers if v.role == Role.VOLUNTEER and v.id != request.volunteer_id
             and building in {b.building for b in v.buildings}]
    return min(mates, key=lambda v: (not v.on_duty, v.rank, v.id), default=None)


def everyone(session: Session) -> list[Volunteer]:
    """Read every volunteer and coordinator once, in the file's order (for choosing among them)."""
    return list(session.scalars(volunteer_query()))


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
            cancel(session, request, actor, reason)
        elif event == EventKind.REOPENED:
            requests.reopen(session, policy, request, actor)
        elif event == EventKind.ACCEPTED:
            requests.accept(session, policy, request, request.volunteer, actor)
        elif event == EventKind.DELIVERED:
            requests.deliver(session, policy, request, request.volunteer, actor)
        elif event == EventKind.RESTORED:
            requests.restore(session, policy, request, actor, reason)


# --- one tap on the desk ---------------------------------------------------------------------


def deliver(session: Session, policy: Policy, request: Request, actor: Actor) -> None:
    """Say the request was delivered by its volunteer (who told a coordinator, not the hotline)."""
    if request.volunteer is None:
        raise NotAllowed(f"volunteer.is_{request.status.value}", number=request.number)
    requests.deliver(session, policy, request, request.volunteer, actor)


def cancel(session: Session, request: Request, actor: Actor, reason: str = "") -> None:
    """Withdraw the request; its volunteer and whoever asked are told."""
    requests.cancel(session, request, actor, reason)
    requests.tell_requester(session, request, N_("resident.cancelled"))


def escalate(session: Session, policy: Policy, request: Request, actor: Actor) -> None:
    """Make the request urgent (its volunteer is alerted again, its timer shortened) and alert every
    coordinator on duty to follow it."""
    if request.status not in OPEN_STATUSES:
        raise NotAllowed(f"volunteer.is_{request.status.value}", number=request.number)
    mark_urgent(session, policy, request, True, actor)
    transitions.record(request, EventKind.ESCALATED, actor, volunteer=request.volunteer)
    requests.alert_coordinators(session, request, N_("coordinator.escalated"))


def called_no_answer(request: Request, actor: Actor) -> None:
    """Write on the timeline that a coordinator phoned whoever asked and nobody answered."""
    transitions.record(request, EventKind.CALLED_NO_ANSWER, actor)


DUPLICATE_WITHIN = timedelta(days=1)  # a request this soon after another of its flat and kind likely repeats it


def duplicates_of(session: Session, request: Request) -> list[Request]:
    """Return the open requests of the same flat and kind made up to a day before this one: the ones it
    likely repeats, newest first."""
    if request.status not in OPEN_STATUSES:
        return []
    return list(session.scalars(
        select(Request).where(
            Request.household_id == request.household_id, Request.id != request.id,
            Request.category == request.category, Request.status.in_(OPEN_STATUSES), Request.purged_at.is_(None),
            Request.created_at <= request.created_at, Request.created_at >= request.created_at - DUPLICATE_WITHIN,
        ).order_by(Request.created_at.desc(), Request.id.desc())
    ))


def household_requests(session: Session, request: Request) -> list[Request]:
    """Return the flat's other open requests, oldest first."""
    return list(session.scalars(
        select(Request).where(Request.household_id == request.household_id, Request.id != request.id,
                              Request.status.in_(OPEN_STATUSES), Request.purged_at.is_(None))
        .order_by(Request.created_at, Request.id)
    ))


def merge(session: Session, duplicate: Request, into: Request, actor: Actor) -> None:
    """Fold a request into the one it repeats: its words join the other's details, it is cancelled (its
    volunteer told), and whoever asked learns which number goes on."""
    if into.id == duplicate.id or into.household_id != duplicate.household_id \
            or duplicate.status not in OPEN_STATUSES or into.status not in OPEN_STATUSES:
        raise NotAllowed(f"volunteer.is_{duplicate.status.value}", number=duplicate.number)
    requests.fold(session, duplicate, into, actor)
    requests.tell_requester(session, duplicate, N_("resident.merged"), into=into.number)


def add_note(request: Request, actor: Actor, note: str) -> None:
    """Write a coordinator's note on the timeline (nobody is messaged)."""
    transitions.record(request, EventKind.NOTE, actor, note=note.strip())


def set_details(request: Request, actor: Actor, details: str) -> None:
    """Replace the details (e.g. what a voice message says, typed in); the timeline keeps the text."""
    request.details = details.strip()[:4000]
    transitions.record(request, EventKind.DETAILS_EDITED, actor, note=request.details)


def mark_paid(request: Request, paid: bool, actor: Actor) -> None:
    """Note that the household paid for what it asked (the manifest's tick), or take it back."""
    if request.paid == paid:
        return
    request.paid = paid
    transitions.record(request, EventKind.MARKED_PAID if paid else EventKind.MARKED_NOT_PAID, actor)


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
    moved = requests.set_duty(session, policy, volunteer, on_duty, actor=actor)
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
