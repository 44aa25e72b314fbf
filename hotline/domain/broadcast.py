"""Announcements to the residents of chosen buildings, by SMS and/or voice call, through the outbox.

A broadcast is a row of its own (who sent it, to which buildings, when, its texts, what sending
queued); its messages are outbox rows in the bulk lane that point at it, so its progress is read
from the outbox, the one source of truth of what went out. A group-buy offer hangs off it.
Each resident gets the text in their language (the other language when theirs is empty); the SMS
of a group buy ends with how to join (`回复"参加 2"报名2份`). Numbers that opted out get nothing:
their rows are written as `skipped`, so they are counted.

A broadcast can be scheduled: its messages wait in the outbox until `send_at`, and the worker sends
them when they are due. A coordinator can stop it, before or while it is sending: what went stays
sent, the rest is `cancelled` (the worker checks again before each message) and counted.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from hotline import clock, texts
from hotline.domain import offers, outbox, phones
from hotline.models import (
    Broadcast,
    Household,
    Inbound,
    Lane,
    OptOut,
    Outbox,
    OutStatus,
    Purpose,
    Resident,
)

MAX_TEXT = 1600  # Twilio's limit for one message
_ID = re.compile(r"[0-9a-f]{12}")


def new_id() -> str:
    """Make a broadcast's key, the id its page is known by (it also keeps a form sent twice from sending twice)."""
    return secrets.token_hex(6)


def is_id(value: str) -> bool:
    """Tell whether `value` is a broadcast's key."""
    return bool(_ID.fullmatch(value or ""))


def find(session: Session, key: str) -> Broadcast | None:
    """The broadcast of this key, if it was sent."""
    return session.scalar(select(Broadcast).filter_by(key=key)) if is_id(key) else None


@dataclass(frozen=True)
class Announcement:
    """What to say (per language), to which buildings, and how."""

    texts: dict[str, str]  # `zh` and `en`
    buildings: frozenset[int]
    by_sms: bool = True
    by_call: bool = False
    send_at: datetime | None = None  # UTC; None: at once
    offer_item: str = ""  # a group buy it carries, if any
    offer_deadline: datetime | None = None  # UTC: joins close then

    def text_for(self, lang: str) -> str:
        """Return the text in `lang`, else in the other language."""
        own = (self.texts.get(lang) or "").strip()
        return own or next((v.strip() for v in self.texts.values() if v and v.strip()), "")

    @property
    def carries_offer(self) -> bool:
        """Tell whether it offers a group buy (an item and a deadline)."""
        return bool(self.offer_item.strip()) and self.offer_deadline is not None

    def sms_for(self, lang: str) -> str:
        """Return the SMS in `lang`: the text, and how to join when it carries a group buy (a call asks for a key)."""
        text = self.text_for(lang)
        if text and self.carries_offer:
            return text + "\n" + texts.t(lang, "sms.join_hint")
        return text


@dataclass(frozen=True)
class Plan:
    """Who an announcement reaches: SMS, calls, numbers skipped (opted out), and SMS segments per language."""

    residents: int
    sms: int
    calls: int
    skipped: int
    segments: dict[str, int]


def recipients(session: Session, buildings: frozenset[int]) -> list[Resident]:
    """Return the residents of `buildings`, one per phone number, by building and room."""
    if not buildings:
        return []
    rows = session.scalars(
        select(Resident)
        .join(Household, Resident.household_id == Household.id)
        .where(Household.building.in_(sorted(buildings)))
        .order_by(Household.building, Household.room, Resident.id)
    )
    seen, out = set(), []
    for r in rows:
        if r.phone not in seen:
            seen.add(r.phone)
            out.append(r)
    return out


def to_residents(residents: list[Resident], announcement: Announcement) -> tuple[Announcement, list[Resident]]:
    """Aim an announcement at chosen residents (a filtered list) instead of whole buildings: one per phone
    number, each with a flat; the broadcast names their buildings. Pass both on to `plan` or `send`."""
    seen, people = set(), []
    for r in residents:
        if r.household is not None and r.phone not in seen:
            seen.add(r.phone)
            people.append(r)
    return replace(announcement, buildings=frozenset(r.household.building for r in people)), people


def _ways(announcement: Announcement, resident: Resident) -> tuple[bool, bool]:
    """Return (sms, call) for one resident: landlines and voice-preferring residents get a call for an SMS."""
    voice_only = resident.prefers_voice or phones.is_landline(resident.phone)
    sms = announcement.by_sms and not voice_only
    call = announcement.by_call or (announcement.by_sms and voice_only)
    return sms, call


def plan(session: Session, announcement: Announcement, people: list[Resident] | None = None) -> Plan:
    """Work out what sending would do, without sending (to `people`, when given: see `to_residents`)."""
    people = recipients(session, announcement.buildings) if people is None else people
    opted = _opted_out(session, people)
    sms = calls = skipped = 0
    for r in people:
        if r.phone in opted:
            skipped += 1
            continue
        by_sms, by_call = _ways(announcement, r)
        sms += by_sms
        calls += by_call
    return Plan(len(people), sms, calls, skipped, _segments(announcement))


