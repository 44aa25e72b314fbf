"""Incoming SMS, applied: the last step of a message's one way through the hotline.

`handle_sms` reads top to bottom: the body is normalised and read once (`message.read`), the
sender's situation is what the database knows of them (`Sender`, each fact read at most once),
`decide.decide` says what the message asks for, and `apply` does it: the only step that writes
to the database and the outbox, and that words the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial, wraps

from sqlalchemy import Integer, Select, String, and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from hotline import clock
from hotline.domain import decide, late, message, offers, outbox, questions, requests, spoken, transitions
from hotline.domain.decide import FLOOD_WINDOW, Decision, Gathering
from hotline.domain.message import Reading
from hotline.domain.parsing import Command, Word
from hotline.domain.policy import Policy
from hotline.domain.replies import Message, Reply
from hotline.models import (
    OPEN_STATUSES,
    WITH_A_VOLUNTEER,
    Category,
    Channel,
    Conversation,
    Household,
    Inbound,
    Lane,
    Offer,
    Outbox,
    Purpose,
    Request,
    Resident,
    Role,
    Status,
    Volunteer,
)
from hotline.texts import N_, language_name, t


@dataclass(frozen=True)
class InboundSms:
    """One SMS as Twilio delivered it, already parsed out of the webhook."""

    sid: str
    phone: str
    body: str


def handle_sms(session: Session, policy: Policy, sms: InboundSms, sender: Sender) -> Reply:
    """Act on one incoming SMS from `sender` (read as the message was taken) and return the TwiML reply's
    messages."""
    said = message.read(message.normalise(sms.body), policy.buildings)
    return apply(session, policy, sender, said, decide.decide(said, sender, policy))


def read_ahead(policy: Policy, body: str) -> Named | None:
    """Read the words of an SMS before its transaction begins: the readings are kept per text, so
    `handle_sms` only looks them up while it holds the database (and a process's first message loads
    the lexicons outside it). Returns the flat and the kind of need it names, for `Sender` to read with
    the sender's facts."""
    parsed = message.read(message.normalise(body), policy.buildings).parsed
    if not (parsed.category or parsed.building or parsed.room):
        return None
    return Named(parsed.building, parsed.room, parsed.category or Category.HELP)


@dataclass(frozen=True)
class Named:
    """The flat and the kind of need a message names, as read before its transaction: `Sender` reads that
    flat and its oldest open request of that kind (of the sender's own flat where none is written) in the
    statement that reads the sender, for the two questions a new need asks (`household_at`,
    `open_request_of`). Where the need turns out to be for another flat or kind (the conversation had
    named them), those questions are asked of the database as before."""

    building: int | None
    room: str | None
    category: Category


def _once(fact):
    """A fact about the sender, read the first time it is asked for (with these arguments) and kept."""
    @wraps(fact)
    def kept(self, *args):
        key = (fact.__name__, *args)
        if key not in self.facts:
            self.facts[key] = fact(self, *args)
        return self.facts[key]

    return kept


