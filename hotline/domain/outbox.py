"""Writing what goes out: every SMS and call is a row, added in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import clock, texts
from hotline.domain import phones
from hotline.models import Broadcast, CheckIn, Lane, OptOut, Outbox, OutStatus, Purpose, Request

SUPERSEDED = "superseded: a later call about the request says where it stands"
TOLD = "superseded: the resident heard where the request stands on an earlier call"
CALLS = "places_calls"  # a key of `session.info`: False where no carrier places calls (the phone gateway alone)
BY_A_PERSON = "person"  # the carrier of a call a person made from their own phone


def places_calls(session: Session) -> bool:
    """Tell whether a carrier here places calls: the app says so in `session.info` (a bare session: yes)."""
    return session.info.get(CALLS, True)


def is_opted_out(session: Session, phone: str) -> bool:
    """Tell whether `phone` said STOP. Only a STOP or START of this transaction for `phone` is written
    out first: the rest of what the caller has pending waits for its one flush at commit."""
    _write_stops_of(session, {phone})
    with session.no_autoflush:
        return session.get(OptOut, phone) is not None


def opted_out_among(session: Session, phones: set[str]) -> set[str]:
    """Those of `phones` that said STOP, in one statement (as `is_opted_out` tells of one)."""
    _write_stops_of(session, phones)
    with session.no_autoflush:
        return set(session.scalars(select(OptOut.phone).where(OptOut.phone.in_(phones)))) if phones else set()


def _write_stops_of(session: Session, phones: set[str]) -> None:
    if any(isinstance(row, OptOut) and row.phone in phones for row in (*session.new, *session.deleted)):
        session.flush()


def queue_sms(
    session: Session,
    to: str,
    text: str,
    lang: str,
    *,
    lane: Lane = Lane.NORMAL,
    request: Request | None = None,
    prefer_voice: bool = False,
    not_before: datetime | None = None,
    purpose: Purpose | None = None,
    check_in: CheckIn | None = None,
    broadcast: Broadcast | None = None,
    about_phone: str | None = None,
    opted_out: bool | None = None,
) -> Outbox:
    """Queue an SMS (held until `not_before`, if given); a landline, or someone who prefers voice,
    gets a call that speaks it. `purpose` and the keys beside it tell what the message is for.
    `opted_out` says whether `to` said STOP where the caller read it already (else it is read here)."""
    if prefer_voice or phones.is_landline(to):
        return queue_call(session, to, text, lang, lane=lane, request=request, not_before=not_before, purpose=purpose,
                          check_in=check_in, broadcast=broadcast, about_phone=about_phone)
    row = Outbox(  # the same columns set as `record_reply`'s: PostgreSQL inserts the rows of one SMS at once
        kind="sms", to=to, body=text, lang=lang, lane=lane, status=OutStatus.QUEUED, segments=texts.segments(text),
        next_attempt_at=not_before or clock.now(), purpose=purpose, request=request, check_in=check_in,
        broadcast=broadcast, about_phone=about_phone,
    )
    if is_opted_out(session, to) if opted_out is None else opted_out:
        row.status, row.last_error = OutStatus.SKIPPED, "opted out"
    session.add(row)
    return row


def queue_call(
    session: Session,
    to: str,
    text: str,
    lang: str,
    *,
    lane: Lane = Lane.NORMAL,
    request: Request | None = None,
    not_before: datetime | None = None,
    purpose: Purpose | None = None,
    check_in: CheckIn | None = None,
    broadcast: Broadcast | None = None,
    about_phone: str | None = None,
) -> Outbox:
    """Queue a call that speaks `text` in `lang` (its opening is made when it is placed: a purpose of
    one of `placed_calls.KINDS` makes it a call that asks something). Where no carrier places calls
    the row is not queued but kept `by_hand`: listed for a person to phone and say `text`.

    A call about a request to whoever asked for it is a `RECEIPT` call: it says where the request
    stands when it is answered, never `text` (kept for the record), so the calls about the request
    to that phone still waiting to be placed say nothing more and are skipped: a `DONE` without an
    `OK`, or before the acceptance call went out, makes one call, not two back to back.
    """
    if request is not None and purpose in (None, Purpose.RECEIPT) and request.requester_phone == to:
        purpose = Purpose.RECEIPT
        supersede_calls(session, request, to, SUPERSEDED)
    row = Outbox(
        kind="call", to=to, body=text, lang=lang, lane=lane, next_attempt_at=not_before or clock.now(),
        purpose=purpose, request=request, check_in=check_in, broadcast=broadcast, about_phone=about_phone,
    )
    if not places_calls(session):
        row.status = OutStatus.BY_HAND
    session.add(row)
    return row


def call_instead(session: Session, row: Outbox) -> Outbox:
    """Queue a call that speaks an SMS the number could not take: for the same purpose, about the same things."""
    return queue_call(session, row.to, row.body, row.lang, lane=row.lane, purpose=row.purpose, request=row.request,
                      check_in=row.check_in, broadcast=row.broadcast, about_phone=row.about_phone)


def supersede_calls(session: Session, request: Request, to: str, reason: str) -> list[Outbox]:
    """Skip the calls about `request` to `to` that no worker (nor person) has made yet; return them.

    Rows a worker is placing are locked (PostgreSQL) or already `sending`, and are left alone.
    """
    waits = (None, OutStatus.QUEUED, OutStatus.BY_HAND)
    pending = [
        row for row in session.new
        if isinstance(row, Outbox) and row.request is request and row.to == to and row.kind == "call"
        and row.purpose == Purpose.RECEIPT and row.status in waits
    ]
    with session.no_autoflush:  # rows of this transaction not written yet are `pending`
        waiting = session.scalars(
            select(Outbox)
            .where(Outbox.request_id == request.id, Outbox.to == to, Outbox.kind == "call",
                   Outbox.purpose == Purpose.RECEIPT, Outbox.status.in_(waits[1:]))
            .with_for_update(skip_locked=True)
        ).all()
    skipped = list(dict.fromkeys([*pending, *waiting]))
    for row in skipped:
        row.status, row.last_error = OutStatus.SKIPPED, reason
    return skipped


def later_call(session: Session, row: Outbox) -> bool:
    """Tell whether a later call about the same request goes (or went) to the same phone."""
    if row.request_id is None:
        return False
    return session.scalar(
        select(Outbox.id)
        .where(Outbox.request_id == row.request_id, Outbox.to == row.to, Outbox.kind == "call",
               Outbox.purpose == row.purpose, Outbox.id > row.id, Outbox.status != OutStatus.SKIPPED)
        .limit(1)
    ) is not None


def requeue(row: Outbox, at: datetime, reason: str) -> None:
    """Queue a call that rang out to go again at `at`; its old Twilio SID is dropped, so that the old
    call's late status callbacks cannot touch the new one."""
    row.status, row.twilio_sid, row.delivery_status = OutStatus.QUEUED, None, None
    row.next_attempt_at, row.last_error = at, reason


