"""When the hotline last heard from a resident: an SMS or a call from their number, a request made for
them, or an answer to a check-in call (all is well, or I need something). A delivery is no sign of life:
the volunteer may have left it at the door. Pure: no Flask.

Each sign is read through an index (`inbound` by phone and time, `request` by resident and time,
`check_in` by resident), so a list of 400 residents asks for its signs in the same query that lists them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import with_expression

from hotline.models import CheckIn, CheckInStatus, Inbound, Request, Resident

ANSWERED = (CheckInStatus.FINE, CheckInStatus.HELP)


def _texted(since: datetime | None = None):
    query = select(Inbound.id if since else func.max(Inbound.received_at)).where(Inbound.phone == Resident.phone)
    return query.where(Inbound.received_at >= since) if since else query


def _asked(since: datetime | None = None):
    query = select(Request.id if since else func.max(Request.created_at)).where(Request.resident_id == Resident.id)
    return query.where(Request.created_at >= since) if since else query


def _answered(since: datetime | None = None):
    query = select(CheckIn.id if since else func.max(CheckIn.answered_at)).where(
        CheckIn.resident_id == Resident.id, CheckIn.status.in_(ANSWERED))
    return query.where(CheckIn.answered_at >= since) if since else query


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