class Sender:
    """What the database knows of the phone a message came from (`decide.Situation`): what most messages
    ask is read in one statement as the message is taken (`_facts`), each other fact the first time
    `decide` asks for it, and kept for the rest of the message. Reads only: an expired
    conversation is deleted only when `apply` asks for the row to change (`current_row`). With the `sid` of
    the message, the same statement reads the answer already given to it (`answered`: None when none was);
    with what the message `named`, the flat and that flat's open request of the kind named (`Named`)."""

    def __init__(self, session: Session, phone: str, sid: str | None = None, named: Named | None = None):
        self.session, self.phone, self.facts = session, phone, {}
        facts = {"phone": phone, "key": f"sms:{phone}", "sid": sid, "flood_since": clock.now() - FLOOD_WINDOW,
                 "day_since": clock.now() - timedelta(days=1), "building": named and named.building,
                 "room": named and named.room, "category": named and named.category}
        self.volunteer, self.resident, self._row, self._recent, self._today, self.answered, self._flat, same = \
            session.execute(FACTS, facts).one()
        self.resident_id = self.resident.id if self.resident else None
        if named is None:
            return
        door = named.building is not None and named.room is not None
        home = self._flat or (None if door else self.resident and self.resident.household)
        if home is not None:  # read with the sender: asking again would only read it again
            self.facts[("open_request_of", home.building, home.room, named.category)] = same
        elif door:  # a flat the hotline does not know has no request open
            self.facts[("open_request_of", named.building, named.room, named.category)] = None

    def row(self) -> Conversation | None:
        """The conversation row of this phone, expired or not."""
        return self._row

    def live_row(self) -> Conversation | None:
        row = self.row()
        return row if row is not None and row.expires_at > clock.now() else None

    def current_row(self) -> Conversation | None:
        """For `apply`: the live conversation row, to change or end; an expired one is deleted now."""
        row = self.row()
        if row is not None and self.live_row() is None:
            self.session.delete(row)
            self.session.flush()
            self._row = None
            return None
        return row

    def conversation(self) -> dict | None:
        row = self.live_row()
        return None if row is None else dict(row.state)

    def conversation_changed(self) -> datetime | None:
        row = self.live_row()
        return None if row is None else row.updated_at

    def recent_messages(self) -> int:
        return self._recent

    @_once
    def offer(self) -> Offer | None:
        return offers.reached(self.session, self.phone)

    @_once
    def booked(self, offer: Offer) -> Request | None:
        return offers.booked(self.session, offer, self.resident)

    def now(self) -> datetime:
        return clock.now()

    def coordinator(self) -> Volunteer | None:
        return self.session.scalar(select(Volunteer).where(Volunteer.role == Role.COORDINATOR)
                                   .order_by(Volunteer.on_duty.desc(), Volunteer.id))

    @_once
    def change(self) -> tuple[offers.Change, datetime] | None:
        return offers.asked_change(self.session, self.phone)

    def change_asked(self) -> tuple[str, datetime] | None:
        asked = self.change()
        return None if asked is None else (asked[0].lang, asked[1])

    def _mine(self):
        return requests.of_asker(self.phone, self.resident.id if self.resident else None)

    @_once
    def asked_ever(self) -> bool:
        return self.session.scalar(self._mine().with_only_columns(Request.id).limit(1)) is not None

    @_once
    def open_requests(self) -> list[Request]:
        return list(self.session.scalars(self._mine().where(Request.status.in_(OPEN_STATUSES)).order_by(Request.id)))

    @_once
    def delivered_requests(self) -> list[Request]:
        return list(self.session.scalars(self._mine().where(Request.status == Status.DELIVERED).limit(2)))

    @_once
    def jobs(self, states: tuple[Status, ...]) -> list[Request]:
        return list(self.session.scalars(select(Request).where(
            Request.volunteer_id == self.volunteer.id, Request.status.in_(states)).order_by(Request.id)))

    @_once
    def numbered(self, number: int) -> Request | None:
        return self.session.scalar(self._mine().where(Request.id == number))

    @_once
    def job(self, number: int) -> Request | None:
        request = self.session.get(Request, number)
        return None if request is None or request.purged_at is not None else request

    @_once
    def open_request_of(self, building: int, room: str, category: Category) -> Request | None:
        return requests.open_request_of(self.session, building, room, category)

    def household_at(self, building: int, room: str) -> Household:
        """The household at `building`-`room`: the flat read with the sender where it is that one, else
        found or added (`requests.household`)."""
        for known in (self._flat, self.resident.household if self.resident else None):
            if known is not None and (known.building, known.room) == (building, room):
                return known
        return requests.household(self.session, building, room)

    def requests_today(self) -> int:
        return self._today


