"""A call to the hotline: who is calling, the voice flow stepped, and the request made once.

`answer` takes a new call, `step` the keys or words at a menu, `recorded` the end of the voice
message (a recording, an empty one, or a hang-up), `dialled` the outcome of putting the caller
through to a person, `recording_ready` Twilio's word that the audio is stored. Each loads the
call's state (a conversation row keyed `call:<CallSid>`), steps the flow of `ivr_flows/voice.json`,
does what the flow asks of the domain (`do` nodes: open the request, list the caller's requests,
find the coordinator on duty, leave a callback, alert for an emergency or a crisis) and answers
with typed replies. Pure: no Flask, no Twilio; the handler commits.

Words are read as a text is and decided in `decide.at_menu` (with `hearing`): emergency or crisis words at any menu
or number entry take that path; at a menu, a need said in everyday words picks its category (and
keeps the words, the urgency and an address said with them), and words that name nothing clearly
are offered back as the closest choices.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import ivr_flows
from hotline import clock
from hotline.domain import decide, questions, requests, spoken, transitions
from hotline.domain.numerals import CHINESE_DIGIT, CHINESE_UNIT, chinese_digits
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy
from hotline.domain.replies import Dial, Gather, Hangup, Record, Redirect, Reply, Say, Verb
from hotline.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Conversation,
    EventKind,
    Household,
    Lane,
    Request,
    Resident,
    Role,
    Via,
    Volunteer,
)
from hotline.texts import N_, supported, t
from ivr_flows import engine

CALL_TTL = timedelta(hours=2)  # far longer than any call; expired rows are cleared as calls come in
SPOKEN_REQUESTS = 5  # at most this many requests are read out, newest first
GRAVE = ("crisis", "emergency")  # what words may mean wherever they are said (the flow's interrupts)
DIGIT_SEPARATOR = {"zh": "、", "en": ", "}  # a pause between digits: "4、5、7" is 四、五、七, not 四百五十七
KEY_NAMES = {"*": N_("voice.key.star")}
FLOW = "voice"


@dataclass(frozen=True)
class CallStep:
    """One of Twilio's requests about a call, already parsed out of the webhook."""

    call_sid: str
    caller: str  # `From`, in E.164 when it reads as a number
    callee: str = ""  # `To` (the resident, on a call the hotline placed)
    digits: str = ""
    speech: str = ""
    recording_sid: str | None = None
    dial_status: str | None = None
    hung_up: bool = False


@dataclass(frozen=True)
class Links:
    """Where Twilio is sent next; each answer adds its step number (`n=`) to them."""

    step: str
    record: str = ""
    dial: str = ""
    recording_status: str | None = None


@dataclass(frozen=True)
class Placing:
    """A call the hotline is about to place, as its kind's `opening` sees it (`placed_calls`)."""

    flow: engine.Flow
    subject: int  # what the call is about: a request's number, a check-in's id, an offer's id
    text: str  # the outbox row's words: an announcement's; on a call about a request, the record only
    lang: str  # `zh` or `en`
    step: str  # where its answers go: `/twilio/voice/<kind>?<param>=<subject>&lang=<lang>`


@dataclass(frozen=True)
class PlacedStep:
    """One answer on a call the hotline placed, as its kind's `answer` takes it (`placed_calls`)."""

    call: CallStep
    flow: engine.Flow
    subject: int
    lang: str  # `zh` or `en`
    links: Links  # where the call's next answer goes
    main_links: Links  # the main menu's, for a call that goes on to it


def with_step(url: str, n: int) -> str:
    """Add the step number to a link, so that a retried step is known as the same step."""
    return f"{url}{'&' if '?' in url else '?'}n={n}"


# --------------------------------------------------------------------------------------------
# The call's steps
# --------------------------------------------------------------------------------------------
def answer(session: Session, policy: Policy, links: Links, call: CallStep) -> Reply:
    """Take a new call: tell a resident from a stranger, and speak the main menu."""
    session.execute(delete(Conversation).where(Conversation.key.like("call:%"), Conversation.expires_at < clock.now()))
    resident = session.scalar(select(Resident).filter_by(phone=call.caller)) if call.caller else None
    state: dict = {"phone": call.caller, "n": 0}
    if resident is not None and resident.household is not None:
        state.update(known=True, resident_id=resident.id,
                     home=[resident.household.building, resident.household.room])
    lang = supported(resident.language if resident is not None else None)
    state["lang"] = lang
    flow = ivr_flows.flow(FLOW)
    state, turn = engine.start(flow, state)
    row = call_row(session, call.call_sid)
    return _answer(session, policy, links, call, flow, state, turn, row)


