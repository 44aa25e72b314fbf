"""`POST /twilio/status`: delivery status of what we sent, moving only forward."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import select

from hotline import clock
from hotline.channels.webhooks import field, twilio_webhook
from hotline.domain import placed_calls
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Outbox

bp = Blueprint("status", __name__)

# Twilio's message and call statuses, in the order they can happen; finals share the last rank.
RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "initiated": 1, "sending": 2, "ringing": 2, "sent": 3,
    "in-progress": 3, "delivered": 4, "undelivered": 4, "failed": 4, "completed": 4, "busy": 4,
    "no-answer": 4, "canceled": 4, "read": 5,
}


@bp.post("/twilio/status")
@twilio_webhook
def callback():
    """Record a message's or call's new status, if it is further along than what we know."""
    sid = field("MessageSid", 64) or field("CallSid", 64)
    new = (field("MessageStatus", 20) or field("CallStatus", 20)).strip().lower()
    if not sid or new not in RANK:
        return "", 204
    row = db.session.scalar(select(Outbox).filter_by(twilio_sid=sid))
    policy = Policy.from_config(current_app.config)
    placed_again = row is not None and placed_calls.ended(db.session, policy, row, new, clock.now())
    if placed_again:  # rang out (or, for a check-in, heard nothing): the call goes out again
        db.session.commit()
        return "", 204
    if row is not None and RANK[new] > RANK.get(row.delivery_status or "", -1):
        row.delivery_status = new
        code = whole_number(field("ErrorCode", 20))
        if code is not None:
            row.error_code = code
        db.session.commit()
    return "", 204