def _facts() -> Select:
    """What most messages ask of their sender, in one statement: the volunteer and the resident of the number
    (the resident's household with them), its conversation row, its messages since `flood_since` and its
    requests since `day_since` (`Sender.recent_messages`, `Sender.requests_today`), and the answer given to
    the message `sid` if it was taken before. Made once per process."""
    me = select(bindparam("phone", type_=String).label("phone")).subquery("sender")
    recent = select(func.count(Inbound.id)).where(
        Inbound.phone == me.c.phone, Inbound.received_at >= bindparam("flood_since")).scalar_subquery()
    today = select(func.count(Request.id)).where(
        Request.requester_phone == me.c.phone, Request.created_at >= bindparam("day_since")).scalar_subquery()
    answered = select(Inbound.reply).where(Inbound.sid == bindparam("sid", type_=String)).scalar_subquery()
    flat, same = aliased(Household, name="flat"), aliased(Request, name="same")
    oldest_open = select(func.min(Request.id)).where(  # of the flat written, else of the resident's own
        Request.household_id == func.coalesce(flat.id, Resident.household_id),
        Request.category == bindparam("category", type_=Request.category.type),
        Request.status.in_(OPEN_STATUSES), Request.offer_id.is_(None), Request.purged_at.is_(None)
    ).scalar_subquery()  # as requests.OPEN_REQUEST_OF finds it
    return (select(Volunteer, Resident, Conversation, recent, today, answered, flat, same).select_from(me)
            .outerjoin(Volunteer, Volunteer.phone == me.c.phone)
            .outerjoin(Resident, Resident.phone == me.c.phone)
            .outerjoin(Conversation, Conversation.key == bindparam("key"))
            .outerjoin(flat, and_(flat.building == bindparam("building", type_=Integer),
                                  flat.room == bindparam("room", type_=String)))
            .outerjoin(same, same.id == oldest_open)
            .options(joinedload(Resident.household)))


FACTS = _facts()


def apply(session: Session, policy: Policy, sender: Sender, said: Reading, decision: Decision) -> Reply:
    """Do what `decision` says with the message `said` from `sender`, and answer in its language."""
    phone, volunteer, lang = sender.phone, sender.volunteer, decision.lang
    if (opt := decision.opt) is not None:
        _opt(session, policy, phone, volunteer, opt.out)
        if opt.cancels is not None:  # their only open request
            _cancel(session, policy, sender, decide.ResidentWord(Word.CANCEL, only=opt.cancels), "en")
    if decision.other_language:  # the coordinators read the original
        requests.tell_coordinators(session, N_("coordinator.other_language"), purpose=Purpose.LANGUAGE, phone=phone,
                                   language=partial(language_name, code=decision.other_language),
                                   details=said.text[:300])
    first = _do(session, policy, sender, said, decision.first, lang) if decision.first is not None else ()
    return first + _do(session, policy, sender, said, decision.act, lang)


def _do(session: Session, policy: Policy, sender: Sender, said: Reading, act: decide.Act, lang: str) -> Reply:
    """Do one act of a decision and say what was done."""
    phone, volunteer = sender.phone, sender.volunteer
    match act:
        case decide.Silence():
            return ()
        case decide.Answer(msgid, forward, number):
            if forward:
                questions.ask(session, N_("coordinator.question"), phone, said.text[:200], Channel.SMS, lang)
            return (Message(t(lang, msgid) if number is None else t(lang, msgid, number=number), lang),)
        case decide.Late():
            return tuple(Message(text, lang) for text in late.for_coordinator(session, policy, clock.now(), lang))
        case decide.VolunteerWord(word=Word.LIST):
            return tuple(Message(text, lang) for text in _list(session, volunteer, lang))
        case decide.VolunteerWord(word, numbers, coming, only, jobs):
            named = zip(numbers, jobs or (None,) * len(numbers), strict=True) if numbers else ((None, only),)
            answers = [VOLUNTEER_WORDS[word](session, policy, volunteer, Command(word, n, coming), lang, job)
                       for n, job in named]
            return (Message("\n".join(answers), lang, numbers[0] if len(numbers) == 1 else None),)
        case decide.ResidentWord(word, number):
            return (Message(RESIDENT_WORDS[word](session, policy, sender, act, lang), lang, number),)
        case decide.CheckOn(job):
            check = requests.check_on(session, policy, job, volunteer, said.text)
            text = t(lang, N_("volunteer.checking_on"), number=job.number, home=job.household.label, check=check.number)
            return (Message(text, lang, job.number),)
        case decide.Noted(job):
            requests.note_from_volunteer(job, volunteer, said.text)
            return (Message(t(lang, N_("volunteer.noted"), number=job.number), lang, job.number),)
        case decide.Which(word, numbers):  # a volunteer's jobs are listed; a resident's requests are not
            text = (t(lang, "volunteer.which", word=t(lang, f"word.{word.value}"),
                      numbers=" ".join(f"#{n}" for n in numbers))
                    if numbers else t(lang, "resident.which_number", word=t(lang, f"word.{word.value}")))
            return (Message(text, lang),)
        case decide.FollowUp(only):
            return (Message(_follow_up(session, policy, sender, said, lang, only), lang),)
        case decide.Join():
            return (_join(session, policy, sender, act, lang),)
        case decide.ChangeAnswered(yes):
            return _change_answered(session, policy, sender, yes)
        case decide.Crisis():
            _crisis(session, policy, sender, act, said)
            return (Message(t(lang, act.reply, line=policy.crisis_line), lang),)
        case Gathering():
            return _gathered(session, policy, sender, said, act, lang)
    raise TypeError(act)  # pragma: no cover - every act is matched above


