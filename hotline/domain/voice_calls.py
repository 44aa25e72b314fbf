"""Told by phone: the call about a request to whoever asked, and unanswered calls retried.

Residents on landlines, and those who prefer voice, hear of acceptance and delivery by a call (the
outbox turns what they would have read into `kind="call"`, `Purpose.RECEIPT`). No SMS text is read
out: the call's words are made from the request when the resident answers, as a person would say
them (the flow of `ivr_flows/receipt.json`): the hotline's and the compound's name first, then the
request number digit by digit, the volunteer's name as the resident's language says it and the
household as `12号楼302室` / `building 12, room 302`. It says where the request stands then: a call
that rang while the volunteer went on to deliver says it was delivered, and one call is enough
(queued calls about it are skipped; `outbox.supersede_calls`). A delivered request is followed by
"press 1 if nothing arrived", which reopens it. A call that rings out or finds the line busy is
placed again, at most `MAX_CALL_TRIES` times in all. Pure: no Flask, no Twilio.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hotline.domain import outbox, requests, transitions, voice
from hotline.domain.policy import Policy
from hotline.domain.replies import Redirect, Reply
from hotline.models import EventKind, Outbox, OutStatus, Purpose, Request, Status
from ivr_flows import engine

MAX_CALL_TRIES = 3
UNANSWERED = ("no-answer", "busy")
ASK = "ask"  # the flow's menu on a delivered request: 1 if nothing arrived
OPENING = 0  # the step number of the call's opening (its answers count on from 1)


def opening(placing: voice.Placing) -> Reply:
    """The opening of a call about a request: Twilio asks for the words when the call is answered.

    Inline TwiML is written before the call rings and knows neither the request as it will be
    then nor the compound's name, so it only sends Twilio on to `answer`.
    """
    return (Redirect(voice.with_step(placing.step, OPENING)),)


def answer(session: Session, policy: Policy, step: voice.PlacedStep) -> Reply:
    """A step of the call about a request: its opening when answered, then the resident's answer
    (on a delivered request, 1 or "没收到" reopens it)."""
    call, flow = step.call, step.flow
    request = session.get(Request, step.subject)
    if not _asked_by(request, call.callee):
        return voice.goodbye(step.lang)
    row = voice.call_row(session, call.call_sid)
    inbound = engine.Inbound(digits=call.digits, speech=call.speech)
    if row is not None and row.state.get("number") == request.number:
        state = dict(row.state)
        if flow.nodes[state["node"]]["type"] in engine.LISTENING:
            state, turn = engine.step(flow, state, inbound)
        else:
            state, turn = engine.start(flow, state, node=state["node"])
    elif not (call.digits or call.speech):  # the resident picked up: tell them where the request stands
        state, turn = engine.start(flow, _about(policy, request, step.lang, call.callee))
        outbox.supersede_calls(session, request, call.callee, outbox.TOLD)
    else:  # keys on a call placed before calls opened this way: it was asking at `ask`
        state = {**_about(policy, request, step.lang, call.callee), "node": ASK, "n": OPENING + 1}
        state, turn = engine.step(flow, state, inbound)
    state, turn, said = voice.run(session, policy, flow, state, turn, {"reopen": _reopen})
    state, reply = voice.render(state, turn, step.links, said)
    voice.save_call(session, call.call_sid, row, state)
    return reply


def _asked_by(request: Request | None, phone: str) -> bool:
    """Whether the call is to whoever asked for the request (nobody else hears of it)."""
    return bool(request is not None and request.purged_at is None and request.requester_phone
                and request.requester_phone == phone)


def _about(policy: Policy, request: Request, lang: str, phone: str) -> dict:
    """What the call says, taken from the request as it stands: the flow's flags and the words' facts."""
    volunteer = request.volunteer
    return {
        "number": request.number, "lang": lang, "phone": phone, "n": OPENING,
        "compound": policy.compound_name, "volunteer": volunteer.name if volunteer else "",
        "home": [request.household.building, request.household.room],
        request.status.value: True,  # `delivered`, `accepted`, `cancelled`: which the flow tells
        "coming": _coming(request, lang),
    }


def _coming(request: Request, lang: str) -> str:
    """When the volunteer who took the request said they will come, as the resident's SMS said it
    (`下午2点半`, `at 2:30pm`), when the call is in that language; else nothing."""
    if request.status != Status.ACCEPTED or lang != request.language:
        return ""
    taken = [event for event in request.events if event.kind == EventKind.ACCEPTED]
    return taken[-1].note if taken else ""


def _reopen(session: Session, policy: Policy, state: dict) -> tuple[str, list]:
    """Nothing arrived: reopen the request, if it is the called resident's and was delivered."""
    request = session.get(Request, state.get("number"))
    if request is None or not request.requester_phone or request.requester_phone != state.get("phone"):
        return "not_delivered", []
    try:
        requests.reopen(session, policy, request, transitions.RESIDENT_ON_A_CALL)
    except requests.NotAllowed:
        return "not_delivered", []
    return "reopened", []


def retry_unanswered(session: Session, policy: Policy, row: Outbox, call_status: str, now: datetime) -> bool:
    """Place a call again that rang out or found the line busy; False when it is not one to retry.

    At most MAX_CALL_TRIES calls in all, spaced by HOTLINE_RETRY_DELAYS (see `outbox.requeue`); a call
    about a request is not placed again once a later call about it to the same phone is on its way.
    """
    if row.kind != "call" or call_status not in UNANSWERED or row.status != OutStatus.SENT:
        return False
    if row.purpose == Purpose.RECEIPT and outbox.later_call(session, row):  # that one says where the request stands
        return False
    if row.attempts >= MAX_CALL_TRIES:
        return False
    delays = policy.retry_delays or (300,)
    delay = delays[min(max(row.attempts - 1, 0), len(delays) - 1)]
    outbox.requeue(row, now + timedelta(seconds=delay), f"{call_status} (call {row.attempts} of {MAX_CALL_TRIES})")
    return True
