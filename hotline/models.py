"""The hotline's tables, as typed SQLAlchemy 2.x models.

No field for infection or test status exists, and none may be added.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.ext.compiler
import sqlalchemy.orm
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship

from hotline import clock


class UTCDateTime(sa.TypeDecorator):
    """Store UTC, read back UTC-aware, on SQLite (no time zones) and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use hotline.clock.now()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class seconds_between(sa.sql.functions.FunctionElement):  # noqa: N801 - used as an SQL function, lower case
    """SQL: the seconds from one time column to another, as a number, on SQLite and PostgreSQL alike."""

    type = sa.Float()
    inherit_cache = True


@sa.ext.compiler.compiles(seconds_between, "sqlite")
def _seconds_on_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"  # julianday keeps milliseconds


@sa.ext.compiler.compiles(seconds_between, "postgresql")
def _seconds_on_postgresql(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS DOUBLE PRECISION)"  # a float, not a numeric


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention, so migrations name things alike."""

    registry = registry(
        metadata=sa.MetaData(
            naming_convention={
                "ix": "ix_%(column_0_label)s",
                "uq": "uq_%(table_name)s_%(column_0_name)s",
                "ck": "ck_%(table_name)s_%(constraint_name)s",
                "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
                "pk": "pk_%(table_name)s",
            }
        ),
        type_annotation_map={datetime: UTCDateTime()},
    )


def _enum(cls: type[StrEnum], length: int = 16) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Role(StrEnum):
    VOLUNTEER = "volunteer"  # delivers to households of their buildings
    COORDINATOR = "coordinator"  # receives escalations, unrouted requests and callbacks


class Category(StrEnum):
    FOOD = "food"  # groceries, staples, something to eat
    MEDICINE = "medicine"  # a drug or prescription
    HELP = "help"  # anything else a neighbour can do
    WELFARE = "welfare"  # someone nobody can reach: a door to knock on, urgent


class Status(StrEnum):
    NEW = "new"  # created, nobody notified yet
    ASSIGNED = "assigned"  # a volunteer was notified and has not answered
    ACCEPTED = "accepted"  # a volunteer took it
    DELIVERED = "delivered"  # the volunteer says it was delivered
    CANCELLED = "cancelled"  # the resident or a coordinator withdrew it


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.ACCEPTED)
OPEN_ROWS = "status IN ('new', 'assigned', 'accepted') AND purged_at IS NULL"  # an index's condition, as SQL
REOPENED_ROWS = "kind = 'reopened'"  # another
WITH_A_VOLUNTEER = (Status.ASSIGNED, Status.ACCEPTED)  # a volunteer was sent it, or took it


class Channel(StrEnum):
    SMS = "sms"  # texted in
    VOICE = "voice"  # called in
    ADMIN = "admin"  # entered by a coordinator


class EventKind(StrEnum):
    CREATED = "created"  # the request was made
    ASSIGNED = "assigned"  # routing (or a coordinator) sent it to a volunteer
    UNASSIGNED = "unassigned"  # routing found nobody: it waits for the coordinators
    ACCEPTED = "accepted"  # a volunteer took it
    DELIVERED = "delivered"  # the volunteer says it was delivered
    DECLINED = "declined"  # the volunteer could not take it
    TIMED_OUT = "timed_out"  # the volunteer did not answer in time
    HANDED_ON = "handed_on"  # taken from its volunteer: off duty, opted out, or reassigned
    CANCELLED = "cancelled"  # withdrawn by whoever asked or a coordinator
    REOPENED = "reopened"  # whoever asked says nothing arrived
    RESTORED = "restored"  # a coordinator opened a cancelled request again
    REMINDED = "reminded"  # the volunteer was reminded of an overdue delivery
    ESCALATED = "escalated"  # the coordinators were told of an overdue delivery
    NOTE = "note"  # a coordinator's note (or a volunteer's words on a welfare check already open)
    STATUS_CHANGED = "status_changed"  # a coordinator changed the status, for a stated reason
    MARKED_URGENT = "marked_urgent"  # a coordinator marked it urgent
    MARKED_NOT_URGENT = "marked_not_urgent"  # a coordinator marked it not urgent
    DETAILS_EDITED = "details_edited"  # a coordinator wrote the details down
    MESSAGE_RETRIED = "message_retried"  # a coordinator sent a failed message again
    RECORDING = "recording"  # the caller's voice message arrived
    JOINED_OFFER = "joined_offer"  # the household joined a group buy
    QUANTITY_CHANGED = "quantity_changed"  # the household changed how many it buys
    CHECK_IN_UNREACHED = "check_in_unreached"  # the daily check-in call was not answered
    CHECK_IN_HELP = "check_in_help"  # the resident asked for help on the check-in call
    NUDGED = "nudged"  # whoever asked asked after the open request
    CALLED_NO_ANSWER = "called_no_answer"  # a coordinator phoned whoever asked; nobody answered
    MERGED = "merged"  # folded into the request it repeats (then cancelled)
    MERGED_IN = "merged_in"  # a repeat of it was folded in
    PHONED = "phoned"  # a person phoned whoever the hotline could not call (no carrier places calls)
    MARKED_PAID = "marked_paid"  # a coordinator noted that the household paid for what it asked
    MARKED_NOT_PAID = "marked_not_paid"  # a coordinator took that back


class ActorKind(StrEnum):
    RESIDENT = "resident"  # whoever asked: a resident or a relative (also a volunteer asking for themselves)
    VOLUNTEER = "volunteer"  # a building volunteer answering by SMS (`actor_volunteer_id`)
    COORDINATOR = "coordinator"  # by SMS (`actor_volunteer_id`) or on the admin page (`actor_user_id`)
    SYSTEM = "system"  # the hotline itself: routing, timers, calls it placed


class Via(StrEnum):
    SMS = "sms"  # by an SMS, or a change told by SMS
    VOICE = "voice"  # on a call
    ADMIN = "admin"  # on the admin page
    SYSTEM = "system"  # by the hotline on its own


class Building(Base):
    """One building of the compound (from HOTLINE_BUILDINGS)."""

    __tablename__ = "building"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class Household(Base):
    """A flat: building and room as written."""

    __tablename__ = "household"
    __table_args__ = (sa.UniqueConstraint("building", "room", name="building_room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building: Mapped[int] = mapped_column(sa.ForeignKey("building.number"))
    room: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    @property
    def label(self) -> str:
        """Return `12-302`."""
        return f"{self.building}-{self.room}"


class Resident(Base):
    """A person known by phone number, living in a household."""

    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str] = mapped_column(sa.String(20), unique=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"), index=True)
    language: Mapped[str] = mapped_column(sa.String(2), default="zh")
    elderly: Mapped[bool] = mapped_column(default=False)
    alone: Mapped[bool] = mapped_column(default=False)
    mobility: Mapped[bool] = mapped_column(default=False)
    chronic: Mapped[bool] = mapped_column(default=False)  # health data: coordinators only, purged
    no_phone: Mapped[bool] = mapped_column(default=False)  # no phone of their own: the number reaches someone else
    prefers_voice: Mapped[bool] = mapped_column(default=False)
    check_in: Mapped[bool | None] = mapped_column()  # daily call; None: yes if elderly and alone
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    household: Mapped[Household | None] = relationship()

    # Their latest signs of life, loaded only where a list asks for them (`heard.with_last_signs()`).
    last_texted: Mapped[datetime | None] = sqlalchemy.orm.query_expression()
    last_asked: Mapped[datetime | None] = sqlalchemy.orm.query_expression()
    last_answered: Mapped[datetime | None] = sqlalchemy.orm.query_expression()

    @property
    def last_heard(self) -> datetime | None:
        """Return when the hotline last heard from them (a text or call, a request, a check-in answer)."""
        return max((t for t in (self.last_texted, self.last_asked, self.last_answered) if t is not None), default=None)


class Volunteer(Base):
    """A building volunteer or a coordinator, reached by SMS."""

    __tablename__ = "volunteer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str] = mapped_column(sa.String(20), unique=True)
    languages: Mapped[str] = mapped_column(sa.String(16), default="zh")  # `zh;en`
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.VOLUNTEER)
    on_duty: Mapped[bool] = mapped_column(default=True)
    rank: Mapped[int] = mapped_column(default=0)  # order in the imported file
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    buildings: Mapped[list[VolunteerBuilding]] = relationship(
        cascade="all, delete-orphan", order_by="VolunteerBuilding.building"
    )

    def speaks(self, language: str) -> bool:
        """Tell whether the volunteer speaks `zh` or `en`."""
        return language in self.languages.split(";")

    @property
    def first_language(self) -> str:
        """Return the language the volunteer's messages are written in."""
        return self.languages.split(";")[0] or "zh"


