"""Group buys that include the people without a chat.

A broadcast can carry an offer ("eggs, 30 for 45 yuan, delivered Thursday") with a deadline.
A resident who got it joins by replying `JOIN 2` / `参加 2` or, on the broadcast call, by
pressing 1 and keying a quantity. A join is a `food` request of the resident's household linked
to the offer, with its quantity; it is not offered to volunteers one by one (a group buy is
delivered together) and shows in the manifest per building. A second join from the same
household changes the quantity. After the deadline, joins are refused politely. Pure.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import clock
from hotline.domain import requests, transitions, voice
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy
from hotline.domain.replies import Reply
from hotline.models import Broadcast, Category, Channel, EventKind, Offer, Outbox, Request, Resident
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
    """The newest offer that was sent to this phone."""
    return session.scalar(
        select(Offer)
        .join(Outbox, Outbox.broadcast_id == Offer.broadcast_id)
        .where(Outbox.to == phone)
        .order_by(Offer.created_at.desc(), Offer.id.desc())
        .limit(1)
    )


def join(
    session: Session, policy: Policy, offer: Offer, resident: Resident, quantity: int, channel: Channel
) -> Request:
    """Join the offer for the resident's household (again: change the quantity); raises Closed."""
    if clock.now() >= offer.deadline:
        raise Closed(offer.id)
    quantity = max(1, min(quantity, MAX_QUANTITY))
    details = f"{offer.item} ×{quantity}"
    mine = session.scalar(
        select(Request).where(Request.offer_id == offer.id, Request.household_id == resident.household_id)
    )
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
        try:
            request = join(session, policy, offer, resident, int(state.get("quantity") or 1), Channel.VOICE)
        except Closed:
            return "closed", []
        state["number"] = request.number
        return "joined", []

    state, turn, said = voice.run(session, policy, flow, state, turn, {"join": join_by_key})
    state, reply = voice.render(state, turn, step.links, said)
    voice.save_call(session, call.call_sid, row, state)
    return reply