def _crisis(session: Session, policy: Policy, sender: Sender, crisis: decide.Crisis, said: Reading) -> None:
    """Someone in crisis: an urgent request for a coordinator (not a volunteer) where the household
    is known, else the coordinators are told at once with the number and the words."""
    if crisis.coordinator is None:  # no household known, or no coordinator to put it to
        requests.tell_coordinators(session, N_("coordinator.crisis"), Lane.URGENT, purpose=Purpose.CRISIS,
                                   phone=sender.phone, details=said.text[:200])
        return
    state = {**crisis.state, "category": Category.HELP.value, "urgent": True}
    request = _create(session, policy, sender, state, crisis.building, crisis.room, route_now=False)
    requests.route(session, policy, request, to=crisis.coordinator)


# --------------------------------------------------------------------------------------------
# Residents and relatives
# --------------------------------------------------------------------------------------------
def _gathered(session: Session, policy: Policy, sender: Sender, said: Reading, step: Gathering, lang: str) -> Reply:
    """Apply one step of gathering a need: keep the conversation for the next message, or end it as the
    request is made (or folded into an open one, or held past the daily limit)."""
    phone, resident, conversation, state = sender.phone, sender.resident, sender.current_row(), step.state
    if step.alert_unplaced:
        _alert_unplaced_emergency(session, phone, said.text)
    if step.next == "confirm_home":
        home = resident.household
        _save(session, policy, phone, conversation, state)
        return (Message(t(lang, "sms.confirm_home", building=home.building, room=home.room), lang),)
    if step.next == "ask":
        _save(session, policy, phone, conversation, state)
        asked = Message(t(lang, step.ask, building=step.unknown_building or ""), lang)
        return (Message(t(lang, "sms.emergency_call_first"), lang), asked) if step.call_first else (asked,)
    _end(session, conversation)
    if step.next == "repeat":
        return (_repeat(session, policy, sender, state, step.building, step.room, step.into),)
    if step.next == "limit":
        _tell_coordinators_of_limit(session, phone, said.text)
        return (Message(t(lang, "sms.limit_requests"), lang),)
    request = _create(session, policy, sender, state, step.building, step.room)
    key = N_("sms.created_emergency") if request.emergency else N_("sms.created")
    if not request.emergency and (request.volunteer is None or request.volunteer.role == Role.COORDINATOR):
        key = N_("sms.created_coordinator")  # no volunteer of the building is on duty
    text = t(lang, key, number=request.number, category=requests.category_label(lang, request.category),
             home=request.household.label)
    return (Message(text, lang, request.number),)


def _repeat(session: Session, policy: Policy, sender: Sender, state: dict, building: int, room: str,
            into: Request) -> Message:
    """A need that is not urgent, for a flat and kind with a request open already ("还要买点鸡蛋" while
    #41 for food is on its way): made, and folded into the open one at once, so it reaches no second
    volunteer; the answer names the open request and where it stands."""
    repeat = _create(session, policy, sender, state, building, room, route_now=False)
    requests.take_as_repeat(session, repeat, into)
    lang = state.get("lang", "zh")
    text = t(lang, N_("resident.repeat"), number=into.number, category=requests.category_label(lang, into.category),
             home=into.household.label, status=t(lang, f"status.{into.status.value}"))
    return Message(text, lang, into.number)