def step(session: Session, policy: Policy, links: Links, call: CallStep) -> Reply:
    """Take keys or words at a menu or a number entry (or their absence: silence)."""
    row = call_row(session, call.call_sid)
    if row is None:  # the call's state is gone: start again from the main menu
        return answer(session, policy, links, call)
    flow = ivr_flows.flow(FLOW)
    state = dict(row.state)
    node = flow.nodes.get(state.get("node", ""), {})
    if node.get("type") not in engine.LISTENING:  # a step the call has moved past: say where it is
        state, turn = engine.start(flow, state, node=state.get("node"))
        return _answer(session, policy, links, call, flow, state, turn, row)
    inbound = engine.Inbound(digits=call.digits, speech=call.speech)
    if call.speech and not call.digits:
        inbound = decide.at_menu(policy, node, state, call.speech)
        if node["type"] == "digits" and inbound.means is None:  # a number said in words
            inbound = engine.Inbound(digits=speech_digits(call.speech), speech=call.speech)
    before = state.get("category")
    state, turn = engine.step(flow, state, inbound, checks=_checks(policy))
    said = []
    if inbound.means and state.get("category") != before and engine.meant(node, inbound.means):
        lang = state["lang"]  # the words picked the category: say which, so the caller knows they were understood
        category = requests.category_label(lang, Category(state["category"]))
        said.append(Say(t(lang, N_("voice.heard_urgent") if state.get("urgent") else N_("voice.heard"),
                          category=category), lang))
    return _answer(session, policy, links, call, flow, state, turn, row, said)


def enter_main(
    session: Session, policy: Policy, links: Links, call: CallStep, resident: Resident, state: dict, said: list[Say],
    words: engine.Inbound | None = None,
) -> Reply:
    """Go on, in the same call, to the main menu's categories for a resident the hotline called (or,
    for grave words said on that call, `words` read by `decide.at_menu`, to the path they call for)."""
    main: dict = {"phone": resident.phone, "n": state.get("n", 0), "lang": state.get("lang", "zh")}
    if resident.household is not None:
        main.update(known=True, resident_id=resident.id, home=[resident.household.building, resident.household.room])
    flow = ivr_flows.flow(FLOW)
    main, turn = engine.start(flow, main, node="main")
    if words is not None:
        main, turn = engine.step(flow, main, words)
    main, turn, more = run(session, policy, flow, main, turn, ACTIONS)
    main, reply = render(main, turn, links, [*said, *more])
    save_call(session, call.call_sid, call_row(session, call.call_sid), main)
    return reply


def open_placed(placing: Placing, **facts) -> Reply:
    """The opening of a placed call that starts its flow at once (inline TwiML: Twilio asks for nothing
    before it); `facts` are what the flow's state starts with."""
    state, turn = engine.start(placing.flow, {**facts, "lang": placing.lang})
    _, reply = render(state, turn, Links(step=placing.step))
    return reply


def placed_call_state(session: Session, step: PlacedStep, key: str) -> tuple[Conversation | None, dict]:
    """The state of a call the hotline placed about `key`=its subject: resumed, or begun at step 1 of
    the flow's start (the call opened with inline TwiML, so its first answer is the first we hear of it)."""
    row = call_row(session, step.call.call_sid)
    if row is not None and row.state.get(key) == step.subject:
        return row, dict(row.state)
    return row, {"node": step.flow.start, "lang": step.lang, key: step.subject, "n": 1, "phone": step.call.callee}


def goodbye(lang: str) -> Reply:
    """Say goodbye and hang up."""
    lang = supported(lang)
    return (Say(t(lang, "voice.goodbye"), lang), Hangup())


def recorded(session: Session, policy: Policy, links: Links, call: CallStep) -> Reply:
    """The voice message ended (or was empty, or the caller hung up): make the request, once."""
    row = call_row(session, call.call_sid)
    if row is None:
        return (Hangup(),) if call.hung_up else answer(session, policy, links, call)
    flow = ivr_flows.flow(FLOW)
    state = dict(row.state)
    if call.recording_sid:
        state["recording_sid"] = call.recording_sid
    if flow.nodes.get(state.get("node", ""), {}).get("type") == "record":
        state, turn = engine.step(flow, state, engine.Inbound(event="recorded"))
    else:  # the message was already taken: say the number again
        state, turn = engine.start(flow, state, node=state.get("node"))
    reply = _answer(session, policy, links, call, flow, state, turn, row)
    return (Hangup(),) if call.hung_up else reply  # after a hang-up nobody hears it


