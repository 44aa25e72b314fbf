"""The JSON API for automation: `Authorization: Bearer <token>`.

Answers carry personal data: they get the security headers of every page (`headers.secure`: no
cache keeps them, `Cache-Control: no-store`, and no browser reads them as anything but JSON,
`X-Content-Type-Options: nosniff`). A list holds `DEFAULT_LIMIT` requests unless `limit` asks for up
to `MAX_LIMIT`; a full page says where the next one starts (`"next_after"`, and a `Link` header with
`rel="next"`), so a client that reads on until `next_after` is null misses nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from hotline import clock
from hotline.domain import late, outbox
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.headers import secure
from hotline.models import ApiToken, Category, Household, Request, Status

bp = Blueprint("api", __name__, url_prefix="/api/v1")
DEFAULT_LIMIT = 100  # requests in a list when `limit` is not given
MAX_LIMIT = 1000  # the most one answer holds
LAST_USED_STEP = timedelta(minutes=1)  # a token's last use is written at most this often
FLAGS = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}


def hash_token(token: str) -> str:
    """Return the SHA-256 a token is kept as."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_token(session: Session, name: str) -> str:
    """Make a new token; only its hash is stored, so this is the one time it is shown."""
    token = "hl_" + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name[:80], token_hash=hash_token(token)))
    return token


def revoke_tokens(session: Session, name: str) -> int:
    """Forget every token of that name, so calls with them are refused; return how many there were."""
    return session.execute(delete(ApiToken).where(ApiToken.name == name[:80])).rowcount or 0


@bp.before_request
def authenticate():
    """Refuse any call without a known bearer token."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401)
    row = db.session.scalar(select(ApiToken).filter_by(token_hash=hash_token(token.strip())))
    if row is None:
        abort(401)
    _record_use(row)


def _record_use(token: ApiToken) -> None:
    """Note when the token was last used, to the minute: one write a minute at most, not one a call."""
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_STEP:
        token.last_used_at = now
        db.session.commit()


bp.after_request(secure)  # no cache keeps an answer; nothing reads it as anything but JSON


@bp.errorhandler(400)
@bp.errorhandler(401)
@bp.errorhandler(404)
def error(e):
    """Answer errors as JSON."""
    return jsonify({"error": e.name.lower().replace(" ", "_"), "message": e.description}), e.code


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def request_json(r: Request, events: bool = False) -> dict:
    """Serialise a request as the API contract says."""
    data = {
        "number": r.number,
        "status": r.status.value,
        "category": r.category.value,
        "urgent": r.urgent,
        "emergency": r.emergency,
        "building": r.household.building,
        "room": r.household.room,
        "language": r.language,
        "channel": r.channel.value,
        "details": r.details,
        "drug": r.drug,
        "runs_out": r.runs_out,
        "has_voice_message": bool(r.recording_sid),
        "requester_phone": r.requester_phone,
        "on_behalf": r.on_behalf,
        "volunteer": {"name": r.volunteer.name, "phone": r.volunteer.phone} if r.volunteer else None,
        "created_at": _iso(r.created_at),
        "assigned_at": _iso(r.assigned_at),
        "accepted_at": _iso(r.accepted_at),
        "delivered_at": _iso(r.delivered_at),
        "closed_at": _iso(r.closed_at),
    }
    if events:
        data["events"] = [
            {"at": _iso(e.at), "kind": e.kind.value, "actor": e.actor_label, "channel": e.channel.value,
             "note": e.note}
            for e in r.events
        ]
    return data


def _enum_arg(name: str, enum):
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        abort(400, f"{name} must be one of {', '.join(m.value for m in enum)}")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    number = whole_number(value)
    if number is None:
        abort(400, f"{name} must be a whole number")
    return number


def _flag_arg(name: str) -> bool:
    value = request.args.get(name, "").strip().lower()
    if value not in FLAGS:
        abort(400, f"{name} must be 1 or 0")
    return FLAGS[value]


def _limit_arg() -> int:
    limit = _int_arg("limit")
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        abort(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


@bp.get("/requests")
def list_requests():
    """List requests, ascending by number, filtered by status, building, category and whether they are
    overdue (`overdue=1`, as the dashboard counts them: `late.overdue_clause`), a page at a time."""
    query = (
        select(Request)
        .join(Household)
        .options(selectinload(Request.household), selectinload(Request.volunteer))
        .where(Request.purged_at.is_(None))
        .order_by(Request.id)
    )
    if (status := _enum_arg("status", Status)) is not None:
        query = query.where(Request.status == status)
    if (category := _enum_arg("category", Category)) is not None:
        query = query.where(Request.category == category)
    if (building := _int_arg("building")) is not None:
        query = query.where(Household.building == building)
    if _flag_arg("overdue"):
        query = query.where(late.overdue_clause(Policy.from_config(current_app.config), clock.now()))
    if (after := _int_arg("after")) is not None:
        query = query.where(Request.id > after)
    limit = _limit_arg()
    found = db.session.scalars(query.limit(limit)).all()
    next_after = found[-1].number if len(found) == limit else None  # a full page: there may be more
    response = jsonify({"requests": [request_json(r) for r in found], "next_after": next_after})
    if next_after is not None:
        args = {k: v for k, v in request.args.items() if k != "after"}
        response.headers["Link"] = f'<{url_for("api.list_requests", **args, after=next_after)}>; rel="next"'
    return response


@bp.get("/requests/<number>")
def get_request(number: str):
    """Show one request with its whole timeline."""
    r = db.session.get(Request, n) if (n := whole_number(number)) is not None else None
    if r is None or r.purged_at is not None:
        abort(404, "no such request")
    return {"request": request_json(r, events=True)}


@bp.get("/outbox/stats")
def outbox_stats():
    """Show the backlog by lane and when it will be sent at the sender's rate."""
    return outbox.stats(db.session, current_app.config["HOTLINE_SEND_RATE"])