def _tell_coordinators_of_limit(session: Session, phone: str, body: str) -> None:
    """Coordinators hear, once a day per number, that a number's new requests are being held."""
    since = clock.now() - timedelta(days=1)
    told = session.scalar(
        select(func.count(Outbox.id)).where(
            Outbox.purpose == Purpose.LIMIT, Outbox.about_phone == phone, Outbox.created_at >= since
        )
    )
    if told:
        return
    requests.tell_coordinators(session, N_("coordinator.limit"), purpose=Purpose.LIMIT, about_phone=phone,
                               phone=phone, details=body[:200])


def _create(session: Session, policy: Policy, sender: Sender, state: dict, building: int, room: str,
            route_now: bool = True) -> Request:
    on_behalf = bool(state.get("on_behalf"))
    own = sender.resident if sender.resident and not on_behalf else None
    return requests.open_request(
        session,
        policy,
        home=sender.household_at(building, room),
        category=Category(state.get("category") or Category.HELP),
        channel=Channel.SMS,
        asker=requests.Asker(
            phone=sender.phone,
            language=state.get("lang", "zh"),
            name=own.name if own else None,
            resident=own,
            on_behalf=on_behalf,
            prefers_voice=bool(own and own.prefers_voice),
        ),
        details=" / ".join(state.get("details", [])),
        urgent=bool(state.get("urgent")),
        emergency=bool(state.get("emergency")),
        drug=state.get("drug"),
        runs_out=state.get("runs_out"),
        route_now=route_now,
    )


def _alert_unplaced_emergency(session: Session, phone: str, body: str) -> None:
    """An emergency from someone whose address is not known yet: coordinators hear of it now."""
    requests.tell_coordinators(session, N_("coordinator.emergency_unplaced"), Lane.URGENT, phone=phone,
                               details=body[:200])


def _status(session, policy, sender: Sender, act: decide.ResidentWord, lang: str) -> str:
    """Where the sender's recent requests stand, or the one their message named (`act.only`)."""
    rows = [act.only] if act.only else requests.recent_of_asker(session, sender.phone, sender.resident_id, 8)
    if not rows:
        return t(lang, "resident.status_none")
    lines = [
        t(lang, "resident.status_line", number=r.number, category=requests.category_label(lang, r.category),
          status=t(lang, f"status.{r.status.value}"))
        for r in rows
    ]
    return t(lang, "resident.status_head") + "\n" + "\n".join(lines)


def _follow_up(session: Session, policy: Policy, sender: Sender, said: Reading, lang: str,
               only: Request | None = None) -> str:
    """Asking after open requests ("还没送到", "any update?"), or the one the message named (`only`): each goes
    on its timeline, its volunteer is reminded, the coordinators told the second time or when the words are
    urgent; the answer says where it stands and who has it (`decide` sends it here only while one is open)."""
    parsed = said.named
    lines = []
    for request in [only] if only else sender.open_requests()[:3]:
        told = requests.nudge(session, request, said.text, parsed.urgent or parsed.emergency,
                              transitions.RESIDENT_BY_SMS)
        volunteer = request.volunteer
        key = (N_("resident.nudged_coordinator") if told or volunteer is None or volunteer.role == Role.COORDINATOR
               else N_("resident.nudged"))
        lines.append(t(lang, key, number=request.number, category=requests.category_label(lang, request.category),
                       status=t(lang, f"status.{request.status.value}"),
                       volunteer=spoken.person(volunteer.name, lang) if volunteer else ""))
    return "\n".join(lines)


def _cancel(session, policy, sender: Sender, act: decide.ResidentWord, lang: str) -> str:
    request = act.only  # the one `decide` found, numbered or not
    try:
        requests.cancel(session, request, transitions.RESIDENT_BY_SMS)
    except requests.NotAllowed as e:
        return t(lang, e.msgid, **e.params)
    return t(lang, "resident.cancelled", number=request.number)


def _not_received(session, policy, sender: Sender, act: decide.ResidentWord, lang: str) -> str:
    request = act.only
    try:
        requests.reopen(session, policy, request, transitions.RESIDENT_BY_SMS)
    except requests.NotAllowed as e:
        return t(lang, e.msgid, **e.params)
    return t(lang, "resident.reopened", number=request.number)