def dialled(session: Session, policy: Policy, links: Links, call: CallStep) -> Reply:
    """The call to a person ended: done if they answered, else a callback is promised and kept."""
    row = call_row(session, call.call_sid)
    if row is None:
        return (Hangup(),)
    flow = ivr_flows.flow(FLOW)
    state = dict(row.state)
    if flow.nodes.get(state.get("node", ""), {}).get("type") == "dial":
        state, turn = engine.step(flow, state, engine.Inbound(event=(call.dial_status or "failed").lower()))
    else:
        state, turn = engine.start(flow, state, node=state.get("node"))
    return _answer(session, policy, links, call, flow, state, turn, row)


def recording_ready(session: Session, call: CallStep) -> None:
    """Twilio stored the recording: the call's request (made or to come) points at it."""
    row = call_row(session, call.call_sid)
    if row is None or not call.recording_sid:
        return
    state = dict(row.state)
    number = state.get("number")
    request = session.get(Request, number) if number else None
    if request is not None:
        if not request.recording_sid:
            request.recording_sid = call.recording_sid
            transitions.record(request, EventKind.RECORDING, transitions.HOTLINE, via=Via.VOICE)
    elif not state.get("recording_sid"):
        state["recording_sid"] = call.recording_sid
        row.state = state


def call_language(session: Session, call_sid: str) -> str:
    """The language a call is in, for an apology when something went wrong ("zh" if unknown)."""
    row = session.scalar(select(Conversation).filter_by(key=f"call:{call_sid}"))
    lang = row.state.get("lang") if row is not None else None
    return supported(lang)


# --------------------------------------------------------------------------------------------
# Running a flow's turn: the domain's actions, then typed replies
# --------------------------------------------------------------------------------------------
Action = Callable[[Session, Policy, dict], tuple[str, list[Say]]]


def run(
    session: Session, policy: Policy, flow: engine.Flow, state: dict, turn: engine.Turn, actions: dict[str, Action]
) -> tuple[dict, engine.Turn, list[Say]]:
    """Do what `do` nodes ask until the flow waits for the caller; return what to say first."""
    said: list[Say] = []
    for _ in range(engine.MAX_HOPS):
        if not isinstance(turn.then, engine.Do):
            return state, turn, said
        said.extend(speak(turn.prompts, state))
        outcome, spoken = actions[turn.then.action](session, policy, state)
        said.extend(spoken)
        state, turn = engine.step(flow, state, engine.Inbound(event=outcome))
    raise engine.FlowError(f"{flow.name}: the domain's actions loop")


def render(state: dict, turn: engine.Turn, links: Links, said: list[Say] | None = None) -> tuple[dict, Reply]:
    """Turn what the flow waits for into typed replies, under a new step number."""
    state = dict(state)
    n = state["n"] = int(state.get("n", 0)) + 1
    says = [*(said or []), *speak(turn.prompts, state)]
    lang = state.get("lang", "zh")
    then = turn.then
    verbs: list[Verb]
    if isinstance(then, engine.Listen):
        url = with_step(links.step, n)
        gather = Gather(action=url, prompts=tuple(says), lang=lang, timeout=then.timeout_s, num_digits=then.num_digits,
                        finish_on_key=then.finish_on_key, speech=then.speech, hints=then.hints)
        verbs = [gather, Redirect(url)]  # no key and no word: Twilio goes on here, and it is silence
    elif isinstance(then, engine.RecordMessage):
        url = with_step(links.record, n)
        status = with_step(links.recording_status, n) if links.recording_status else None
        # An empty recording makes no action request: Twilio goes on to the Redirect.
        verbs = [*says, Record(action=url, max_length=then.max_length_s, timeout=then.silence_s, finish_on_key="#",
                               recording_status_callback=status), Redirect(url)]
    elif isinstance(then, engine.CallPerson):
        verbs = [*says, Dial(number=state["person"], action=with_step(links.dial, n), timeout=then.timeout_s)]
    else:
        verbs = [*says, Hangup()]
    return state, tuple(verbs)


