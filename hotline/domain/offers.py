"""Group buys that include the people without a chat.

A broadcast can carry an offer ("eggs, 30 for 45 yuan, delivered Thursday") with a deadline.
A resident who got it joins by replying `JOIN 2` / `参加 2` (the SMS says how) or, on the broadcast
call, by pressing 1 and keying a quantity. A `参加` goes to the newest open group buy the phone
received (a message of it was sent to it), never to another request. A join is a `food` request of
the resident's household linked to the offer, with its quantity; it is not offered to volunteers one
by one (a group buy is delivered together) and shows in the manifest per building. A second `参加`
by SMS says what is booked and asks "change it to 3? reply 1 for yes, 2 for no" before it changes
anything (the question waits in a conversation row of its own, `join:<phone>`); a second join on a
call does the same by voice: what is booked, then 1 to change it, 2 to keep it (the call's state
holds the question). After the deadline, joins are refused politely. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import clock
from hotline.domain import requests, transitions, voice
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy
from hotline.domain.replies import Reply
from hotline.models import (
    Broadcast,
    Category,
    Channel,
    Conversation,
    EventKind,
    Offer,
    Outbox,
    OutStatus,
    Request,
    Resident,
)
from ivr_flows import engine

MAX_QUANTITY = 99


class Closed(Exception):
    """The offer's deadline has passed."""


def create(session: Session, broadcast: Broadcast, item: str, deadline: datetime) -> Offer:
    """Attach an offer to a broadcast (in the transaction that sends it, before any of it is placed)."""
    offer = Offer(broadcast=broadcast, item=item.strip()[:120], deadline=deadline, created_at=clock.now())
    session.add(offer)
    session.flush()
    return offer


def offer_of(session: Session, row: Outbox) -> int | None:
    """The offer a broadcast's message carries, if any: its call then asks to join."""
    if row.broadcast_id is None:
        return None
    return session.scalar(select(Offer.id).filter_by(broadcast_id=row.broadcast_id))


def reached(session: Session, phone: str) -> Offer | None:
    """The newest open offer a message was sent to this phone about; else the newest closed one (to say it
    closed); None when no offer reached it (one scheduled for later, or stopped, has not)."""
    received = (
        select(Offer)
        .join(Outbox, Outbox.broadcast_id == Offer.broadcast_id)
        .where(Outbox.to == phone, Outbox.status == OutStatus.SENT)
        .order_by(Offer.created_at.desc(), Offer.id.desc())
        .limit(1)
    )
    return session.scalar(received.where(Offer.deadline > clock.now())) or session.scalar(received)


def booked(session: Session, offer: Offer, resident: Resident) -> Request | None:
    """The household's join of the offer, if it joined."""
    if resident.household_id is None:
        return None
    return session.scalar(
        select(Request).where(Request.offer_id == offer.id, Request.household_id == resident.household_id)
    )


@dataclass(frozen=True)
class Change:
    """A change of quantity the resident was asked to confirm."""

    request: Request
    quantity: int
    lang: str


def ask_change(session: Session, policy: Policy, phone: str, request: Request, quantity: int, lang: str) -> None:
    """Keep the change the resident is asked to confirm ("change it to 3?"), until the conversation expires."""
    state = {"request": request.id, "quantity": quantity, "lang": lang}
    row = _change_row(session, phone)
    expires = clock.now() + policy.conversation_ttl
    if row is None:
        session.add(Conversation(key=f"join:{phone}", state=state, expires_at=expires))
    else:
        row.state, row.expires_at = state, expires


def asked_change(session: Session, phone: str) -> tuple[Change, datetime] | None:
    """The change this phone was asked to confirm, and when it was asked; None when none waits."""
    row = _change_row(session, phone)
    if row is None or row.expires_at <= clock.now():
        return None
    request = session.get(Request, row.state.get("request"))
    if request is None or request.offer is None:
        return None
    return Change(request, int(row.state.get("quantity") or 1), row.state.get("lang") or "zh"), row.updated_at


def answer_change(session: Session, policy: Policy, phone: str, change: Change, yes: bool, resident: Resident) -> bool:
    """Apply (yes) or drop (no) the change asked; the question is answered either way. Raises Closed when the
    offer closed meanwhile; True when the quantity changed."""
    row = _change_row(session, phone)
    if row is not None:
        session.delete(row)
    if not yes:
        return False
    join(session, policy, change.request.offer, resident, change.quantity, Channel.SMS)
    return True


def _change_row(session: Session, phone: str) -> Conversation | None:
    return session.scalar(select(Conversation).filter_by(key=f"join:{phone}"))


def join(
    session: Session, policy: Policy, offer: Offer, resident: Resident, quantity: int, channel: Channel
) -> Request:
    """Join the offer for the resident's household (again: change the quantity); raises Closed."""
    if clock.now() >= offer.deadline:
        raise Closed(offer.id)
    quantity = max(1, min(quantity, MAX_QUANTITY))
    details = f"{offer.item} ×{quantity}"
    mine = booked(session, offer, resident)
    if mine is not None:
        mine.quantity, mine.details = quantity, details
        transitions.record(mine, EventKind.QUANTITY_CHANGED, transitions.resident(channel), note=details)
        return mine
    request = requests.open_request(
        session, policy, home=resident.household, category=Category.FOOD, channel=channel,
        asker=requests.Asker(phone=resident.phone, language=resident.language, name=resident.name,
                             resident=resident, prefers_voice=resident.prefers_voice),
        details=details, route_now=False,
    )
    request.offer_id, request.quantity = offer.id, quantity
    transitions.record(request, EventKind.JOINED_OFFER, transitions.resident(channel), note=details)
    return request


def opening(placing: voice.Placing) -> Reply:
    """The offer's call: the announcement, then "press 1 to join"."""
    return voice.open_placed(placing, offer=placing.subject, text=placing.text)


def answer(session: Session, policy: Policy, step: voice.PlacedStep) -> Reply:
    """Keys on an offer's call: 1 to join, then how many."""
    call, flow = step.call, step.flow
    offer = session.get(Offer, step.subject)
    resident = session.scalar(select(Resident).filter_by(phone=call.callee)) if call.callee else None
    if offer is None or resident is None or resident.household is None:
        return voice.goodbye(step.lang)
    row, state = voice.placed_call_state(session, step, "offer")
    checks = {"quantity": lambda value: 1 <= (whole_number(value) or 0) <= MAX_QUANTITY}
    state, turn = engine.step(flow, state, engine.Inbound(digits=call.digits, speech=call.speech), checks=checks)

    def join_by_key(session: Session, policy: Policy, state: dict) -> tuple[str, list]:
        mine = booked(session, offer, resident)
        if mine is not None and clock.now() < offer.deadline:  # joined before: say what is booked, ask first
            state["number"], state["booked"] = mine.number, mine.quantity
            return ("same" if mine.quantity == int(state.get("quantity") or 1) else "booked"), []
        return change_by_key(session, policy, state)

    def change_by_key(session: Session, policy: Policy, state: dict) -> tuple[str, list]:
        try:
            request = join(session, policy, offer, resident, int(state.get("quantity") or 1), Channel.VOICE)
        except Closed:
            return "closed", []
        state["number"] = request.number
        return "joined", []

    state, turn, said = voice.run(session, policy, flow, state, turn, {"join": join_by_key, "change": change_by_key})
    state, reply = voice.render(state, turn, step.links, said)
    voice.save_call(session, call.call_sid, row, state)
    return reply