def record_reply(
    session: Session, to: str, text: str, lang: str, number: int | None = None, transport: str | None = None
) -> Outbox:
    """Record an SMS that went back as the TwiML answer (carried by `transport`), like any other outgoing
    message."""
    now = clock.now()
    request = session.get(Request, number) if number else None
    row = Outbox(  # the same columns set as `queue_sms`'s
        kind="sms", to=to, body=text, lang=lang, lane=Lane.NORMAL, request=request, segments=texts.segments(text),
        status=OutStatus.SENT, delivery_status="twiml", sent_at=now, next_attempt_at=now, transport=transport,
    )
    session.add(row)
    return row


def set_opt_out(session: Session, phone: str, opted_out: bool) -> bool:
    """Record STOP or START for `phone`; return whether anything changed."""
    row = session.get(OptOut, phone)
    if opted_out and row is None:
        session.add(OptOut(phone=phone, at=clock.now()))
        return True
    if not opted_out and row is not None:
        session.delete(row)
        return True
    return False


def backlog(session: Session) -> list[Outbox]:
    """Return the rows still waiting to be sent."""
    return list(session.scalars(select(Outbox).where(Outbox.status.in_((OutStatus.QUEUED, OutStatus.SENDING)))))


def stats(session: Session, rate: float) -> dict:
    """The backlog by lane (each lane's ETA counts the lanes sent before it), failures and copies."""
    rows = session.execute(
        select(Outbox.lane, func.count(Outbox.id), func.coalesce(func.sum(Outbox.segments), 0))
        .where(Outbox.status.in_((OutStatus.QUEUED, OutStatus.SENDING)))
        .group_by(Outbox.lane)
    ).all()
    lanes = {lane.value: {"messages": 0, "segments": 0, "eta_seconds": 0.0} for lane in Lane}
    ahead = 0
    for lane, count, segments in sorted(rows, key=lambda r: r[0].value):
        ahead += int(segments)
        lanes[lane.value] = {"messages": count, "segments": int(segments), "eta_seconds": round(ahead / rate, 1)}
    failed = session.scalar(select(func.count(Outbox.id)).where(Outbox.status == OutStatus.FAILED))
    duplicates = session.scalar(select(func.coalesce(func.sum(Outbox.duplicates), 0)).where(Outbox.duplicates > 0))
    return {
        "lanes": lanes,
        "backlog": sum(v["messages"] for v in lanes.values()),
        "segments": ahead,
        "rate_per_second": rate,
        "eta_seconds": round(ahead / rate, 1),
        "failed": failed,
        "possible_duplicates": int(duplicates),
    }