class VolunteerBuilding(Base):
    """A building a volunteer serves."""

    __tablename__ = "volunteer_building"

    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteer.id", ondelete="CASCADE"), primary_key=True)
    building: Mapped[int] = mapped_column(sa.ForeignKey("building.number"), primary_key=True, index=True)


class Request(Base):
    """A need: what, for which household, who asked, and where it stands. Its id is its number."""

    __tablename__ = "request"
    __table_args__ = (
        sa.Index("ix_request_resident_id_created_at", "resident_id", "created_at"),  # when a resident last asked
        sa.Index("ix_request_open_created_at", "created_at", postgresql_where=sa.text(OPEN_ROWS),
                 sqlite_where=sa.text(OPEN_ROWS)),  # the open ones by age, without walking the closed ones
        {"sqlite_autoincrement": True},  # numbers are never reused, even after a purge
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category] = mapped_column(_enum(Category))
    urgent: Mapped[bool] = mapped_column(default=False)
    emergency: Mapped[bool] = mapped_column(default=False)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resident.id", ondelete="SET NULL"))
    requester_phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    requester_name: Mapped[str | None] = mapped_column(sa.String(120))
    on_behalf: Mapped[bool] = mapped_column(default=False)  # a relative asked for the household
    details: Mapped[str] = mapped_column(sa.Text, default="")
    drug: Mapped[str | None] = mapped_column(sa.String(120))
    runs_out: Mapped[str | None] = mapped_column(sa.String(60))
    recording_sid: Mapped[str | None] = mapped_column(sa.String(64))
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offer.id", ondelete="SET NULL"), index=True)
    quantity: Mapped[int | None]  # for a group-buy join: how many
    paid: Mapped[bool] = mapped_column(default=False)  # the household paid for what it asked (the manifest)
    language: Mapped[str] = mapped_column(sa.String(2), default="zh")
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.NEW, index=True)
    volunteer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("volunteer.id", ondelete="SET NULL"), index=True)
    escalate_at: Mapped[datetime | None] = mapped_column(index=True)  # the next timer, if any
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)  # the dashboard's days
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    assigned_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)  # the dashboard's days
    closed_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]

    household: Mapped[Household] = relationship()
    resident: Mapped[Resident | None] = relationship()
    volunteer: Mapped[Volunteer | None] = relationship()
    offer: Mapped[Offer | None] = relationship()
    events: Mapped[list[RequestEvent]] = relationship(order_by="RequestEvent.id", back_populates="request")

    @property
    def number(self) -> int:
        """Return the request's number, as written `#457`."""
        return self.id


