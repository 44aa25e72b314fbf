"""A hypothesis state machine over the request lifecycle, in-process on a SQLite file.

Residents and relatives text needs, cancel, and say a delivery never came; volunteers and the
coordinator answer OK / DONE / NO (with or without a number, in English or Chinese), go OFF and
ON; time passes by minutes or hours and the escalation timers run (`requests.run_timers` with an
injected clock). After every step, for every request:
- never two volunteers at once: an `accepted` only when nobody holds it, and from then on the
  request's volunteer is the one who accepted;
- `delivered` only after an `accepted`, from the accepted state;
- the timeline is append-only: what was there before is still there, unchanged, in order;
- the status is the one the last status-changing event says; a closed request has no timer.

FAST: 30 examples of up to 30 steps. FULL: 300 examples of up to 50 steps.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from hotline import create_app
from hotline.cli import sync_buildings
from hotline.domain import requests as lifecycle
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Base, Request, Status
from tests.conftest import START, SteppingClock
from tests.helpers import (
    BASE,
    CHEN_JIE,
    LI_WEI,
    LIU,
    SUN_HONG,
    TOM,
    WANG_FANG,
    ZHANG_MIN,
    Phone,
    load_roster,
    numbers_in,
)
from tests.reliability.stack import scale
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER

pytestmark = [pytest.mark.reliability, pytest.mark.xdist_group("reliability-a")]

VOLUNTEERS = [LI_WEI, ZHANG_MIN, CHEN_JIE, WANG_FANG, SUN_HONG]
STRANGERS = [f"+8613700002{i:03d}" for i in range(5)]
NEEDS = [
    (TOM, "I need food please, rice and eggs"),
    (LIU, "要米"),
    (LIU, "降压药明天吃完了，急需"),
    (STRANGERS[0], "12号楼302室 需要买菜"),
    (STRANGERS[1], "Bldg 12 Rm 501, need milk"),
    (STRANGERS[2], "7号楼1101室 需要帮忙搬东西"),
    (STRANGERS[3], "5号楼201室 急需胰岛素"),
    (STRANGERS[4], "20号楼808室 需要买菜"),  # no volunteer in building 20: the coordinator
]
VOLUNTEER_WORDS = ["OK", "DONE", "NO", "接", "完成", "不行"]
STATUS_OF = {
    "created": Status.NEW,
    "unassigned": Status.NEW,
    "assigned": Status.ASSIGNED,
    "accepted": Status.ACCEPTED,
    "reopened": Status.ACCEPTED,
    "delivered": Status.DELIVERED,
    "cancelled": Status.CANCELLED,
}
RELEASES = {"declined", "timed_out", "handed_on", "unassigned", "cancelled", "assigned"}


@pytest.fixture
def lifecycle_app(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/machine.db", "SECRET_KEY": "machine",
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "TWILIO_PHONE_NUMBER": HOTLINE_NUMBER, "PUBLIC_BASE_URL": BASE,
           "TWILIO_API_URL": "http://127.0.0.1:9", "HOTLINE_SPOOL_DIR": str(tmp_path / "spool")}
    app = create_app({"ENV": env, "TESTING": True}, clock=SteppingClock())
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def steps(r: Request) -> tuple:
    """The request's timeline as plain values, to compare with what it was."""
    return tuple((e.id, e.kind, e.at, e.actor_kind, e.actor_volunteer_id, e.volunteer_id, e.note) for e in r.events)


def check_timeline(r: Request, before: tuple) -> list[str]:
    """The invariants of one request; returns what is wrong."""
    problems = []
    events = steps(r)
    if events[: len(before)] != before:
        problems.append(f"#{r.id}: the timeline changed: {before} -> {events}")
    status, holder, last_change = None, None, None
    for _, kind, _, _, _, volunteer_id, _ in events:
        if kind == "accepted":
            if status not in (Status.NEW, Status.ASSIGNED):
                problems.append(f"#{r.id}: accepted while {status} (held by volunteer {holder})")
            holder = volunteer_id
        elif kind == "delivered" and status != Status.ACCEPTED:
            problems.append(f"#{r.id}: delivered while {status}, not accepted")
        elif kind in RELEASES:
            holder = None
        if kind in STATUS_OF:
            status, last_change = STATUS_OF[kind], kind
    if last_change is None or r.status != STATUS_OF[last_change]:
        problems.append(f"#{r.id}: status {r.status} but the last status-changing event is {last_change}")
    if r.status in (Status.ACCEPTED, Status.DELIVERED) and holder != r.volunteer_id:
        problems.append(f"#{r.id}: {r.status} by volunteer {holder} but its volunteer is {r.volunteer_id}")
    if r.status in (Status.DELIVERED, Status.CANCELLED) and r.escalate_at is not None:
        problems.append(f"#{r.id}: {r.status} with a timer still set")
    return problems


