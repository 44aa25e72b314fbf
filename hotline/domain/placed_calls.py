"""The calls the hotline places, each kind declared once: its flow, its subject, its opening, how an
answer is applied, and what its status callback does.

A placed call is an outbox row of kind `call`. Its `purpose` picks its kind below, and the typed
key beside the purpose (`request_id`, `check_in_id`, `broadcast_id`) gives its subject. The worker
asks `opening` for what the callee hears first, `/twilio/voice/<kind>` hands each answer to
`answer`, and `/twilio/status` hands the call's end to `ended`: none of them knows the kinds. A call
of no kind (a message to a landline, an announcement that offers nothing) says its words twice and
hangs up, and is placed again when it rings out.

To add a kind: a `Purpose` member for its rows, its flow in `ivr_flows/`, its `opening` and `answer`
(and, if ringing out means more than "call again", its `ended`) in the domain module of its subject,
and one `PlacedCall` in `KINDS`. Pure: no Flask, no Twilio.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

import ivr_flows
from hotline.domain import checkins, offers, voice, voice_calls
from hotline.domain.policy import Policy
from hotline.domain.replies import Hangup, Pause, Reply, Say
from hotline.models import Outbox, Purpose
from hotline.texts import supported

Subject = Callable[[Session, Outbox], int | None]
Opening = Callable[[voice.Placing], Reply]
Answer = Callable[[Session, Policy, voice.PlacedStep], Reply]
Ended = Callable[[Session, Policy, Outbox, str, datetime], bool]


@dataclass(frozen=True)
class PlacedCall:
    """One kind of call the hotline places."""

    kind: str  # its answers come to `/twilio/voice/<kind>`
    param: str  # the parameter of that URL that names its subject
    purpose: Purpose  # the outbox rows that are calls of this kind
    flow: str  # its conversation: `ivr_flows/<flow>.json`
    subject: Subject  # what a row's call is about (None: the call is of no kind, it only speaks)
    opening: Opening  # what the callee hears first, when the call is placed
    answer: Answer  # how an answer (keys, words, silence) is applied
    ended: Ended = voice_calls.retry_unanswered  # its status callback: True when the call is placed again


KINDS = {
    placed.kind: placed
    for placed in (
        PlacedCall(  # acceptance and delivery, to whoever asked: says where the request stands when answered
            kind="receipt", param="r", purpose=Purpose.RECEIPT, flow="receipt",
            subject=lambda _session, row: row.request_id,
            opening=voice_calls.opening, answer=voice_calls.answer,
        ),
        PlacedCall(  # the daily check-in: 1 all is well, 2 on to the categories; unreached twice, someone knocks
            kind="checkin", param="c", purpose=Purpose.CHECK_IN, flow="checkin",
            subject=lambda _session, row: row.check_in_id,
            opening=checkins.opening, answer=checkins.answer, ended=checkins.call_ended,
        ),
        PlacedCall(  # a broadcast that carries a group buy: the announcement, then 1 to join and how many
            kind="offer", param="o", purpose=Purpose.BROADCAST, flow="offer",
            subject=offers.offer_of,
            opening=offers.opening, answer=offers.answer,
        ),
    )
}


def kind_of(row: Outbox) -> PlacedCall | None:
    """The kind of a placed call, by what it is for; None for a call of no kind, and for an SMS."""
    if row.kind != "call" or row.purpose is None:
        return None
    return next((placed for placed in KINDS.values() if placed.purpose == row.purpose), None)


def url(base_url: str, placed: PlacedCall, subject: int, lang: str) -> str:
    """Where the answers on a placed call go: its kind, its subject and its language."""
    return f"{base_url.rstrip('/')}/twilio/voice/{placed.kind}?{placed.param}={int(subject)}&lang={supported(lang)}"


def opening(session: Session, row: Outbox, base_url: str | None) -> Reply:
    """What the callee of an outbox call hears first: its kind's opening, else its words said twice.

    Without a base URL nothing could answer back, so every call only speaks.
    """
    placed = kind_of(row)
    subject = placed.subject(session, row) if placed is not None and base_url else None
    if placed is None or subject is None:
        return spoken(row.body, row.lang)
    lang = supported(row.lang)
    placing = voice.Placing(ivr_flows.flow(placed.flow), subject, row.body, lang, url(base_url, placed, subject, lang))
    return placed.opening(placing)


def spoken(text: str, lang: str) -> Reply:
    """A call that tells someone something: said twice, slowly, then the line is put down."""
    return (Say(text, lang), Pause(1), Say(text, lang), Hangup())


def answer(
    session: Session, policy: Policy, placed: PlacedCall, subject: int, lang: str, call: voice.CallStep,
    base_url: str, main_links: voice.Links,
) -> Reply:
    """Apply an answer on a placed call of kind `placed` about `subject`."""
    lang = supported(lang)
    links = voice.Links(step=url(base_url, placed, subject, lang))
    step = voice.PlacedStep(call, ivr_flows.flow(placed.flow), subject, lang, links, main_links)
    return placed.answer(session, policy, step)


def ended(session: Session, policy: Policy, row: Outbox, call_status: str, now: datetime) -> bool:
    """A placed call's status came: its kind says whether it goes out again (an SMS never does)."""
    if row.kind != "call":
        return False
    placed = kind_of(row)
    then = placed.ended if placed is not None else voice_calls.retry_unanswered
    return then(session, policy, row, call_status, now)