def _thanks(session, policy, sender: Sender, act: decide.ResidentWord, lang: str) -> str:
    return t(lang, "resident.thanks")


def _language(session, policy, sender: Sender, act: decide.ResidentWord, lang: str) -> str:
    new = "en" if act.word == Word.ENGLISH else "zh"
    if sender.resident:
        sender.resident.language = new
    conversation = sender.current_row()
    if conversation:
        conversation.state = {**conversation.state, "lang": new}
    return t(new, "resident.language_set")


def _help(session, policy, sender: Sender, act: decide.ResidentWord, lang: str) -> str:
    conversation = sender.current_row()
    _save(session, policy, sender.phone, conversation, {**(conversation.state if conversation else {}), "lang": lang})
    known = sender.resident and sender.resident.household
    return t(lang, N_("sms.help_known") if known else N_("sms.help"))


def _join(session: Session, policy: Policy, sender: Sender, join: decide.Join, lang: str) -> Message:
    """Word the answer to JOIN, and book or ask as `decide` said. The answer is about the join (its
    number), never about another request."""
    offer, mine, quantity = join.offer, join.booked, join.quantity
    if join.next == "none":
        return Message(t(lang, "sms.join_none"), lang)
    if join.next == "quantity":
        return Message(t(lang, "sms.join_quantity", most=offers.MAX_QUANTITY), lang)
    if join.next == "closed":
        return Message(t(lang, "sms.join_closed", item=offer.item), lang)
    if join.next == "booked":
        return Message(t(lang, "sms.join_booked", number=mine.number, item=offer.item, quantity=mine.quantity),
                       lang, mine.number)
    if join.next == "change":
        offers.ask_change(session, policy, sender.phone, mine, quantity, lang)
        text = t(lang, "sms.join_change_ask", number=mine.number, item=offer.item, quantity=mine.quantity,
                 new=quantity)
        return Message(text, lang, mine.number)
    request = offers.join(session, policy, offer, sender.resident, quantity or 1, Channel.SMS)
    return Message(t(lang, "sms.joined", number=request.number, item=offer.item, quantity=request.quantity), lang,
                   request.number)


def _change_answered(session: Session, policy: Policy, sender: Sender, yes: bool) -> Reply:
    """Apply the 1 or 2 that answers "change your group buy to 3?", in the language it was asked in."""
    change, _ = sender.change()
    request, lang = change.request, change.lang
    try:
        changed = offers.answer_change(session, policy, sender.phone, change, yes, sender.resident)
    except offers.Closed:
        return (Message(t(lang, "sms.join_closed", item=request.offer.item), lang, request.number),)
    key = N_("sms.join_changed") if changed else N_("sms.join_kept")
    text = t(lang, key, number=request.number, item=request.offer.item, quantity=request.quantity)
    return (Message(text, lang, request.number),)


RESIDENT_WORDS = {
    Word.STATUS: _status,
    Word.LATE: _status,  # a resident's "超时了" / "late": where their requests stand
    Word.CANCEL: _cancel,
    Word.NOT_RECEIVED: _not_received,
    Word.ENGLISH: _language,
    Word.CHINESE: _language,
    Word.HELP: _help,
    Word.THANKS: _thanks,
}


# --------------------------------------------------------------------------------------------
# Volunteers
# --------------------------------------------------------------------------------------------
def _volunteer_change(action, done_msgid: str):
    """A word that changes one job, `request` as `decide` found it (the one numbered in `command`, None when no
    request has that number, or the volunteer's one job the word fits): `action(session, policy, request,
    volunteer, command)` may return more to say (the placeholders of `done_msgid` beyond the number and the
    household)."""
    def handle(session, policy, volunteer: Volunteer, command: Command, lang: str, request: Request | None) -> str:
        if request is None:
            return t(lang, "volunteer.not_found", number=command.number)
        try:
            said = action(session, policy, request, volunteer, command) or {}
        except requests.NotAllowed as e:
            return t(lang, e.msgid, **e.params)
        return t(lang, done_msgid, number=request.number, home=request.household.label, **said)

    return handle


def _take(session, policy, request: Request, volunteer: Volunteer, command: Command) -> None:
    requests.accept(session, policy, request, volunteer, coming=command.coming)