def test_request_lifecycle_state_machine(lifecycle_app, figures):
    app = lifecycle_app
    seen: Counter = Counter()  # event kinds over all examples, to show what was explored
    client = app.test_client()
    policy = Policy.from_config(app.config)

    class Lifecycle(RuleBasedStateMachine):
        @initialize()
        def fresh_compound(self):
            self.clock = app.extensions["clock"]
            self.clock.at = START  # each example starts at the same instant
            with app.app_context():
                for table in reversed(Base.metadata.sorted_tables):
                    db.session.execute(delete(table))
                db.session.commit()
                sync_buildings()
            load_roster(app)
            self.asker: dict[int, str] = {}
            self.timelines: dict[int, tuple] = {}

        def text(self, number: str, body: str) -> list[str]:
            return Phone(app, client, number).text(body)

        def pick(self, which: int) -> int:
            numbers = sorted(self.asker)
            return numbers[which % len(numbers)] if numbers else 999

        @rule(need=st.sampled_from(NEEDS))
        def resident_asks(self, need):
            phone, body = need
            for n in numbers_in(" ".join(self.text(phone, body))):
                self.asker.setdefault(n, phone)

        @rule(volunteer=st.sampled_from(VOLUNTEERS), word=st.sampled_from(VOLUNTEER_WORDS),
              which=st.integers(0, 20), with_number=st.booleans())
        def volunteer_answers(self, volunteer, word, which, with_number):
            self.text(volunteer, f"{word} {self.pick(which)}" if with_number else word)

        @rule(which=st.integers(0, 20), word=st.sampled_from(VOLUNTEER_WORDS), with_number=st.booleans())
        def its_volunteer_answers(self, which, word, with_number):
            number = self.pick(which)
            with app.app_context():
                r = db.session.get(Request, number)
                phone = r.volunteer.phone if r is not None and r.volunteer is not None else None
            if phone:
                self.text(phone, f"{word} {number}" if with_number else word)

        @rule(which=st.integers(0, 20))
        def its_volunteer_takes_and_delivers(self, which):
            for word in ("OK", "DONE"):
                self.its_volunteer_answers(which, word, True)

        @rule(volunteer=st.sampled_from(VOLUNTEERS[:-1]), word=st.sampled_from(["OFF", "ON", "下班", "上班", "LIST"]))
        def volunteer_duty(self, volunteer, word):
            self.text(volunteer, word)

        @rule(which=st.integers(0, 20), word=st.sampled_from(["取消", "cancel", "没收到", "not received"]))
        def asker_changes_their_mind(self, which, word):
            number = self.pick(which)
            if number in self.asker:
                self.text(self.asker[number], f"{word} {number}")

        @rule(seconds=st.sampled_from([60, 301, 901, 3600, 6 * 3600 + 1, 3 * 3600 + 1]))
        def time_passes(self, seconds):
            self.clock.advance(seconds=seconds)
            with app.app_context():
                lifecycle.run_timers(db.session, policy)
                db.session.commit()

        @invariant()
        def lifecycle_holds(self):
            if not hasattr(self, "timelines"):
                return
            with app.app_context():
                found = db.session.scalars(select(Request).options(selectinload(Request.events))).all()
                problems = []
                for r in found:
                    problems += check_timeline(r, self.timelines.get(r.id, ()))
                    self.timelines[r.id] = steps(r)
                assert set(self.timelines) == {r.id for r in found}, "a request disappeared"
            assert not problems, "\n".join(problems)

        def teardown(self):
            seen["examples"] += 1
            for timeline in getattr(self, "timelines", {}).values():
                seen["requests"] += 1
                seen.update(e[1] for e in timeline)

    run_state_machine_as_test(Lifecycle, settings=settings(
        max_examples=scale(20, 300), stateful_step_count=scale(30, 50), deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
    figures(**dict(seen.most_common()))