class RequestEvent(Base):
    """One step of a request's timeline; rows are only ever added."""

    __tablename__ = "request_event"
    __table_args__ = (
        # the requests said never to have arrived, looked up among the few such events
        sa.Index("ix_request_event_reopened", "request_id", postgresql_where=sa.text(REOPENED_ROWS),
                 sqlite_where=sa.text(REOPENED_ROWS)),
        # the desk's numbers read a day or a week of steps from the index alone
        sa.Index("ix_request_event_at_steps", "at", "kind", "request_id", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("request.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, length=24))
    actor_kind: Mapped[ActorKind] = mapped_column(_enum(ActorKind))
    actor_volunteer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("volunteer.id", ondelete="SET NULL"))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    channel: Mapped[Via] = mapped_column(_enum(Via))
    volunteer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("volunteer.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    transport: Mapped[str | None] = mapped_column(sa.String(16))  # the carrier of the SMS or call it came by

    request: Mapped[Request] = relationship(back_populates="events")
    volunteer: Mapped[Volunteer | None] = relationship(foreign_keys=[volunteer_id])  # whom the step concerns
    actor_volunteer: Mapped[Volunteer | None] = relationship(foreign_keys=[actor_volunteer_id])
    actor_user: Mapped[User | None] = relationship()

    @property
    def actor_label(self) -> str:
        """Name the actor as the JSON API always has: `resident`, `system`, `volunteer:3`, `admin:sun`."""
        if self.actor_user_id is not None:
            return f"admin:{self.actor_user.username}" if self.actor_user else "admin"
        if self.actor_volunteer_id is not None:
            return f"{self.actor_kind.value}:{self.actor_volunteer_id}"
        return self.actor_kind.value


# A request the resident said never arrived: flagged wherever it is listed. Read only where asked for
# (`undefer(Request.reopened)` in the lists), not by the webhooks and the worker.
Request.reopened = sa.orm.column_property(
    sa.exists().where(RequestEvent.request_id == Request.id, RequestEvent.kind == EventKind.REOPENED), deferred=True
)


class OptOut(Base):
    """A number that said STOP: nothing is sent to it until it says START."""

    __tablename__ = "opt_out"

    phone: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)


class Conversation(Base):
    """What the hotline is waiting to hear from a phone (SMS) or a call (voice), until it expires."""

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)  # `sms:+86…` or `call:CA…`
    state: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Inbound(Base):
    """Every SMS and call step received, once: the unique SID makes a retry a no-op."""

    __tablename__ = "inbound"
    __table_args__ = (sa.Index("ix_inbound_phone_received_at", "phone", "received_at"),)  # who sent what lately

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # `sms`, `voice`
    phone: Mapped[str] = mapped_column(sa.String(32))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    reply: Mapped[str] = mapped_column(sa.Text, default="")  # the TwiML answered, replayed for a retry
    received_at: Mapped[datetime] = mapped_column(default=clock.now)


class OutStatus(StrEnum):
    QUEUED = "queued"  # waiting for its turn (or its next attempt)
    SENDING = "sending"  # claimed by a worker under a lease
    SENT = "sent"  # Twilio accepted it
    FAILED = "failed"  # a permanent error, or attempts used up
    SKIPPED = "skipped"  # not attempted: opted out, or no way to reach the number
    CANCELLED = "cancelled"  # not attempted: a coordinator stopped the broadcast it belonged to
    BY_HAND = "by_hand"  # a call no carrier here can place: listed for a person to phone (then `sent`)


class Lane(StrEnum):
    URGENT = "0-urgent"  # emergencies and escalations to coordinators
    NORMAL = "1-normal"  # volunteer alerts and replies to residents
    BULK = "2-bulk"  # broadcasts


class Purpose(StrEnum):
    RECEIPT = "receipt"  # to whoever asked, about their request (`request_id`); a call says where it stands
    CHECK_IN = "checkin"  # the daily check-in call (`check_in_id`)
    BROADCAST = "broadcast"  # an announcement (`broadcast_id`); its call offers the group buy it carries
    QUESTION = "question"  # a question or a rumour: the coordinators' notice, and their answer to whoever asked
    CRISIS = "crisis"  # to the coordinators: words of someone in crisis
    LANGUAGE = "language"  # to the coordinators: a message in a language the hotline does not answer in
    LIMIT = "limit"  # to the coordinators: a number's new requests are held for the day (`about_phone`)


class Outbox(Base):
    """An SMS or call to send, written with the change that caused it and sent by the worker.

    What it is for is its `purpose` and the typed keys beside it (a request, a check-in, a
    broadcast, the number a notice is about); a call's purpose picks its kind in `placed_calls`.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_due", "status", "lane", "next_attempt_at"),
        sa.Index("ix_outbox_sent", "status", "transport", "sent_at"),  # each carrier's sends, read from the index
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # `sms` or `call`
    to: Mapped[str] = mapped_column(sa.String(20), index=True)
    body: Mapped[str] = mapped_column(sa.Text)  # the SMS text, or what the call says
    lang: Mapped[str] = mapped_column(sa.String(2), default="zh")
    purpose: Mapped[Purpose | None] = mapped_column(_enum(Purpose))  # None: a message like any other
    lane: Mapped[Lane] = mapped_column(_enum(Lane), default=Lane.NORMAL)
    status: Mapped[OutStatus] = mapped_column(_enum(OutStatus), default=OutStatus.QUEUED)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("request.id", ondelete="SET NULL"), index=True)
    check_in_id: Mapped[int | None] = mapped_column(sa.ForeignKey("check_in.id", ondelete="SET NULL"), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcast.id", ondelete="SET NULL"), index=True)
    about_phone: Mapped[str | None] = mapped_column(sa.String(20))  # the number a coordinators' notice is about
    segments: Mapped[int] = mapped_column(default=1)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(sa.String(64))
    twilio_sid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # the carrier's id of it
    transport: Mapped[str | None] = mapped_column(sa.String(16))  # who carried it: `twilio`, `gateway`, `console`
    delivery_status: Mapped[str | None] = mapped_column(sa.String(16))
    error_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    duplicates: Mapped[int] = mapped_column(default=0, index=True)  # sends that may have reached Twilio twice
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]

    request: Mapped[Request | None] = relationship()
    check_in: Mapped[CheckIn | None] = relationship()
    broadcast: Mapped[Broadcast | None] = relationship()


class SendClock(Base):
    """When the hotline's number may send its next segment: one row, shared by all workers."""

    __tablename__ = "send_clock"

    name: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    next_free_at: Mapped[datetime]


class Broadcast(Base):
    """An announcement to the residents of chosen buildings: who sent it, to whom, when, what, how many.

    Its messages are outbox rows in the bulk lane that point at it; how far they have gone is read
    from them. The counts here are what sending it queued.
    """

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(24), unique=True)  # names its page; a form sent twice sends once
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    buildings: Mapped[list] = mapped_column(sa.JSON, default=list)  # building numbers, ascending
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # `zh` and `en`, as written
    by_sms: Mapped[bool] = mapped_column(default=True)
    by_call: Mapped[bool] = mapped_column(default=False)
    residents: Mapped[int] = mapped_column(default=0)  # reached, one per phone number
    sms: Mapped[int] = mapped_column(default=0)
    calls: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)  # opted out: nothing sent
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    send_at: Mapped[datetime | None]  # scheduled: its messages wait until then (None: at once)
    stopped_at: Mapped[datetime | None]  # a coordinator stopped it: what had not gone is cancelled
    stopped_by: Mapped[str | None] = mapped_column(sa.String(80))  # the username of who stopped it, kept as written

    sent_by: Mapped[User | None] = relationship()
    offer: Mapped[Offer | None] = relationship(back_populates="broadcast")


