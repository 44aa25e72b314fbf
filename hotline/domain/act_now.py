"""What needs a coordinator now: one list, most urgent first, for the desk's first screen.

In this order: emergencies, welfare checks, urgent requests, overdue ones (not accepted or not
delivered in time, or timed out at the volunteers and waiting on a coordinator: late.py's one
definition), requests nobody has, questions residents asked that no coordinator has answered yet,
and the doors to knock on after a check-in call that reached nobody. A request is listed once,
under the first of these it is; within a kind, the one that has waited longest comes first.
Requests of one flat are kept together, after the most urgent of them. Pure: no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from hotline.domain.dashboard import LIVE
from hotline.domain.late import overdue_clause  # the one definition of overdue
from hotline.domain.policy import Policy
from hotline.models import Category, CheckIn, CheckInStatus, Question, Request, Status

KINDS = ("emergency", "welfare", "urgent", "overdue", "unassigned", "question", "unreached")
ALARMS = ("emergency", "welfare", "urgent")  # a new one of these sounds on an open desk
READ_AT_MOST = 200  # rows read for one list; the rest are counted


@dataclass(frozen=True)
class Item:
    """One thing on the list: a request or a question, why it is there, and since when it waits."""

    kind: str
    since: datetime
    request: Request | None = None
    question: Question | None = None
    unreached: bool = False  # a check-in call reached nobody and someone goes to the door

    @property
    def key(self) -> str:
        """Name the item for the page's alarm (`r41`, `q7`): the same item keeps its key."""
        return f"r{self.request.id}" if self.request is not None else f"q{self.question.id}"

    @property
    def alarm(self) -> bool:
        """Tell whether a new item of this kind calls a coordinator at once."""
        return self.kind in ALARMS

    @property
    def home(self) -> tuple:
        """The flat it concerns, so requests of one household stay together."""
        return ("household", self.request.household_id) if self.request is not None else ("question", self.question.id)


@dataclass(frozen=True)
class ActNow:
    """The list (at most READ_AT_MOST requests and as many questions), grouped by flat, and its full count."""

    groups: list[list[Item]]
    total: int
    alarms: int  # emergencies, welfare checks and urgent requests among them

    @property
    def shown(self) -> int:
        """Count the items on the list."""
        return sum(len(group) for group in self.groups)


def _unreached():
    return select(CheckIn.request_id).where(CheckIn.status == CheckInStatus.UNREACHED, CheckIn.request_id.is_not(None))


def _wanted(policy: Policy, now: datetime):
    return LIVE & or_(
        Request.emergency.is_(True),
        Request.category == Category.WELFARE,
        Request.urgent.is_(True),
        overdue_clause(policy, now),
        Request.id.in_(_unreached()),
    )


def kind_of(request: Request, overdue: bool, unreached: bool) -> str:
    """Say under which kind a listed request belongs (the first that fits, in KINDS' order)."""
    if request.emergency:
        return "emergency"
    if request.category == Category.WELFARE:
        return "welfare"
    if request.urgent:
        return "urgent"
    if overdue and request.status != Status.NEW:
        return "overdue"
    if request.status == Status.NEW and request.offer_id is None:
        return "unassigned"
    return "unreached" if unreached else "overdue"


def act_now(session: Session, policy: Policy, now: datetime, limit: int = READ_AT_MOST) -> ActNow:
    """Return what needs a coordinator now, most urgent first (see the module's docstring)."""
    wanted = _wanted(policy, now)
    late, knock = overdue_clause(policy, now).label("late"), Request.id.in_(_unreached()).label("knock")
    rank = {kind: i for i, kind in enumerate(KINDS)}
    alarm_first = (Request.emergency.desc(), (Request.category == Category.WELFARE).desc(), Request.urgent.desc())
    rows = session.execute(
        select(Request, late, knock)
        .where(wanted)
        .options(selectinload(Request.household), selectinload(Request.volunteer), selectinload(Request.resident))
        .order_by(*alarm_first, Request.created_at, Request.id)
        .limit(limit)
    ).all()
    items = [Item(kind_of(r, bool(overdue), bool(unreached)), r.created_at, request=r, unreached=bool(unreached))
             for r, overdue, unreached in rows]
    open_questions = Question.answered_at.is_(None)
    items += [Item("question", q.asked_at, question=q) for q in session.scalars(
        select(Question).where(open_questions).order_by(Question.asked_at, Question.id).limit(limit))]
    items.sort(key=lambda item: (rank[item.kind], item.since))
    requests_total, alarms = session.execute(
        select(func.count(Request.id),
               func.count(Request.id).filter(or_(Request.emergency.is_(True), Request.category == Category.WELFARE,
                                                  Request.urgent.is_(True))))
        .where(wanted)
    ).one()
    questions_total = session.scalar(select(func.count(Question.id)).where(open_questions))
    return ActNow(by_household(items), int(requests_total) + int(questions_total), int(alarms))


def by_household(items: list[Item]) -> list[list[Item]]:
    """Group items by flat, each group where its most urgent item stands (the list's order is kept)."""
    groups: dict[tuple, list[Item]] = {}
    for item in items:
        groups.setdefault(item.home, []).append(item)
    return list(groups.values())
