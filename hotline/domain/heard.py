"""When the hotline last heard from a resident: an SMS or a call from their number, a request made for
them, or an answer to a check-in call (all is well, or I need something). A delivery is no sign of life:
the volunteer may have left it at the door. Pure: no Flask.

Each sign is read through an index (`inbound` by phone and time, `request` by resident and time,
`check_in` by resident), so a list of 400 residents asks for its signs in the same query that lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import with_expression

from hotline.models import CheckIn, CheckInStatus, Inbound, Request, Resident

ANSWERED = (CheckInStatus.FINE, CheckInStatus.HELP)


def _sign(row, at, *tied) -> Callable[[datetime | None], Select]:
    """One kind of sign of life: rows of `row`'s table tied to the resident (`tied`), made at `at`. Given a
    time, it selects those since then (for `exists`); else the latest time (a scalar subquery)."""

    def select_sign(since: datetime | None = None) -> Select:
        query = select(row if since else func.max(at)).where(*tied)
        return query.where(at >= since) if since else query

    return select_sign


_texted = _sign(Inbound.id, Inbound.received_at, Inbound.phone == Resident.phone)
_asked = _sign(Request.id, Request.created_at, Request.resident_id == Resident.id)
_answered = _sign(CheckIn.id, CheckIn.answered_at, CheckIn.resident_id == Resident.id, CheckIn.status.in_(ANSWERED))


def silent_since(since: datetime) -> ColumnElement[bool]:
    """The residents the hotline has not heard from since `since` (a condition on `Resident`)."""
    return ~exists(_texted(since)) & ~exists(_asked(since)) & ~exists(_answered(since))


def with_last_signs():
    """Load each resident's latest signs of life with them (`Resident.last_heard` reads them)."""
    return (
        with_expression(Resident.last_texted, _texted().correlate(Resident).scalar_subquery()),
        with_expression(Resident.last_asked, _asked().correlate(Resident).scalar_subquery()),
        with_expression(Resident.last_answered, _answered().correlate(Resident).scalar_subquery()),
    )
