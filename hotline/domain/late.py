"""What is late: the one definition of an overdue request, and the coordinators' `LATE` / `超时`.

An open request is overdue when
- nobody has it: it is unassigned (no volunteer and no coordinator was there to take it), a
  group buy's join aside (those wait to be delivered together);
- it was sent and not accepted within the accept timeout (a third of it when urgent);
- it timed out at a volunteer and now waits on a coordinator;
- it was accepted and not delivered within the delivery timeout.

`overdue_clause` is that definition as SQL, for queries that narrow it further (the dashboard's
counts, the request list, the API's `?overdue=1`); `overdue` reads the requests themselves, most
urgent first. Pure: no Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from hotline.domain import requests
from hotline.domain.policy import Policy
from hotline.models import OPEN_STATUSES, EventKind, Request, RequestEvent, Role, Status, Volunteer
from hotline.texts import N_, segments, t

SEGMENTS_PER_SMS = 5  # a longer list is split into several messages, each at most this long
MAX_MESSAGES = 3  # past these, the rest is counted and left to the admin page
READ_AT_MOST = 1000  # requests read for one list (a compound has far fewer open)

STATE = {  # where a late request stands, in a word or two
    Status.NEW: N_("coordinator.late_nobody"),
    Status.ASSIGNED: N_("coordinator.late_not_accepted"),
    Status.ACCEPTED: N_("coordinator.late_not_delivered"),
}


def overdue_clause(policy: Policy, now: datetime) -> ColumnElement[bool]:
    """SQL condition: an open request that is overdue (see the module's docstring)."""
    accept, urgent_accept = now - policy.accept_timeout, now - policy.urgent_accept_timeout
    with_coordinator = Request.volunteer_id.in_(select(Volunteer.id).where(Volunteer.role == Role.COORDINATOR))
    timed_out = exists().where(RequestEvent.request_id == Request.id, RequestEvent.kind == EventKind.TIMED_OUT)
    return and_(
        Request.status.in_(OPEN_STATUSES),
        Request.purged_at.is_(None),
        or_(
            and_(Request.status == Status.NEW, Request.offer_id.is_(None)),
            and_(Request.status == Status.ASSIGNED, Request.urgent.is_(False), Request.assigned_at < accept),
            and_(Request.status == Status.ASSIGNED, Request.urgent.is_(True), Request.assigned_at < urgent_accept),
            and_(Request.status == Status.ASSIGNED, with_coordinator, timed_out),
            and_(Request.status == Status.ACCEPTED, Request.accepted_at < now - policy.delivery_timeout),
        ),
    )


def overdue(session: Session, policy: Policy, now: datetime, *, emergencies: bool = False,
            limit: int = READ_AT_MOST) -> list[Request]:
    """Return the overdue requests (with `emergencies`, every open emergency too), most urgent first:
    emergencies, then urgent ones, then the oldest."""
    wanted = overdue_clause(policy, now)
    if emergencies:
        open_emergency = and_(Request.emergency.is_(True), Request.status.in_(OPEN_STATUSES),
                              Request.purged_at.is_(None))
        wanted = or_(wanted, open_emergency)
    return list(
        session.scalars(
            select(Request)
            .where(wanted)
            .options(selectinload(Request.household), selectinload(Request.volunteer))
            .order_by(Request.emergency.desc(), Request.urgent.desc(), Request.created_at, Request.id)
            .limit(limit)
        )
    )


def for_coordinator(session: Session, policy: Policy, now: datetime, lang: str) -> list[str]:
    """Write the coordinator's answer to LATE: the overdue and emergency requests, one line each
    (`#41 12-302 食物 3小时 已接未送`, `!` before an emergency), in as few SMS as they fit in."""
    rows = overdue(session, policy, now, emergencies=True)
    if not rows:
        return [t(lang, "coordinator.late_none")]
    lines = [_line(request, lang, now) for request in rows]
    return pack(t(lang, "coordinator.late_head", count=len(rows)), lines,
                lambda left: t(lang, "coordinator.late_more", count=left))


def _line(request: Request, lang: str, now: datetime) -> str:
    state = STATE[request.status]
    if request.status == Status.ASSIGNED and request.volunteer and request.volunteer.role == Role.COORDINATOR:
        state = N_("coordinator.late_with_coordinator")
    return t(lang, "coordinator.late_line", mark="!" if request.emergency else "", number=request.number,
             home=request.household.label, category=requests.category_label(lang, request.category),
             age=age(lang, now - request.created_at), state=t(lang, state))


def age(lang: str, waited: timedelta) -> str:
    """Say how long something has waited, in the unit that reads best: `40分钟`, `3 h`, `2天`."""
    minutes = max(int(waited.total_seconds() // 60), 0)
    if minutes < 60:
        return t(lang, "coordinator.age_minutes", n=minutes)
    if minutes < 48 * 60:
        return t(lang, "coordinator.age_hours", n=minutes // 60)
    return t(lang, "coordinator.age_days", n=minutes // (24 * 60))


def pack(head: str, lines: list[str], more: Callable[[int], str], per_sms: int = SEGMENTS_PER_SMS,
         max_messages: int = MAX_MESSAGES) -> list[str]:
    """Put `head` and `lines` into as few messages of at most `per_sms` segments as they fit in, at
    most `max_messages`; what does not fit is counted on a last line (`more(count)`)."""
    messages: list[str] = []
    current, shown = head, 0
    for line in lines:
        joined = f"{current}\n{line}"
        if segments(joined) <= per_sms:
            current, shown = joined, shown + 1
        elif len(messages) + 1 < max_messages:
            messages.append(current)
            current, shown = line, shown + 1
        else:
            break
    left = len(lines) - shown
    if left:
        while segments(f"{current}\n{more(left)}") > per_sms and "\n" in current:
            current, left = current.rsplit("\n", 1)[0], left + 1
        current = f"{current}\n{more(left)}"
    messages.append(current)
    return messages