def speak(prompts: tuple[engine.Prompt, ...], state: dict) -> list[Say]:
    """Render the flow's prompts in their languages, with what the call knows filled in."""
    return [Say(t(p.lang, p.msgid, **_params(state, p.lang, p.key)), p.lang) for p in prompts]


def _params(state: dict, lang: str, key: str | None) -> dict[str, object]:
    home = state.get("home") or [None, None]
    building = state.get("building") or home[0]
    room = state.get("room") or home[1]
    number = state.get("number")
    return {
        "building": building or "",
        "room": spoken_digits(str(room), lang) if room else "",
        "number": spoken_digits(str(number), lang) if number else "",
        "input": state.get("input", ""),
        "text": state.get("text", ""),
        "quantity": state.get("quantity", ""),
        "booked": state.get("booked", ""),  # what a group buy's join already holds
        "key": spoken_key(key, lang) if key else "",
        "line": spoken_digits(str(state["line"]), lang) if state.get("line") else "",
        "address": spoken.address(building, room, lang) if building else "",
        "volunteer": _volunteer(state.get("volunteer") or "", lang),
        "time": state.get("coming", ""),
        "cancelling": spoken_digits(str(state["cancelling"]), lang) if state.get("cancelling") else "",
        "compound": spoken.place(state.get("compound") or "", lang),
    }


def _volunteer(name: str, lang: str) -> str:
    """Name the volunteer of a call's request as the listener's language does: `志愿者李伟`, `volunteer Li Wei`."""
    said = spoken.person(name, lang)
    return t(lang, N_("voice.volunteer_named"), name=said) if said else t(lang, N_("voice.volunteer_unnamed"))


def spoken_digits(value: str, lang: str) -> str:
    """Write a number to be said digit by digit: `457` -> `4、5、7` (`4, 5, 7` in English)."""
    return DIGIT_SEPARATOR.get(lang, ", ").join(value)


def spoken_key(key: str, lang: str) -> str:
    """Name a phone key: digits as they are, `*` as the star key."""
    return t(lang, KEY_NAMES[key]) if key in KEY_NAMES else key


def _answer(
    session: Session, policy: Policy, links: Links, call: CallStep, flow: engine.Flow, state: dict,
    turn: engine.Turn, row: Conversation | None, said: list[Say] | None = None,
) -> Reply:
    state = {**state, "phone": state.get("phone") or call.caller}
    state, turn, more = run(session, policy, flow, state, turn, ACTIONS)
    state, reply = render(state, turn, links, [*(said or []), *more])
    save_call(session, call.call_sid, row, state)
    return reply


# --------------------------------------------------------------------------------------------
# What the flow asks of the domain
# --------------------------------------------------------------------------------------------
def _open_request(session: Session, policy: Policy, state: dict) -> tuple[str, list[Say]]:
    """Make the call's request, exactly once (a retried step finds its number in the state)."""
    if state.get("number"):
        return "created", []
    home, resident = _household(session, policy, state)
    if home is None:
        raise ValueError("a voice request without a household")
    request = requests.open_request(
        session, policy, home=home, category=Category(state.get("category") or Category.HELP),
        channel=Channel.VOICE, asker=_asker(state, resident), recording_sid=state.get("recording_sid"),
        details=state.get("details") or "", urgent=bool(state.get("urgent")),
        drug=state.get("drug") if state.get("category") == Category.MEDICINE else None,
        runs_out=state.get("runs_out") if state.get("category") == Category.MEDICINE else None,
    )
    state["number"] = request.number
    return "created", []


def _emergency_request(session: Session, policy: Policy, state: dict) -> tuple[str, list[Say]]:
    """Nobody took the emergency call: an emergency request (urgent; the coordinators are alerted at
    once), or, before the household is known, the coordinators alerted with the number and the words."""
    if state.get("number"):
        return "created", []
    home, resident = _household(session, policy, state)
    if home is None:
        if not state.get("alerted"):
            requests.tell_coordinators(session, N_("coordinator.emergency_unplaced"), Lane.URGENT,
                                       phone=state.get("phone") or "-", details=state.get("details") or "-")
            state["alerted"] = True
        return "alerted", []
    request = requests.open_request(
        session, policy, home=home, category=Category(state.get("category") or Category.HELP),
        channel=Channel.VOICE, asker=_asker(state, resident), details=state.get("details") or "",
        urgent=True, emergency=True, recording_sid=state.get("recording_sid"),
    )
    state["number"] = request.number
    return "created", []