def _opted_out(session: Session, people: list[Resident]) -> set[str]:
    return set(session.scalars(select(OptOut.phone).where(OptOut.phone.in_([r.phone for r in people]))))


def _segments(announcement: Announcement) -> dict[str, int]:
    return {lang: texts.segments(announcement.sms_for(lang)) for lang in texts.LANGUAGES
            if announcement.text_for(lang)}


def send(session: Session, announcement: Announcement, key: str, sent_by: int | None = None,
         people: list[Resident] | None = None) -> Broadcast:
    """Queue the announcement in the bulk lane, once per `key`, to go at once or at its `send_at`; return the
    broadcast, with what was queued (and its group buy, if it carries one).

    `sent_by` is the id of the admin user who sent it; `people`, when given, are whom it goes to (see
    `to_residents`) instead of everyone in its buildings."""
    found = find(session, key)
    if found is not None:
        return found  # already sent: a form submitted twice sends nothing more
    broadcast = Broadcast(
        key=key, sent_by_id=sent_by, buildings=sorted(announcement.buildings), texts=dict(announcement.texts),
        by_sms=announcement.by_sms, by_call=announcement.by_call, created_at=clock.now(),
        send_at=announcement.send_at,
    )
    session.add(broadcast)
    if announcement.carries_offer:
        offers.create(session, broadcast, announcement.offer_item, announcement.offer_deadline)
    sms = calls = skipped = 0
    people = recipients(session, announcement.buildings) if people is None else people
    opted = _opted_out(session, people)
    with session.no_autoflush:  # one flush at the end, not one per resident
        for r in people:
            text = announcement.text_for(r.language)
            if not text:
                continue
            by_sms, by_call = _ways(announcement, r)
            rows = []
            if by_sms:
                rows.append(outbox.queue_sms(session, r.phone, announcement.sms_for(r.language), r.language,
                                             lane=Lane.BULK, not_before=announcement.send_at,
                                             purpose=Purpose.BROADCAST, broadcast=broadcast))
            if by_call:
                rows.append(outbox.queue_call(session, r.phone, text, r.language, lane=Lane.BULK,
                                              not_before=announcement.send_at, purpose=Purpose.BROADCAST,
                                              broadcast=broadcast))
            if r.phone in opted:  # a call is not made to them either
                for row in rows:
                    row.status, row.last_error = OutStatus.SKIPPED, "opted out"
                skipped += 1
            else:
                sms += by_sms
                calls += by_call
    broadcast.residents, broadcast.sms, broadcast.calls, broadcast.skipped = len(people), sms, calls, skipped
    session.flush()
    return broadcast


