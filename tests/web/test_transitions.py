"""The transition table, walked whole on each database: every change it allows, from every status, by
every way, works, and every other one is refused and changes nothing.

Twice: through `transitions.change` itself, and through the real entry points (a volunteer's or a
coordinator's SMS word, whoever asked by SMS or with a key on the hotline's call, the admin page's
forms, the worker's timer sweep), which must agree with the table.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admin.i18n import EVENT, VIA
from hotline import clock as hotline_clock
from hotline.domain import requests, transitions
from hotline.domain.transitions import CHANGES, TABLE, NotAllowed, Way
from hotline.extensions import db
from hotline.models import Category, Channel, EventKind, Request, Status, Via, Volunteer
from hotline.worker import Worker
from tests.admin.actions import AdminActions, add_users
from tests.calls import Caller
from tests.helpers import BASE, LI_WEI, SUN_HONG, Phone, coordinator_on_page, load_roster

ASKER = "+8613700001111"  # asked for 12-302; Li Wei is building 12's volunteer, Sun Hong a coordinator


@pytest.fixture
def compound(app, clock):
    load_roster(app)
    return app


def _volunteer(phone: str) -> Volunteer:
    return db.session.scalar(select(Volunteer).where(Volunteer.phone == phone))


def _request(status: Status, holder: str | None) -> Request:
    """A request for 12-302 that stands at `status`, held by the volunteer `holder` (none while `new`)."""
    now = hotline_clock.now()
    volunteer = _volunteer(holder) if holder and status != Status.NEW else None
    request = Request(category=Category.FOOD, household=requests.household(db.session, 12, "302"),
                      requester_phone=ASKER, language="zh", channel=Channel.SMS, status=status, volunteer=volunteer,
                      details="买菜", created_at=now - timedelta(hours=3))
    if volunteer is not None:
        request.assigned_at = now - timedelta(hours=3)
    if status in (Status.ASSIGNED, Status.ACCEPTED):
        request.escalate_at = now - timedelta(minutes=1)  # its timer is due
    if status in (Status.ACCEPTED, Status.DELIVERED):
        request.accepted_at = now - timedelta(hours=2)
    if status in (Status.DELIVERED, Status.CANCELLED):
        request.closed_at = now - timedelta(hours=1)
    request.delivered_at = request.closed_at if status == Status.DELIVERED else None
    db.session.add(request)
    transitions.record(request, EventKind.CREATED, transitions.RESIDENT_BY_SMS)
    db.session.flush()
    return request


def _actors() -> dict[Way, transitions.Actor]:
    """One actor of each way: Li Wei and Sun Hong by SMS, Sun Hong's user on the page, the hotline."""
    by_name = {Way.VOLUNTEER_SMS: transitions.by_sms(_volunteer(LI_WEI)),
               Way.COORDINATOR_SMS: transitions.by_sms(_volunteer(SUN_HONG)),
               Way.COORDINATOR_PAGE: coordinator_on_page(db.session)}
    return {way: by_name.get(way) or transitions.Actor(way) for way in Way}


def test_every_change_of_the_table_is_applied_and_every_other_is_refused(compound):
    applied = refused = 0
    with compound.app_context():
        actors = _actors()
        for status in Status:
            for event in sorted(CHANGES):
                for way, actor in actors.items():
                    request = _request(status, LI_WEI)
                    db.session.commit()
                    row = transitions.find(status, event, way)
                    if row is None:
                        with pytest.raises(NotAllowed):
                            transitions.change(request, event, actor)
                        refused += 1
                    else:
                        transitions.change(request, event, actor)
                        applied += 1
                    db.session.commit()
                    db.session.expire_all()
                    kept = db.session.get(Request, request.id)
                    if row is None:
                        assert (kept.status, [e.kind for e in kept.events]) == (status, [EventKind.CREATED])
                        continue
                    last = kept.events[-1]
                    assert kept.status == row.after, (status, event, way)
                    assert (last.kind, last.actor_kind, last.channel) == (event, actor.kind, transitions.WAY_VIA[way])
                    assert (last.actor_volunteer_id, last.actor_user_id) == (actor.volunteer_id, actor.user_id)
    ways = sum(len(row.by) * len(row.before) for row in TABLE)
    print(f"\ntransition table: {applied} changes applied, {refused} refused")
    assert applied == ways and applied + refused == len(Status) * len(CHANGES) * len(Way)