class CarrierHealth(Base):
    """Whether a carrier that can go off line (the gateway phone) answers: one row each, written by the
    workers' checks and by the carrier's own events."""

    __tablename__ = "carrier_health"

    name: Mapped[str] = mapped_column(sa.String(16), primary_key=True)  # `gateway`
    last_seen_at: Mapped[datetime | None]  # its last sign of life: a check passed, an event, a send taken
    checked_at: Mapped[datetime | None]  # when a worker last asked it
    down_since: Mapped[datetime | None]  # the first failed check since it was last seen
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    told_at: Mapped[datetime | None]  # when the coordinators were told it is off line, this time


class Offer(Base):
    """A group buy carried by a broadcast: residents join by SMS (`JOIN 2`) or by a key on the call."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(sa.ForeignKey("broadcast.id", ondelete="CASCADE"), unique=True)
    item: Mapped[str] = mapped_column(sa.String(120))  # what is offered, as the manifest counts it
    deadline: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    broadcast: Mapped[Broadcast] = relationship(back_populates="offer")


class CheckInPlan(Base):
    """When the daily check-in calls go out: one row, set by the coordinators."""

    __tablename__ = "check_in_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    start_minute: Mapped[int] = mapped_column(default=9 * 60)  # local time the window opens
    end_minute: Mapped[int] = mapped_column(default=11 * 60)
    days: Mapped[str] = mapped_column(sa.String(7), default="1234567")  # ISO weekdays, Monday = 1
    retry_minutes: Mapped[int] = mapped_column(default=30)
    silent_days: Mapped[int] = mapped_column(default=3)  # "not heard from" after this many days
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class CheckInStatus(StrEnum):
    CALLING = "calling"  # the call is placed (or placed again)
    FINE = "fine"  # pressed 1: all is well
    HELP = "help"  # pressed 2: went on to ask for something
    UNREACHED = "unreached"  # no answer twice: the building's volunteer knocks


class CheckIn(Base):
    """One resident's check-in call of one day."""

    __tablename__ = "check_in"
    __table_args__ = (sa.UniqueConstraint("resident_id", "day", name="resident_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    status: Mapped[CheckInStatus] = mapped_column(_enum(CheckInStatus), default=CheckInStatus.CALLING)
    attempts: Mapped[int] = mapped_column(default=1)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("request.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    call_at: Mapped[datetime | None]  # when the first call is placed (a round set for later); None: when created
    answered_at: Mapped[datetime | None]

    resident: Mapped[Resident] = relationship()


class Question(Base):
    """A question (or rumour) a resident put to the hotline, waiting for a coordinator to answer it."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(20), default="")  # E.164; "" when withheld
    text: Mapped[str] = mapped_column(sa.Text, default="")
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    language: Mapped[str] = mapped_column(sa.String(2), default="zh")
    asked_at: Mapped[datetime] = mapped_column(default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    answered_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class UserRole(StrEnum):
    ADMIN = "admin"  # everything, including users
    COORDINATOR = "coordinator"  # steers requests, volunteers, residents, broadcasts
    VIEWER = "viewer"  # reads, with phone numbers masked


def new_session_stamp() -> str:
    """Return a fresh session stamp: a session made under another stamp no longer counts."""
    return secrets.token_hex(16)


class User(Base):
    """Someone who logs in to the admin pages."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole), default=UserRole.VIEWER)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(sa.String(2), default="zh")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_login_at: Mapped[datetime | None]
    # Kept in every session of the user and checked on each request; changed at logout and on a new
    # password, so that a copied session cookie stops working then, not hours later.
    session_stamp: Mapped[str] = mapped_column(sa.String(32), default=new_session_stamp)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[datetime | None]


@sa.event.listens_for(RequestEvent, "before_update")
@sa.event.listens_for(RequestEvent, "before_delete")
def _timeline_is_append_only(mapper, connection, target):
    raise RuntimeError("a request's timeline is never rewritten")