def stop(session: Session, key: str, stopped_by: str | None = None) -> int:
    """Stop a broadcast that is scheduled or sending: its messages not yet taken by a worker are cancelled (a
    worker checks again before it sends one it took). `stopped_by` is the username of the coordinator who stopped
    it; the first stop is the one recorded. Return how many were cancelled now; stopping twice cancels nothing
    more."""
    broadcast = find(session, key)
    if broadcast is None:
        return 0
    if broadcast.stopped_at is None:
        broadcast.stopped_at, broadcast.stopped_by = clock.now(), stopped_by
    result = session.execute(
        update(Outbox)
        .where(Outbox.broadcast_id == broadcast.id, Outbox.status == OutStatus.QUEUED)
        .values(status=OutStatus.CANCELLED, last_error="the broadcast was stopped")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return result.rowcount or 0


def stopped(session: Session, row: Outbox) -> bool:
    """Tell whether `row` belongs to a broadcast a coordinator stopped: then it is not sent."""
    if row.broadcast_id is None:
        return False
    return session.scalar(select(Broadcast.stopped_at).where(Broadcast.id == row.broadcast_id)) is not None


@dataclass(frozen=True)
class Progress:
    """How far a broadcast has gone: its messages by state, and when the rest will be out."""

    id: str
    started_at: datetime | None
    total: int
    sent: int
    failed: int
    skipped: int
    waiting: int
    eta_seconds: float
    sms: int
    calls: int
    texts: dict[str, str]  # what was sent, by language
    cancelled: int = 0  # stopped before they went
    send_at: datetime | None = None  # when it was scheduled for, if it was
    stopped_at: datetime | None = None
    stopped_by: str | None = None  # the username of the coordinator who stopped it

    @property
    def text(self) -> str:
        """Return one of the texts (Chinese first), to name the broadcast in a list."""
        return self.texts.get("zh") or next(iter(self.texts.values()), "")

    @property
    def done(self) -> int:
        """Return how many messages are settled (sent, failed, skipped or cancelled)."""
        return self.sent + self.failed + self.skipped + self.cancelled

    @property
    def finished(self) -> bool:
        """Tell whether nothing is left to send."""
        return self.waiting == 0

    @property
    def scheduled(self) -> bool:
        """Tell whether it waits for its time: nothing of it has gone yet."""
        return self.send_at is not None and self.stopped_at is None and self.waiting == self.total - self.skipped \
            and self.send_at > clock.now()

    @property
    def stoppable(self) -> bool:
        """Tell whether a coordinator can still stop it."""
        return self.stopped_at is None and not self.finished


_WAITING = (OutStatus.QUEUED, OutStatus.SENDING)


def progress(session: Session, key: str, rate: float) -> Progress | None:
    """Read a broadcast's progress from the outbox; None if there is no such broadcast."""
    broadcast = find(session, key)
    return _progress(session, broadcast, rate) if broadcast is not None else None


def _progress(session: Session, broadcast: Broadcast, rate: float) -> Progress:
    row = session.execute(
        select(
            func.count(Outbox.id),
            func.sum(case((Outbox.status == OutStatus.SENT, 1), else_=0)),
            func.sum(case((Outbox.status == OutStatus.FAILED, 1), else_=0)),
            func.sum(case((Outbox.status == OutStatus.SKIPPED, 1), else_=0)),
            func.sum(case((Outbox.status.in_(_WAITING), 1), else_=0)),
            func.max(Outbox.id),
            func.sum(case((Outbox.kind == "sms", 1), else_=0)),
            func.sum(case((Outbox.kind == "call", 1), else_=0)),
            func.sum(case((Outbox.status == OutStatus.CANCELLED, 1), else_=0)),
        ).where(Outbox.broadcast_id == broadcast.id)
    ).one()
    total, sent, failed, skipped, waiting, last_id, sms, calls, cancelled = row
    eta = 0.0
    if waiting:
        # Everything in a faster lane, and the bulk rows queued before this broadcast's last, go first.
        ahead = session.scalar(
            select(func.coalesce(func.sum(Outbox.segments), 0)).where(
                Outbox.status.in_(_WAITING), (Outbox.lane != Lane.BULK) | (Outbox.id <= last_id)
            )
        )
        eta = round(int(ahead) / rate, 1)
        if broadcast.send_at is not None:  # nothing of it goes before its time
            eta += max(0.0, round((broadcast.send_at - clock.now()).total_seconds(), 1))
    written = {lang: text.strip() for lang, text in broadcast.texts.items() if text and text.strip()}
    return Progress(broadcast.key, broadcast.created_at, int(total), int(sent or 0), int(failed or 0),
                    int(skipped or 0), int(waiting or 0), eta, int(sms or 0), int(calls or 0), written,
                    int(cancelled or 0), broadcast.send_at, broadcast.stopped_at, broadcast.stopped_by)


def recent(session: Session, rate: float, limit: int = 10) -> list[Progress]:
    """Return the latest broadcasts with their progress, newest first."""
    latest = session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
    return [_progress(session, broadcast, rate) for broadcast in latest]


@dataclass
class Reach:
    """What became of a broadcast in one building, per resident reached (one phone number each)."""

    building: int | None  # None: numbers no longer on the roster
    residents: int = 0
    delivered: int = 0  # the carrier says a message arrived, or a call was answered
    failed: int = 0  # nothing of it arrived: failed, undelivered, or a call never answered
    replied: int = 0  # wrote or called the hotline after it reached them
    cancelled: int = 0  # got nothing: the broadcast was stopped first


DELIVERED = {"delivered", "read", "completed"}
UNDELIVERED = {"failed", "undelivered", "busy", "no-answer", "canceled"}


def reach_by_building(session: Session, key: str) -> list[Reach]:
    """Per building, how many residents a broadcast reached, what arrived, what failed and who replied."""
    broadcast = find(session, key)
    if broadcast is None:
        return []
    rows = session.execute(
        select(Outbox.to, Outbox.status, Outbox.delivery_status, Outbox.sent_at)
        .where(Outbox.broadcast_id == broadcast.id, Outbox.status != OutStatus.SKIPPED)
    ).all()
    messages = defaultdict(list)
    for to, status, delivery, sent_at in rows:
        messages[to].append((status, delivery, sent_at))
    building_of = dict(session.execute(
        select(Resident.phone, Household.building).join(Household, Resident.household_id == Household.id)
        .where(Resident.phone.in_(list(messages)))
    ).all()) if messages else {}
    first_sent = {to: min(at for _s, _d, at in sent if at) for to, sent in messages.items() if any(s[2] for s in sent)}
    last_heard = dict(session.execute(
        select(Inbound.phone, func.max(Inbound.received_at))
        .where(Inbound.phone.in_(list(first_sent)), Inbound.received_at >= min(first_sent.values()))
        .group_by(Inbound.phone)
    ).all()) if first_sent else {}
    reach: dict[int | None, Reach] = {}
    for to, sent in messages.items():
        counts = reach.setdefault(building_of.get(to), Reach(building_of.get(to)))
        counts.residents += 1
        if all(status == OutStatus.CANCELLED for status, _d, _a in sent):
            counts.cancelled += 1
        elif any(delivery in DELIVERED for _s, delivery, _a in sent):
            counts.delivered += 1
        elif all(status == OutStatus.FAILED or delivery in UNDELIVERED or status == OutStatus.CANCELLED
                 for status, delivery, _a in sent):
            counts.failed += 1
        if to in last_heard and last_heard[to] > first_sent[to]:
            counts.replied += 1
    return sorted(reach.values(), key=lambda r: (r.building is None, r.building or 0))