def _question(session: Session, policy: Policy, state: dict) -> tuple[str, list[Say]]:
    """A question (or a rumour) asked at the menu: the coordinators hear it, with the number to call back."""
    asked = state.setdefault("asked", [])
    details = state.get("question") or "-"
    if details not in asked:  # the same question twice in a call is told once
        questions.ask(session, N_("voice.coordinator_question"), state.get("phone") or "", details, Channel.VOICE,
                      state.get("lang") or "zh")
        asked.append(details)
    return "done", []


def _crisis(session: Session, policy: Policy, state: dict) -> tuple[str, list[Say]]:
    """Words of someone in crisis: the coordinators hear of it at once; the caller hears the crisis line."""
    state["line"] = policy.crisis_line
    if not state.get("alerted"):
        requests.tell_coordinators(session, N_("voice.coordinator_crisis"), Lane.URGENT,
                                   phone=state.get("phone") or "-", details=state.get("details") or "-")
        state["alerted"] = True
    return "done", []


def _list_requests(session: Session, policy: Policy, state: dict) -> tuple[str, list[Say]]:
    """Speak the caller's requests: open ones and those closed this week, each number digit by digit."""
    lang = state["lang"]
    rows = requests.recent_of_asker(session, state.get("phone") or "", state.get("resident_id"), SPOKEN_REQUESTS)
    if not rows:
        return "done", [Say(t(lang, "voice.no_requests"), lang)]
    lines = [
        Say(t(lang, "voice.request_line", number=spoken_digits(str(r.number), lang),
              category=requests.category_label(lang, r.category), status=t(lang, f"status.{r.status.value}")), lang)
        for r in rows
    ]
    return "done", lines


def _callers(state: dict):
    """Select the requests of whoever is calling (by their number, or as the resident they are)."""
    return requests.of_asker(state.get("phone") or "", state.get("resident_id"))


def _to_cancel(session: Session, policy: Policy, state: dict) -> tuple[str, list[Say]]:
    """The caller asked to cancel: their one open request, to confirm with one key (`one`); with none
    or several, their requests said, and how to cancel one of several by SMS."""
    lang = state["lang"]
    state.pop("cancelling", None)
    mine = session.scalars(_callers(state).where(Request.status.in_(OPEN_STATUSES)).order_by(Request.id).limit(2)).all()
    if len(mine) == 1:
        state["cancelling"] = mine[0].number
        return "one", []
    _, lines = _list_requests(session, policy, state)
    return "listed", [*lines, Say(t(lang, N_("voice.cancel_by_sms")), lang)] if mine else lines


def _cancel_request(session: Session, policy: Policy, state: dict) -> tuple[str, list[Say]]:
    """Cancel the request the caller confirmed, as their SMS would (its volunteer is told)."""
    lang = state["lang"]
    request = session.scalar(_callers(state).where(Request.id == state.pop("cancelling", None)))
    if request is None:
        return "kept", []
    try:
        requests.cancel(session, request, transitions.RESIDENT_ON_A_CALL)
    except requests.NotAllowed as e:
        return "kept", [Say(t(lang, e.msgid, **e.params), lang)]
    return "cancelled", [Say(t(lang, N_("voice.cancelled"), number=spoken_digits(str(request.number), lang)), lang)]


def _find_person(session: Session, policy: Policy, state: dict) -> tuple[str, list[Say]]:
    """The coordinator on duty: the first of the file's order."""
    coordinator = session.scalar(
        select(Volunteer)
        .where(Volunteer.role == Role.COORDINATOR, Volunteer.on_duty.is_(True), Volunteer.phone != state.get("phone"))
        .order_by(Volunteer.rank, Volunteer.id)
        .limit(1)
    )
    if coordinator is None:
        return "none", []
    state["person"] = coordinator.phone
    return "found", []


def _callback(session: Session, policy: Policy, state: dict) -> tuple[str, list[Say]]:
    """Nobody answered: a callback request for the caller's household, or coordinators told by SMS."""
    if state.get("number"):
        return "created", []
    lang = state["lang"]
    home, resident = _household(session, policy, state)
    if home is None:  # a stranger who never got to say where: coordinators call back
        requests.tell_coordinators(session, N_("voice.callback_unplaced"), Lane.URGENT,
                                   phone=state.get("phone") or "-")
        state["callback"] = "coordinators"
        return "alerted", []
    request = requests.open_request(
        session, policy, home=home, category=Category.HELP, channel=Channel.VOICE, asker=_asker(state, resident),
        details=t(lang, "voice.callback_details"),
    )
    state["number"] = request.number
    state["callback"] = "request"
    return "created", []