def test_steps_that_change_no_status_cannot_be_written_as_changes_and_the_reverse(compound):
    with compound.app_context():
        request = _request(Status.ASSIGNED, LI_WEI)
        for event in CHANGES:
            with pytest.raises(ValueError):
                transitions.record(request, event, transitions.HOTLINE)
        with pytest.raises(NotAllowed):
            transitions.change(request, EventKind.NOTE, transitions.HOTLINE)
        assert request.status == Status.ASSIGNED and len(request.events) == 1
        with pytest.raises(ValueError):  # a word by SMS names who texted it
            transitions.Actor(Way.VOLUNTEER_SMS)
        with pytest.raises(ValueError):
            transitions.Actor(Way.TIMER, user_id=1)


def test_every_event_and_channel_has_a_label_on_the_admin_page():
    assert set(EVENT) == set(EventKind) and set(VIA) == set(Via)


# --------------------------------------------------------------------------------------------
# The entry points
# --------------------------------------------------------------------------------------------
class Hands:
    """Everyone who can ask for a change, on the real webhooks, the admin page and the worker."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()
        self.page = AdminActions(self.client)
        add_users(app)
        assert self.page.login("sun").status_code == 302

    def text(self, phone: str, body: str) -> None:
        Phone(self.app, self.client, phone).text(body)

    def off_and_on(self, phone: str) -> None:
        self.text(phone, "OFF")
        self.text(phone, "ON")

    def status(self, number: int, event: EventKind) -> None:
        """Choose on the status form the status the change leads to."""
        self.page.post(f"/admin/requests/{number}/status", {"status-status": FORM[event], "status-reason": "walk"})

    def reassign(self, number: int) -> None:
        self.page.post(f"/admin/requests/{number}/reassign", {"reassign-volunteer": "", "reassign-reason": "walk"})

    def key_on_the_call(self, number: int) -> None:
        caller = Caller(self.client, ASKER)
        caller.outbound = True  # the hotline's call about the request: the resident presses 1
        caller._go(f"{BASE}/twilio/voice/receipt?r={number}&lang=zh&n=1", {"Digits": "1"})

    def cancel_said_on_a_call(self, number: int) -> None:
        """The resident calls with this request their only one, says 取消, and confirms it with 1."""
        phone = f"+8613710{number:06d}"
        with self.app.app_context():
            db.session.get(Request, number).requester_phone = phone
            db.session.commit()
        caller = Caller(self.client, phone).dial()
        caller.say("取消")
        if "要取消您的请求" in caller.text:  # asked only while the request is open
            caller.press("1")

    def timer(self, number: int) -> None:
        Worker(self.app).run_timers()


# Each change of the table that someone asks for, as they ask for it; routing's own (`assigned`,
# `unassigned` by the hotline) follow from the others and are checked with them.
DRIVERS = {
    (EventKind.ACCEPTED, Way.VOLUNTEER_SMS): lambda hands, n: hands.text(LI_WEI, f"OK {n}"),
    (EventKind.ACCEPTED, Way.COORDINATOR_SMS): lambda hands, n: hands.text(SUN_HONG, f"接 {n}"),
    (EventKind.ACCEPTED, Way.COORDINATOR_PAGE): lambda hands, n: hands.status(n, EventKind.ACCEPTED),
    (EventKind.DELIVERED, Way.VOLUNTEER_SMS): lambda hands, n: hands.text(LI_WEI, f"DONE {n}"),
    (EventKind.DELIVERED, Way.COORDINATOR_SMS): lambda hands, n: hands.text(SUN_HONG, f"完成 {n}"),
    (EventKind.DELIVERED, Way.COORDINATOR_PAGE): lambda hands, n: hands.status(n, EventKind.DELIVERED),
    (EventKind.DECLINED, Way.VOLUNTEER_SMS): lambda hands, n: hands.text(LI_WEI, f"NO {n}"),
    (EventKind.DECLINED, Way.COORDINATOR_SMS): lambda hands, n: hands.text(SUN_HONG, f"不行 {n}"),
    (EventKind.HANDED_ON, Way.VOLUNTEER_SMS): lambda hands, n: hands.off_and_on(LI_WEI),
    (EventKind.HANDED_ON, Way.COORDINATOR_SMS): lambda hands, n: hands.off_and_on(SUN_HONG),
    (EventKind.HANDED_ON, Way.COORDINATOR_PAGE): lambda hands, n: hands.reassign(n),
    (EventKind.TIMED_OUT, Way.TIMER): lambda hands, n: hands.timer(n),
    (EventKind.CANCELLED, Way.RESIDENT_SMS): lambda hands, n: hands.text(ASKER, f"CANCEL {n}"),
    (EventKind.CANCELLED, Way.RESIDENT_CALL): lambda hands, n: hands.cancel_said_on_a_call(n),
    (EventKind.CANCELLED, Way.COORDINATOR_PAGE): lambda hands, n: hands.status(n, EventKind.CANCELLED),
    (EventKind.REOPENED, Way.RESIDENT_SMS): lambda hands, n: hands.text(ASKER, f"没收到 {n}"),
    (EventKind.REOPENED, Way.RESIDENT_CALL): lambda hands, n: hands.key_on_the_call(n),
    (EventKind.REOPENED, Way.COORDINATOR_PAGE): lambda hands, n: hands.status(n, EventKind.REOPENED),
    (EventKind.RESTORED, Way.COORDINATOR_PAGE): lambda hands, n: hands.status(n, EventKind.RESTORED),
}
ROUTING = {EventKind.ASSIGNED, EventKind.UNASSIGNED}
# What the hotline does to a request it has just made, before anyone could ask for anything: a repeat of
# an open request folded into it (walked from the message that makes it in tests/web/test_repeats.py).
AS_MADE = {(EventKind.CANCELLED, Way.HOTLINE)}
# The page's status form names a status; it makes the change of the table that leads there.
FORM = {EventKind.ACCEPTED: Status.ACCEPTED, EventKind.DELIVERED: Status.DELIVERED,
        EventKind.CANCELLED: Status.CANCELLED, EventKind.REOPENED: Status.ACCEPTED, EventKind.RESTORED: Status.NEW}
# DONE without OK takes the request first, as marking it delivered on the page does (with a volunteer).
TAKEN_FIRST = {
    (EventKind.DELIVERED, Way.VOLUNTEER_SMS): {Status.ASSIGNED},
    (EventKind.DELIVERED, Way.COORDINATOR_SMS): {Status.ASSIGNED},
    (EventKind.DELIVERED, Way.COORDINATOR_PAGE): {Status.NEW, Status.ASSIGNED},
}


def test_every_change_someone_asks_for_has_its_entry_point_in_the_walk():
    asked = {(row.event, way) for row in TABLE for way in row.by if row.event not in ROUTING}
    assert set(DRIVERS) == asked - AS_MADE
    assert {way for row in TABLE if row.event in ROUTING for way in row.by} <= {Way.HOTLINE, Way.COORDINATOR_PAGE}


def expected(event: EventKind, way: Way, status: Status, held: bool) -> tuple[EventKind, ...]:
    """The changes the table says this entry point makes from `status` (none: refused)."""
    if way == Way.COORDINATOR_PAGE and event in FORM:
        event = next((row.event for row in TABLE if way in row.by and row.event in FORM and status in row.before
                      and row.after == FORM[event]), event)
        if event in (EventKind.ACCEPTED, EventKind.DELIVERED) and not held:
            return ()  # a coordinator takes a request for its volunteer: one nobody holds has none to take it
    if status in TAKEN_FIRST.get((event, way), ()) and transitions.allows(status, EventKind.ACCEPTED, way):
        return (EventKind.ACCEPTED, event)
    return (event,) if transitions.allows(status, event, way) else ()


def replay(status: Status, events: list[EventKind]) -> Status:
    """The status the table says these changes lead to from `status`."""
    for event in events:
        [after] = {row.after for row in TABLE if row.event == event and status in row.before}
        status = after
    return status


def test_the_entry_points_make_exactly_the_changes_of_the_table(compound, clock):
    hands = Hands(compound)
    made = refused = 0
    for (event, way), drive in DRIVERS.items():
        for status in Status:
            holder = SUN_HONG if way == Way.COORDINATOR_SMS else LI_WEI
            with compound.app_context():
                request = _request(status, holder)
                number, held = request.id, request.volunteer is not None
                db.session.commit()
            drive(hands, number)
            with compound.app_context():
                kept = db.session.get(Request, number)
                changes = [e.kind for e in kept.events if e.kind in CHANGES]
                final = kept.status
            want = expected(event, way, status, held)
            case = f"{event} by {way} from {status}: {changes}"
            if not want:
                assert (changes, final) == ([], status), case
                refused += 1
                continue
            assert changes[: len(want)] == list(want), case
            assert set(changes[len(want):]) <= ROUTING and len(changes) - len(want) <= 1, case
            assert replay(status, changes) == final, case
            made += 1
            clock.advance(minutes=1)
    print(f"\nentry points: {made} changes made, {refused} refused, as the table says")
    assert made and refused
