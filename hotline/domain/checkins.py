"""Daily check-in calls: reaching the residents who would not ask.

Within the coordinators' window, on the chosen days, each resident who gets a check-in (by
default those flagged elderly and alone) is called once, in their language: "press 1 if all is
well, 2 if you need something". 2 goes straight on to the main menu's categories, in the same
call. A call that is not answered, finds the line busy, or hears nothing is placed once more
after `retry_minutes`; unreached twice, a request goes to the building's volunteer ("please
knock on 12-302") and the coordinators are told. Calls go through the outbox at the sender's
pace. Pure: no Flask, no Twilio.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exc, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from hotline import clock
from hotline.domain import decide, heard, outbox, requests, transitions, voice
from hotline.domain.policy import Policy
from hotline.domain.replies import Reply
from hotline.models import (
    Category,
    Channel,
    CheckIn,
    CheckInPlan,
    CheckInStatus,
    EventKind,
    Household,
    Lane,
    Outbox,
    OutStatus,
    Purpose,
    Request,
    Resident,
    Via,
)
from hotline.texts import N_, supported, t
from ivr_flows import engine

TRIES = 2
# Every status a call ends with. For a check-in call still waiting for its answer, each one means
# unanswered: "completed" too (picked up, no key pressed).
ENDED = ("no-answer", "busy", "failed", "canceled", "completed")


def plan(session: Session) -> CheckInPlan:
    """The coordinators' plan (created, switched off, on first use; two workers may both try)."""
    found = session.get(CheckInPlan, 1)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(CheckInPlan(id=1))
    except exc.IntegrityError:  # another worker created it at the same moment
        pass
    return session.get(CheckInPlan, 1, populate_existing=True)


def local_day(policy: Policy, now: datetime) -> date:
    """The day it is where the compound is."""
    return now.astimezone(policy.timezone).date()


def in_window(policy: Policy, settings: CheckInPlan, now: datetime) -> bool:
    """Tell whether now is a check-in day and time."""
    local = now.astimezone(policy.timezone)
    minute = local.hour * 60 + local.minute
    return (
        settings.enabled
        and str(local.isoweekday()) in settings.days
        and settings.start_minute <= minute < settings.end_minute
    )


def eligible(session: Session):
    """The residents who get a check-in call."""
    return select(Resident).where(
        Resident.household_id.is_not(None),
        or_(Resident.check_in.is_(True), Resident.check_in.is_(None) & Resident.elderly & Resident.alone),
    )


def schedule(session: Session, policy: Policy, now: datetime | None = None) -> int:
    """Place today's first calls for everyone not yet called today; return how many were placed."""
    now = now or clock.now()
    settings = plan(session)
    if not in_window(policy, settings, now):
        return 0
    day = local_day(policy, now)
    called = select(CheckIn.resident_id).where(CheckIn.day == day)
    return len(_call(session, session.scalars(eligible(session).where(Resident.id.not_in(called))
                                              .order_by(Resident.id)), day, now, now))


def _call(session: Session, residents, day: date, when: datetime, now: datetime) -> list[CheckIn]:
    """Make each resident's check-in of `day` and queue its first call for `when`."""
    made = [CheckIn(resident=resident, day=day, created_at=now, call_at=when) for resident in residents]
    session.add_all(made)
    session.flush()
    for checkin in made:
        _place_call(session, checkin, when)
    return made


@dataclass(frozen=True)
class Round:
    """What a coordinator's round of check-in calls did: calls queued, and residents left out."""

    placed: int
    already: int  # had a check-in call that day already
    no_home: int  # no household: nobody could go and knock if the call reaches nobody
    when: datetime


def start_round(session: Session, policy: Policy, residents: list[Resident], when: datetime | None = None,
                now: datetime | None = None) -> Round:
    """Call each of `residents` at `when` (now if not given), whatever the daily plan says: once a day each."""
    now = now or clock.now()
    when = max(when or now, now)
    day = local_day(policy, when)
    ids = [r.id for r in residents]
    called = set(session.scalars(select(CheckIn.resident_id).where(CheckIn.day == day, CheckIn.resident_id.in_(ids))))
    homed = [r for r in residents if r.household_id is not None]
    chosen = [r for r in homed if r.id not in called]
    _call(session, chosen, day, when, now)
    return Round(len(chosen), len(homed) - len(chosen), len(residents) - len(homed), when)


def calls_query(day: date | None = None):
    """Select check-in calls (of `day`, or of every day), latest first, each with its resident and flat."""
    query = (
        select(CheckIn)
        .join(Resident, CheckIn.resident_id == Resident.id)
        .outerjoin(Household, Resident.household_id == Household.id)
        .options(contains_eager(CheckIn.resident).contains_eager(Resident.household))
        .order_by(func.coalesce(CheckIn.call_at, CheckIn.created_at).desc(), CheckIn.id.desc())
    )
    return query.where(CheckIn.day == day) if day is not None else query


def _place_call(session: Session, checkin: CheckIn, when: datetime) -> Outbox:
    resident = checkin.resident
    lang = supported(resident.language)
    return outbox.queue_call(session, resident.phone, t(lang, "voice.checkin_ask"), lang, lane=Lane.NORMAL,
                             not_before=when, purpose=Purpose.CHECK_IN, check_in=checkin)


def opening(placing: voice.Placing) -> Reply:
    """The call's opening: "press 1 if all is well, 2 if you need something"."""
    return voice.open_placed(placing, checkin=placing.subject)


