"""The worker: sends the outbox at the number's pace, retries, recovers, and runs the timers.

Contract:
- a row is claimed atomically (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the write lock)
  under a lease, so two workers never send the same row;
- a row left in `sending` past its lease (its worker died) goes back to the queue and counts as
  a possible duplicate, as does a retry after an ambiguous failure (5xx, timeout): Twilio may
  have taken the first try;
- every claim books the row's segments on the shared send clock, so all workers together stay
  within HOTLINE_SEND_RATE;
- transient failures wait HOTLINE_RETRY_DELAYS (429 does not use up an attempt); permanent ones
  fail at once, and 21610 marks the number opted out;
- a message of a broadcast a coordinator stopped is cancelled, not sent, even when already claimed;
- SMS go by the SMS carrier (the gateway phone, when there is one), calls by the voice carrier; a
  carrier that cannot be reached at all (the phone is off) uses up no attempt: its rows wait,
  queued, and the rest of the batch for it is not tried.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import exc, select, update
from sqlalchemy.orm import Session, object_session

from hotline import clock
from hotline.channels import gateway, twilio
from hotline.database import CHECKPOINT_EVERY, DATABASE_DOWN, checkpoint, rollback_quietly
from hotline.domain import broadcast, carriers, checkins, outbox, phones, placed_calls, requests
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Outbox, OutStatus, SendClock

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
HORIZON = timedelta(seconds=2)  # how far ahead of its slot a row may be claimed
BATCH = 20
NOT_A_MOBILE = 21614
OFFLINE_WAIT = timedelta(seconds=60)  # how long a message for a carrier that cannot be reached waits


@dataclass(frozen=True)
class Claim:
    """A row this worker may send, and the moment its slot on the send clock opens."""

    id: int
    slot: datetime


def recover_expired(session: Session, now: datetime) -> int:
    """Put rows whose worker died back in the queue, counted as possible duplicates."""
    result = session.execute(
        update(Outbox)
        .where(Outbox.status == OutStatus.SENDING, Outbox.lease_until < now)
        .values(status=OutStatus.QUEUED, lease_owner=None, lease_until=None, duplicates=Outbox.duplicates + 1,
                last_error="worker lost its lease mid-send")
    )
    return result.rowcount or 0


def claim(session: Session, policy: Policy, owner: str, now: datetime, limit: int = BATCH) -> list[Claim]:
    """Claim due rows, most urgent lane first, booking each on the shared send clock."""
    send_clock = _locked_send_clock(session, now)
    rows = session.scalars(
        select(Outbox)
        .where(Outbox.status == OutStatus.QUEUED, Outbox.next_attempt_at <= now)
        .order_by(Outbox.lane, Outbox.next_attempt_at, Outbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claims = []
    for row in rows:
        slot = max(send_clock.next_free_at, now)
        if slot > now + HORIZON:
            break
        row.status, row.lease_owner, row.lease_until = OutStatus.SENDING, owner, now + LEASE + HORIZON
        row.attempts += 1
        send_clock.next_free_at = slot + timedelta(seconds=max(row.segments, 1) / policy.send_rate)
        claims.append(Claim(row.id, slot))
    return claims


def _locked_send_clock(session: Session, now: datetime) -> SendClock:
    """The shared send clock, locked for this transaction; the first worker ever creates it."""
    found = session.scalar(select(SendClock).filter_by(name="sms").with_for_update())
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(SendClock(name="sms", next_free_at=now))
    except exc.IntegrityError:  # another worker created it at the same moment
        pass
    return session.scalars(select(SendClock).filter_by(name="sms").with_for_update()).one()


def call_twiml(text: str, lang: str, row: Outbox | None = None, base_url: str | None = None) -> str:
    """The TwiML of a call: the opening of its kind (`placed_calls`), or `text` said twice, slowly."""
    if row is None:
        return twilio.render_voice(placed_calls.spoken(text, lang))
    return twilio.render_voice(placed_calls.opening(object_session(row), row, base_url))


def send(
    session: Session, policy: Policy, transport, row: Outbox, owner: str, status_callback: str | None
) -> twilio.SendError | None:
    """Send one claimed row through `transport` and record what happened; the caller commits. Return the
    failure, if the send failed.

    No transaction is open while the carrier is asked: a slow or hanging API must not hold a database
    lock (on SQLite, the write lock every webhook needs). The lease keeps the row ours meanwhile.
    """
    if row.status != OutStatus.SENDING or row.lease_owner != owner:
        return None  # our lease was taken over meanwhile
    if row.kind == "sms" and outbox.is_opted_out(session, row.to):
        _finish(row, OutStatus.SKIPPED, error="opted out")
        return None
    if broadcast.stopped(session, row):  # stopped after this worker took it: it does not go
        _finish(row, OutStatus.CANCELLED, error="the broadcast was stopped")
        return None
    if row.kind == "call" and not outbox.places_calls(session):  # queued before the phone was all there was
        _finish(row, OutStatus.BY_HAND)
        row.attempts -= 1
        return None
    row_id, kind, to, body = row.id, row.kind, row.to, row.body
    twiml = call_twiml(row.body, row.lang, row, policy.public_base_url) if kind == "call" else None
    row.transport = transport.name
    session.commit()
    try:
        if kind == "call":
            sid = transport.place_call(to, twiml, status_callback)
        else:
            sid = transport.send_sms(to, body, status_callback)
    except twilio.SendError as e:
        row = session.get(Outbox, row_id)
        if row.status == OutStatus.SENDING and row.lease_owner == owner:
            _failed(session, policy, row, e, clock.now())
        return e
    row = session.get(Outbox, row_id)
    if row.lease_owner != owner:  # another worker recovered it while Twilio answered: a copy may follow
        row.duplicates += 1
    _finish(row, OutStatus.SENT)
    row.twilio_sid, row.sent_at, row.delivery_status = sid, clock.now(), row.delivery_status or "queued"
    return None


def _finish(row: Outbox, status: OutStatus, error: str | None = None, code: int | None = None) -> None:
    row.status, row.lease_owner, row.lease_until = status, None, None
    if error is not None:
        row.last_error, row.error_code = error[:500], code


def _failed(session: Session, policy: Policy, row: Outbox, e: twilio.SendError, now: datetime) -> None:
    log.warning("send of outbox %s to %s failed: %s", row.id, phones.mask(row.to), e)
    if e.permanent:
        _finish(row, OutStatus.FAILED, str(e), e.code)
        if e.opted_out:
            outbox.set_opt_out(session, row.to, True)
        if e.code == NOT_A_MOBILE and row.kind == "sms":  # a landline phonenumbers did not know
            outbox.call_instead(session, row)
        return
    if e.offline:  # nothing was sent: the message waits for the carrier, however long it is away
        _wait(row, now + OFFLINE_WAIT, str(e))
        return
    if e.throttled:
        row.attempts -= 1  # 429 does not use up an attempt
    if e.ambiguous:
        row.duplicates += 1  # Twilio may have taken it: the retry may be a second copy
    if row.attempts > len(policy.retry_delays):
        _finish(row, OutStatus.FAILED, f"gave up after {row.attempts} attempts: {e}", e.code)
        return
    delay = policy.retry_delays[max(row.attempts - 1, 0)] if policy.retry_delays else 60
    _finish(row, OutStatus.QUEUED, str(e), e.code)
    row.next_attempt_at = now + timedelta(seconds=delay)


def _wait(row: Outbox, until: datetime, reason: str) -> None:
    """Put a claimed row back in the queue until `until`, without using up an attempt."""
    _finish(row, OutStatus.QUEUED, reason)
    row.attempts -= 1
    row.next_attempt_at = until


def carrier_failed(session: Session, policy: Policy, row: Outbox, reason: str, now: datetime) -> None:
    """A message the carrier took and then could not send (the gateway phone's `sms:failed`): tried again
    by the rules of a transient failure of the send itself, under a new id (events about the old one
    no longer find it), or failed for good when its attempts are used up."""
    row.twilio_sid, row.delivery_status = None, None
    _failed(session, policy, row, twilio.SendError(reason, permanent=False), now)
    if row.status == OutStatus.FAILED:
        row.delivery_status = "failed"


class Worker:
    """Sends and runs timers until told to stop."""

    def __init__(self, app: Flask, name: str | None = None):
        self.app = app
        self.owner = name or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self.policy = Policy.from_config(app.config)
        base = app.config["PUBLIC_BASE_URL"]
        self.status_callback = f"{base}/twilio/status" if base else None
        self.down_after = timedelta(seconds=app.config["HOTLINE_GATEWAY_DOWN_AFTER"])

    @property
    def transport(self):
        """The voice carrier the app was built with (and its SMS carrier too, without a gateway)."""
        return self.app.extensions["transport"]

    def carrier(self, row: Outbox):
        """The transport that sends `row`: the one it was queued for, else the SMS or the voice carrier."""
        sms = self.app.extensions["sms_transport"]
        if row.transport and not row.sent_at:
            chosen = {t.name: t for t in (sms, self.transport)}.get(row.transport)
            if chosen is not None:
                return chosen
        return sms if row.kind == "sms" else self.transport

    def send_due(self, wait_for_slots: bool = True) -> int:
        """Claim and send one batch of due rows; return how many were sent or settled."""
        with self.app.app_context():
            session = db.session
            now = clock.now()
            recover_expired(session, now)
            claims = claim(session, self.policy, self.owner, now)
            session.commit()
            away: set[str] = set()  # carriers found off line in this batch
            for c in claims:
                if self.stopping.is_set():
                    break  # unsent claims go back when their lease ends
                row = session.get(Outbox, c.id)
                transport = self.carrier(row)
                if transport.name in away:
                    if row.status == OutStatus.SENDING and row.lease_owner == self.owner:
                        _wait(row, clock.now() + OFFLINE_WAIT, f"{transport.name} cannot be reached")
                    session.commit()
                    continue
                if wait_for_slots:
                    pause = (c.slot - clock.now()).total_seconds()
                    if pause > 0:
                        session.commit()  # no transaction waits with it: on SQLite it would hold the write lock
                        self.stopping.wait(pause)
                failure = send(session, self.policy, transport, row, self.owner, self.status_callback)
                if failure is not None and failure.offline:
                    away.add(transport.name)
                session.commit()
            self._release_unsent(session, claims)
            return len(claims)

    def _release_unsent(self, session: Session, claims: list[Claim]) -> None:
        if not self.stopping.is_set() or not claims:
            return
        session.execute(
            update(Outbox)
            .where(Outbox.id.in_([c.id for c in claims]), Outbox.status == OutStatus.SENDING,
                   Outbox.lease_owner == self.owner)
            .values(status=OutStatus.QUEUED, lease_owner=None, lease_until=None, attempts=Outbox.attempts - 1)
        )
        session.commit()

    def replay_spool(self) -> int:
        """Take the inbound webhooks kept while the database was down, oldest first.

        One whose handling fails for another reason is set aside (kept, logged, purged by age), so it
        cannot hold up the ones behind it nor the worker's sending."""
        from hotline.channels.voice import take_spooled_call

        spool = self.app.extensions["spool"]
        replayed = 0
        for path in spool.pending():
            record = spool.read(path)
            if record is None:
                continue
            form = record.get("form", {})
            with self.app.app_context():
                try:
                    if record.get("kind") == "voice":
                        take_spooled_call(db.session, self.policy, record["sid"], form.get("From", ""),
                                          form.get("RecordingSid") or None)
                    else:
                        self._replay_sms(record["sid"], form.get("From", ""), form.get("Body", ""))
                except DATABASE_DOWN:
                    rollback_quietly(db.session)
                    return replayed  # still down: the rest waits, in order
                except Exception:
                    rollback_quietly(db.session)
                    log.exception("spooled %s %s could not be taken: set aside", record.get("kind"), record.get("sid"))
                    spool.set_aside(path, "failed")
                    continue
            spool.done(path)
            replayed += 1
        if replayed:
            log.info("replayed %d spooled message(s)", replayed)
        return replayed

    def _replay_sms(self, sid: str, sender: str, body: str) -> None:
        """Take a spooled SMS as the webhook would have: from a phone number, or from none."""
        from hotline.channels.twilio import render_sms
        from hotline.domain.inbox import take_from_no_phone, take_sms

        phone = phones.sender(sender, self.policy.region)
        if phone is None:
            take_from_no_phone(db.session, sid, sender, body, render_sms)
        else:
            carrier = gateway.NAME if sid.startswith(gateway.SID_PREFIX) else self.transport.name
            take_sms(db.session, self.policy, sid, phone, body, render_sms, queue_replies=True, transport=carrier)

    def run_timers(self, check_carriers: bool = True) -> int:
        """Move on requests whose timers are due, place the day's check-in calls, and (unless another
        thread does) ask the carriers that can go off line whether they answer."""
        with self.app.app_context():
            moved = requests.run_timers(db.session, self.policy)
            moved += checkins.schedule(db.session, self.policy)
            db.session.commit()
        if check_carriers:
            self.check_carriers()
        return moved

    def start_checking(self, every: float = 5.0) -> threading.Thread:
        """Ask the carriers in a thread of their own until the worker stops: a phone slow to answer its
        `/health` (at most SMS_GATEWAY_HEALTH_TIMEOUT) never holds up the sending."""

        def check() -> None:
            while not self.stopping.is_set():
                try:
                    self.check_carriers()
                except Exception:
                    log.exception("checking the carriers failed; trying again")
                    with self.app.app_context():
                        rollback_quietly(db.session)
                self.stopping.wait(every)

        checking = threading.Thread(target=check, name=f"{self.owner}-carriers", daemon=True)
        checking.start()
        return checking

    def check_carriers(self) -> None:
        """Ask the SMS carrier's `/health` (the gateway phone's; Twilio's is not ours to watch) when no
        worker did lately, and record the answer; a phone away too long is told to the coordinators,
        through Twilio when it carries calls."""
        carrier = self.app.extensions["sms_transport"]
        if not hasattr(carrier, "check_health"):
            return
        with self.app.app_context():
            if not carriers.due_for_check(db.session, carrier.name, clock.now()):
                return
            db.session.commit()  # no transaction is open while the phone is asked
            error = carrier.check_health()
            now, tell_by = clock.now(), self.transport.name if self.transport.name == "twilio" else None
            try:
                if error is None:
                    carriers.seen(db.session, carrier.name, now, checked=True)
                elif carriers.unreachable(db.session, carrier.name, error, now, self.down_after, tell_by):
                    log.warning("%s has not answered since %s: coordinators told", carrier.name, now)
                db.session.commit()
            except exc.IntegrityError:  # another worker recorded the first check at the same moment
                db.session.rollback()

    def tick(self) -> dict:
        """Run everything that is due once: timers, then the whole due outbox."""
        self.replay_spool()
        moved = self.run_timers()
        sent = 0
        while not self.stopping.is_set():
            batch = self.send_due()
            sent += batch
            if batch == 0:
                break
        self.checkpoint()
        return {"timers": moved, "sent": sent}

    def checkpoint(self) -> None:
        """Copy SQLite's write-ahead log into the database file, here rather than in a webhook's commit."""
        with self.app.app_context():
            checkpoint(db.engine)

    def run(self, idle: float = 0.25, timer_every: float = 5.0) -> None:
        """Loop until SIGTERM or SIGINT; a database hiccup is logged and retried."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        log.info("worker %s started", self.owner)
        checking = self.start_checking(timer_every)
        last_timers = last_checkpoint = 0.0
        while not self.stopping.is_set():
            try:
                self.replay_spool()
                if time.monotonic() - last_timers >= timer_every:
                    self.run_timers(check_carriers=False)
                    last_timers = time.monotonic()
                if time.monotonic() - last_checkpoint >= CHECKPOINT_EVERY:
                    self.checkpoint()
                    last_checkpoint = time.monotonic()
                if self.send_due() == 0:
                    self.stopping.wait(idle)
            except Exception:
                log.exception("worker step failed; retrying")
                with self.app.app_context():
                    db.session.rollback()
                self.stopping.wait(1.0)
        checking.join(timeout=self.app.config.get("SMS_GATEWAY_HEALTH_TIMEOUT", 3) + 1)
        log.info("worker %s stopped", self.owner)