def call_back_later(session: Session, policy: Policy, phone: str, recording_sid: str | None) -> None:
    """A call the hotline could not take (its database was down): call the caller back.

    As when nobody answers: a callback request for a known caller's household (with the voice
    message, if one was left), else the coordinators are asked to call the number back.
    """
    resident = session.scalar(select(Resident).filter_by(phone=phone)) if phone else None
    state = {
        "phone": phone, "lang": resident.language if resident else "zh", "known": resident is not None,
        "resident_id": resident.id if resident else None,
    }
    _callback(session, policy, state)
    if recording_sid and state.get("number"):
        session.get(Request, state["number"]).recording_sid = recording_sid


ACTIONS: dict[str, Action] = {
    "open_request": _open_request,
    "list_requests": _list_requests,
    "find_person": _find_person,
    "callback": _callback,
    "emergency_request": _emergency_request,
    "crisis": _crisis,
    "question": _question,
    "to_cancel": _to_cancel,
    "cancel_request": _cancel_request,
}


def _household(session: Session, policy: Policy, state: dict) -> tuple[Household | None, Resident | None]:
    """Where the request is for: the household keyed in, else the known caller's own."""
    resident = session.get(Resident, state["resident_id"]) if state.get("resident_id") else None
    own = state.get("known") and not state.get("for_other") and resident is not None and resident.household
    if own:
        return resident.household, resident
    building, room = state.get("building"), state.get("room")
    if building and room and _is_building(policy, building) and decide.ROOM.fullmatch(room):
        return requests.household(session, int(building), room), None
    if resident is not None and resident.household and not state.get("for_other"):
        return resident.household, resident
    return None, None


def _asker(state: dict, resident: Resident | None) -> requests.Asker:
    on_behalf = bool(state.get("for_other"))
    own = resident if resident is not None and not on_behalf else None
    return requests.Asker(
        phone=state.get("phone") or None,
        language=state.get("lang", "zh"),
        name=own.name if own else None,
        resident=own,
        on_behalf=on_behalf,
        prefers_voice=bool(own and own.prefers_voice),
    )


def _checks(policy: Policy) -> dict[str, engine.Check]:
    return {"building": lambda value: _is_building(policy, value),
            "room": lambda value: bool(decide.ROOM.fullmatch(value))}


def _is_building(policy: Policy, value: str) -> bool:
    return whole_number(value, 6) in policy.buildings


# --------------------------------------------------------------------------------------------
# Numbers said aloud
# --------------------------------------------------------------------------------------------
_EN_NUMBER = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
    "twenty": "20", "thirty": "30",
}


def speech_digits(text: str) -> str:
    """The number in words a recogniser heard: `12`, `十二号楼`, `一二零一`, `twelve oh one` -> digits."""
    text = unicodedata.normalize("NFKC", text).lower()
    if re.search(r"\d", text):
        return "".join(re.findall(r"\d", text))
    chinese = "".join(ch for ch in text if ch in CHINESE_DIGIT or ch in CHINESE_UNIT)
    if chinese:
        return chinese_digits(chinese) or ""
    return "".join(_EN_NUMBER.get(word, "") for word in re.findall(r"[a-z]+", text))


# --------------------------------------------------------------------------------------------
# The call's row
# --------------------------------------------------------------------------------------------
def call_row(session: Session, call_sid: str) -> Conversation | None:
    """Return the call's state row, locked for this step (a step and a recording callback may cross)."""
    row = session.scalar(select(Conversation).filter_by(key=f"call:{call_sid}").with_for_update())
    if row is not None and row.expires_at <= clock.now():
        session.delete(row)
        session.flush()
        return None
    return row


def save_call(session: Session, call_sid: str, row: Conversation | None, state: dict) -> None:
    """Keep the call's state for its next step."""
    expires = clock.now() + CALL_TTL
    if row is None:
        session.add(Conversation(key=f"call:{call_sid}", state=state, expires_at=expires))
    else:
        row.state, row.expires_at = state, expires
    session.flush()
