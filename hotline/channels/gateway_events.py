"""`POST /gateway/events`: what the gateway phone tells the hotline, signed with the shared key.

- `sms:received` is taken by the very intake as Twilio's `/twilio/sms` (same replies, routing,
  languages, limits), once per envelope `id`; its replies go back through the outbox and the phone,
  since a webhook of the phone takes no answer.
- `sms:sent`, `sms:delivered` and `sms:failed` move the outbox row the phone sent forward, as
  Twilio's status callbacks do; a failed one is tried again by the rules of a transient failure.
- `system:ping`, like every status event, tells that the phone is alive.

Every event must carry `X-Signature` (HMAC-SHA256 of the raw body and `X-Timestamp`) made with
SMS_GATEWAY_SIGNING_KEY, at most five minutes from now: anything else is a 403 and touches nothing.
The phone retries a delivery that failed, so the same event may come twice.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, request
from sqlalchemy import exc, select

from hotline import clock
from hotline.channels import gateway
from hotline.channels.sms import take_or_spool
from hotline.channels.status import RANK
from hotline.domain import carriers
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Outbox
from hotline.worker import carrier_failed

bp = Blueprint("gateway", __name__)
log = logging.getLogger(__name__)
STATUSES = {gateway.SENT: "sent", gateway.DELIVERED: "delivered", gateway.FAILED: "failed"}


@bp.post("/gateway/events")
def event():
    """Take one signed event of the phone; answer 2xx once it is kept, so the phone stops retrying."""
    raw = request.get_data(cache=True)
    stamp, signature = request.headers.get("X-Timestamp", ""), request.headers.get("X-Signature", "")
    if not gateway.verify_signature(current_app.config["SMS_GATEWAY_SIGNING_KEY"], raw, stamp, signature,
                                    clock.now()):
        log.warning("refused a gateway event that is unsigned, forged or not of now")
        abort(403)
    found = gateway.read_event(raw)
    if found is None:
        log.warning("a signed gateway event is no envelope the app sends: refused")
        return {"error": "not an event"}, 400
    if found.kind == gateway.RECEIVED:
        take_or_spool(gateway.SID_PREFIX + found.id, found.sender, found.text, queue_replies=True, carrier=gateway.NAME)
    elif found.kind in STATUSES or found.kind == gateway.PING:
        record_sign_of_life(found)
    return "", 204


def record_sign_of_life(found: gateway.Event) -> None:
    """Record that the phone is alive, and what a status event says, in one transaction (tried twice:
    two first events at once both add the phone's health row)."""
    for attempt in (1, 2):
        carriers.seen(db.session, gateway.NAME, clock.now())
        if found.kind in STATUSES:
            record_status(found)
        try:
            db.session.commit()
            return
        except exc.IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise


def record_status(found: gateway.Event) -> None:
    """Move the row the phone sent as `found.message_id` forward; a failure sends it again later."""
    row = db.session.scalar(select(Outbox).filter_by(twilio_sid=found.message_id, transport=gateway.NAME))
    if row is None or not found.message_id:  # not ours, or an earlier attempt's, whose id was dropped
        return
    new = STATUSES[found.kind]
    if new == "failed":
        carrier_failed(db.session, Policy.from_config(current_app.config), row,
                       f"the phone could not send it: {found.reason or 'no reason given'}", clock.now())
    elif RANK[new] > RANK.get(row.delivery_status or "", -1):
        row.delivery_status = new