def _hand_over(session, policy, request: Request, volunteer: Volunteer, command: Command) -> None:
    requests.deliver(session, policy, request, volunteer)


def _pass_on(session, policy, request: Request, volunteer: Volunteer, command: Command) -> None:
    requests.decline(session, policy, request, volunteer)


def _left_unanswered(session, policy, request: Request, volunteer: Volunteer, command: Command) -> dict:
    """Delivered at a door nobody opened: and the flat gets a welfare check."""
    requests.deliver(session, policy, request, volunteer)
    check = requests.check_on(session, policy, request, volunteer, t(volunteer.first_language, "word.unanswered"))
    return {"check": check.number}


LIST_GROUPS = ((Status.ASSIGNED, N_("volunteer.list_to_accept")), (Status.ACCEPTED, N_("volunteer.list_taken")))


def _list(session: Session, volunteer: Volunteer, lang: str) -> list[str]:
    """LIST: the volunteer's open jobs, those to accept first, one line each (`#41 12-302 食物 ! 3小时`,
    `!` when urgent, its age since it was asked for), in as few SMS as they fit in."""
    mine = session.scalars(
        select(Request)
        .where(Request.volunteer_id == volunteer.id, Request.status.in_(WITH_A_VOLUNTEER))
        .options(selectinload(Request.household))
        .order_by(Request.urgent.desc(), Request.created_at, Request.id)
        .limit(late.READ_AT_MOST)
    ).all()
    if not mine:
        return [t(lang, "volunteer.list_empty")]
    now, lines = clock.now(), []
    for status, head in LIST_GROUPS:
        jobs = [r for r in mine if r.status == status]
        if jobs:
            lines.append(t(lang, head, count=len(jobs)))
        lines += [t(lang, "volunteer.list_line", number=r.number, home=r.household.label,
                    category=requests.category_label(lang, r.category), mark=" !" if r.urgent else "",
                    age=late.age(lang, now - r.created_at)) for r in jobs]
    return late.pack(lines[0], lines[1:], lambda left: t(lang, "volunteer.list_more",
                                                         count=sum(line.startswith("#") for line in lines[-left:])))


def _off(session, policy, volunteer: Volunteer, command: Command, lang: str, only: None) -> str:
    moved = requests.set_duty(session, policy, volunteer, False)
    return t(lang, "volunteer.off", count=len(moved))


def _on(session, policy, volunteer: Volunteer, command: Command, lang: str, only: None) -> str:
    requests.set_duty(session, policy, volunteer, True)
    return t(lang, "volunteer.on")


VOLUNTEER_WORDS = {
    Word.ACCEPT: _volunteer_change(_take, N_("volunteer.accepted")),
    Word.DONE: _volunteer_change(_hand_over, N_("volunteer.delivered")),
    Word.DECLINE: _volunteer_change(_pass_on, N_("volunteer.declined")),
    Word.UNANSWERED: _volunteer_change(_left_unanswered, N_("volunteer.delivered_unanswered")),
    Word.OFF: _off,
    Word.ON: _on,
}


def _opt(session: Session, policy: Policy, phone: str, volunteer: Volunteer | None, opted_out: bool) -> None:
    """Record STOP/START; a volunteer who opts out goes off duty and coordinators are told."""
    changed = outbox.set_opt_out(session, phone, opted_out)
    if opted_out and changed and volunteer and volunteer.role == Role.VOLUNTEER:
        requests.set_duty(session, policy, volunteer, False, reason="opted out")
        requests.tell_coordinators(session, N_("coordinator.volunteer_opted_out"), name=volunteer.name)


# --------------------------------------------------------------------------------------------
# Conversation rows
# --------------------------------------------------------------------------------------------
def _save(session: Session, policy: Policy, phone: str, row: Conversation | None, state: dict) -> None:
    expires = clock.now() + policy.conversation_ttl
    if row is None:
        session.add(Conversation(key=f"sms:{phone}", state=state, expires_at=expires))
    else:
        row.state, row.expires_at = state, expires


def _end(session: Session, row: Conversation | None) -> None:
    if row is not None:
        session.delete(row)