def answer(session: Session, policy: Policy, step: voice.PlacedStep) -> Reply:
    """The resident's answer: 1 all is well; 2 on to the main menu's categories; silence, once more;
    emergency or crisis words, straight on to the path they call for (the 120 advice, a person)."""
    call, flow = step.call, step.flow
    checkin = session.get(CheckIn, step.subject)
    if checkin is None or checkin.resident.phone != call.callee:
        return voice.goodbye(step.lang)
    row, state = voice.placed_call_state(session, step, "checkin")
    if call.speech and not call.digits:
        words = decide.at_menu(policy, flow.nodes.get(state.get("node", ""), {}), state, call.speech)
        if words.means in voice.GRAVE:  # "我摔倒了" on the check-in call: the resident's call's own path for it
            checkin.status, checkin.answered_at = CheckInStatus.HELP, clock.now()
            return voice.enter_main(session, policy, step.main_links, call, checkin.resident, state, [], words)
    state, turn = engine.step(flow, state, engine.Inbound(digits=call.digits, speech=call.speech))
    actions = {"fine": _fine, "need": _need}
    state, turn, said = voice.run(session, policy, flow, state, turn, actions)
    if state.get("then") == "main":
        return voice.enter_main(session, policy, step.main_links, call, checkin.resident, state, said)
    state, reply = voice.render(state, turn, step.links, said)
    voice.save_call(session, call.call_sid, row, state)
    return reply


def _fine(session: Session, policy: Policy, state: dict) -> tuple[str, list]:
    checkin = session.get(CheckIn, state["checkin"])
    checkin.status, checkin.answered_at = CheckInStatus.FINE, clock.now()
    return "done", []


def _need(session: Session, policy: Policy, state: dict) -> tuple[str, list]:
    checkin = session.get(CheckIn, state["checkin"])
    checkin.status, checkin.answered_at = CheckInStatus.HELP, clock.now()
    state["then"] = "main"
    return "done", []


def call_ended(session: Session, policy: Policy, row: Outbox, call_status: str, now: datetime) -> bool:
    """A check-in call ended: unanswered (or silent) once, call again; twice, someone knocks.

    Returns True when the call is placed again (its status callback is then spent).
    """
    checkin = row.check_in
    if checkin is not None and checkin.status == CheckInStatus.HELP and call_status in ENDED:
        _help_not_yet_asked(session, policy, checkin)
        return False
    if checkin is None or checkin.status != CheckInStatus.CALLING or call_status not in ENDED:
        return False
    if row.status != OutStatus.SENT:
        return False  # a late callback for a call already placed again
    settings = plan(session)
    if checkin.attempts < TRIES:
        checkin.attempts += 1
        outbox.requeue(row, now + timedelta(minutes=settings.retry_minutes),
                       f"check-in {call_status}, call {checkin.attempts} of {TRIES}")
        return True
    checkin.status = CheckInStatus.UNREACHED
    request = _someone_goes(session, policy, checkin, N_("checkin.knock"))
    transitions.record(request, EventKind.CHECK_IN_UNREACHED, transitions.HOTLINE, via=Via.VOICE,
                       note=f"{TRIES} calls, no answer")
    requests.alert_coordinators(session, request, N_("coordinator.checkin_unreached"), lane=Lane.NORMAL)
    return False


def _help_not_yet_asked(session: Session, policy: Policy, checkin: CheckIn) -> None:
    """The resident pressed 2 (I need something) and the call ended before a request was made: the
    building's volunteer goes to ask. Once: a second callback for the same call finds the request."""
    if checkin.request_id is not None:
        return
    made = session.scalar(select(Request.id).where(Request.resident_id == checkin.resident_id,
                                                   Request.created_at >= checkin.answered_at).limit(1))
    if made is not None:
        checkin.request_id = made
        return
    request = _someone_goes(session, policy, checkin, N_("checkin.ask_what"))
    transitions.record(request, EventKind.CHECK_IN_HELP, transitions.HOTLINE, via=Via.VOICE,
                       note="the call ended before the need was said")


def _someone_goes(session: Session, policy: Policy, checkin: CheckIn, msgid: str) -> Request:
    """A request for the building's volunteer to go to the resident's door."""
    resident = checkin.resident
    request = requests.open_request(
        session, policy, home=resident.household, category=Category.HELP, channel=Channel.VOICE,
        asker=requests.Asker(phone=resident.phone, language=resident.language, name=resident.name,
                             resident=resident, prefers_voice=resident.prefers_voice),
        details=t(resident.language, msgid, home=resident.household.label),
        actor=transitions.HOTLINE,
    )
    checkin.request_id = request.id
    return request


@dataclass(frozen=True)
class Today:
    """Today's check-ins, for the dashboard."""

    fine: int
    asked_for_help: int
    not_reached: int
    calling: int


def today(session: Session, policy: Policy, now: datetime | None = None) -> Today:
    """Count today's check-ins by outcome."""
    day = local_day(policy, now or clock.now())
    counts = dict(
        session.execute(select(CheckIn.status, func.count()).where(CheckIn.day == day).group_by(CheckIn.status)).all()
    )
    return Today(
        fine=counts.get(CheckInStatus.FINE, 0),
        asked_for_help=counts.get(CheckInStatus.HELP, 0),
        not_reached=counts.get(CheckInStatus.UNREACHED, 0),
        calling=counts.get(CheckInStatus.CALLING, 0),
    )


def not_heard_from(session: Session, policy: Policy, now: datetime | None = None) -> list[Resident]:
    """Residents living alone the hotline has not heard from (`heard`) for `silent_days`."""
    now = now or clock.now()
    since = now - timedelta(days=plan(session).silent_days)
    return list(session.scalars(
        select(Resident).where(Resident.alone.is_(True), Resident.created_at < since, heard.silent_since(since))
        .order_by(Resident.id)
    ))
