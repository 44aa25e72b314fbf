"""Told by phone: the delivery call that asks "press 1 if nothing arrived", and unanswered calls retried.

Residents on landlines, and those who prefer voice, hear of acceptance and delivery by a call
(the outbox turns their SMS into `kind="call"`). A delivery call carries `purpose="receipt"`: it
says the request was delivered and asks the resident to press 1 if nothing arrived, which reopens
the request (the flow of `ivr_flows/receipt.json`). A call that rings out or finds the line busy
is placed again, at most `MAX_CALL_TRIES` times in all. Pure: no Flask, no Twilio.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

import ivr_flows
from hotline.domain import outbox, requests, voice
from hotline.domain.policy import Policy
from hotline.domain.replies import Reply
from hotline.models import Outbox, OutStatus, Request
from hotline.texts import LANGUAGES
from ivr_flows import engine

MAX_CALL_TRIES = 3
UNANSWERED = ("no-answer", "busy")
FLOW = "receipt"


def receipt_call(number: int, lang: str, base_url: str) -> Reply:
    """The opening of a delivery call (inline TwiML: Twilio asks for nothing before it)."""
    flow = ivr_flows.flow(FLOW)
    state, turn = engine.start(flow, {"number": int(number), "lang": _lang(lang)})
    _, reply = voice.render(state, turn, voice.Links(step=voice.placed_call_url(base_url, FLOW, number, lang)))
    return reply


def receipt_step(
    session: Session, policy: Policy, links: voice.Links, _main_links: voice.Links, call: voice.CallStep, number: int,
    lang: str,
) -> Reply:
    """The resident's answer on a delivery call: 1 (or "没收到") reopens the request."""
    flow = ivr_flows.flow(FLOW)
    row, state = voice.placed_call_state(session, call, flow, "number", int(number), lang)
    if flow.nodes[state["node"]]["type"] in engine.LISTENING:
        state, turn = engine.step(flow, state, engine.Inbound(digits=call.digits, speech=call.speech))
    else:
        state, turn = engine.start(flow, state, node=state["node"])
    state, turn, said = voice.run(session, policy, flow, state, turn, {"reopen": _reopen})
    state, reply = voice.render(state, turn, links, said)
    voice.save_call(session, call.call_sid, row, state)
    return reply


def _reopen(session: Session, policy: Policy, state: dict) -> tuple[str, list]:
    """Nothing arrived: reopen the request, if it is the called resident's and was delivered."""
    request = session.get(Request, state.get("number"))
    if request is None or not request.requester_phone or request.requester_phone != state.get("phone"):
        return "not_delivered", []
    try:
        requests.reopen(session, policy, request, "resident", "voice")
    except requests.NotAllowed:
        return "not_delivered", []
    return "reopened", []


def retry_unanswered(row: Outbox, call_status: str, policy: Policy, now: datetime) -> bool:
    """Place a call again that rang out or found the line busy; False when it is not one to retry.

    At most MAX_CALL_TRIES calls in all, spaced by HOTLINE_RETRY_DELAYS (see `outbox.requeue`).
    """
    if row.kind != "call" or call_status not in UNANSWERED or row.status != OutStatus.SENT:
        return False
    if row.attempts >= MAX_CALL_TRIES:
        return False
    delays = policy.retry_delays or (300,)
    delay = delays[min(max(row.attempts - 1, 0), len(delays) - 1)]
    outbox.requeue(row, now + timedelta(seconds=delay), f"{call_status} (call {row.attempts} of {MAX_CALL_TRIES})")
    return True


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else "zh"
