"""What needs a coordinator now: one list, most urgent first, for the desk's first screen.

In this order: emergencies, welfare checks, urgent requests, overdue ones (not accepted or not
delivered in time, or timed out at the volunteers and waiting on a coordinator: late.py's one
definition), requests nobody has, questions residents asked that no coordinator has answered yet,
and the doors to knock on after a check-in call that reached nobody. A request is listed once,
under the first of these it is; within a kind, the one that has waited longest comes first.
Requests of one flat are kept together, after the most urgent of them. A page shows the most urgent
few (a person acts on a few at a time) and counts the rest. Pure: no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from hotline.domain.dashboard import LIVE
from hotline.domain.late import overdue_clause  # the one definition of overdue
from hotline.domain.policy import Policy
from hotline.models import Category, CheckIn, CheckInStatus, Question, Request, Status

KINDS = ("emergency", "welfare", "urgent", "overdue", "unassigned", "question", "unreached")
ALARMS = ("emergency", "welfare", "urgent")  # a new one of these sounds on an open desk
SHOWN = 50  # rows of the list read and shown at once (a person cannot act on thousands); the rest are counted


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
    """The most urgent items of the list (at most the limit asked for), grouped by flat, and the full counts."""

    groups: list[list[Item]]
    total: int
    alarms: int  # emergencies, welfare checks and urgent requests among them
    questions: int = 0  # unanswered questions among them

    @property
    def shown(self) -> int:
        """Count the items on the list."""
        return sum(len(group) for group in self.groups)

    @property
    def more(self) -> int:
        """Count the items that need a coordinator and are not on the list."""
        return self.total - self.shown


def _unreached():
    return select(CheckIn.request_id).where(CheckIn.status == CheckInStatus.UNREACHED, CheckIn.request_id.is_not(None))


def wanted(policy: Policy, now: datetime) -> ColumnElement[bool]:
    """SQL condition: a request that is on the list (a live one of a kind of KINDS)."""
    return LIVE & or_(
        Request.emergency.is_(True),
        Request.category == Category.WELFARE,
        Request.urgent.is_(True),
        overdue_clause(policy, now),
        Request.id.in_(_unreached()),
    )


def _rank(late: ColumnElement[bool], knock: ColumnElement[bool]):
    """SQL: the place in KINDS of the kind a listed request belongs under (the first that fits)."""
    rank = KINDS.index
    return case(
        (Request.emergency.is_(True), rank("emergency")),
        (Request.category == Category.WELFARE, rank("welfare")),
        (Request.urgent.is_(True), rank("urgent")),
        (and_(late, Request.status != Status.NEW), rank("overdue")),
        (and_(Request.status == Status.NEW, Request.offer_id.is_(None)), rank("unassigned")),
        (knock, rank("unreached")),
        else_=rank("overdue"),
    )


def act_now(session: Session, policy: Policy, now: datetime, limit: int = SHOWN) -> ActNow:
    """Return the `limit` items that most need a coordinator now, and how many there are (see the module's
    docstring). The database ranks the requests, so the first `limit` read are the most urgent of all."""
    listed = wanted(policy, now)
    late, knock = overdue_clause(policy, now), Request.id.in_(_unreached())
    rank = _rank(late, knock).label("rank")
    alarm = or_(Request.emergency.is_(True), Request.category == Category.WELFARE, Request.urgent.is_(True))
    rows = session.execute(  # the counts of all the listed requests ride along with the first few
        select(Request, rank, knock.label("knock"), func.count().over().label("total"),
               func.sum(case((alarm, 1), else_=0)).over().label("alarms"))
        .where(listed)
        .options(selectinload(Request.household), selectinload(Request.volunteer), selectinload(Request.resident))
        .order_by(rank, Request.created_at, Request.id)
        .limit(limit)
    ).all()
    items = [Item(KINDS[place], r.created_at, request=r, unreached=bool(unreached))
             for r, place, unreached, _total, _alarms in rows]
    requests_total, alarms = (int(rows[0].total), int(rows[0].alarms)) if rows else (0, 0)
    open_questions = Question.answered_at.is_(None)
    items += [Item("question", q.asked_at, question=q) for q in session.scalars(
        select(Question).where(open_questions).order_by(Question.asked_at, Question.id).limit(limit))]
    items.sort(key=lambda item: (KINDS.index(item.kind), item.since))
    questions_total = int(session.scalar(select(func.count(Question.id)).where(open_questions)))
    return ActNow(by_household(items[:limit]), requests_total + questions_total, alarms, questions_total)


def by_household(items: list[Item]) -> list[list[Item]]:
    """Group items by flat, each group where its most urgent item stands (the list's order is kept)."""
    groups: dict[tuple, list[Item]] = {}
    for item in items:
        groups.setdefault(item.home, []).append(item)
    return list(groups.values())
