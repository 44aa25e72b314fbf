"""A request an SMS makes is routed by the worker's next round: the webhook writes it `new` and answers; the
worker gives it to a volunteer, once, whoever races it; the answer already said what routing then does."""

from __future__ import annotations

import signal
import threading

import pytest
from sqlalchemy import func, select, update

from hotline import texts
from hotline.extensions import db
from hotline.models import EventKind, Outbox, RequestEvent, Role, Status, Volunteer
from hotline.worker import Worker
from tests.helpers import LI_WEI, SUN_HONG, TOM, ZHANG_MIN, get_request, load_roster, numbers_in, route_waiting

STRANGER = "+8613700001111"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def off_duty(app, *phones: str) -> None:
    with app.app_context():
        db.session.execute(update(Volunteer).where(Volunteer.phone.in_(phones)).values(on_duty=False))
        db.session.commit()


def alerts_about(app, number: int) -> list[str]:
    """The SMS queued to volunteers and coordinators about request `number`."""
    with app.app_context():
        staff = select(Volunteer.phone)
        return list(db.session.scalars(select(Outbox.to).where(Outbox.request_id == number, Outbox.to.in_(staff))))


def test_an_sms_request_waits_new_and_the_workers_round_routes_it_once(app, phone):
    [n] = numbers_in(phone(STRANGER).reply_waiting("12号楼302室 需要买菜"))
    waiting = get_request(app, n)
    assert (waiting.status, waiting.volunteer, [e.kind for e in waiting.events]) == (Status.NEW, None, ["created"])
    assert alerts_about(app, n) == []
    assert route_waiting(app) == 1
    routed = get_request(app, n)
    assert routed.status == Status.ASSIGNED and routed.volunteer.phone == LI_WEI and routed.escalate_at is not None
    assert alerts_about(app, n) == [LI_WEI] and f"#{n}" in phone(LI_WEI).last()
    assert route_waiting(app) == 0  # nothing waits: a second round writes nothing
    assert alerts_about(app, n) == [LI_WEI]
    assert [e.kind for e in get_request(app, n).events] == ["created", "assigned"]


def test_a_request_cancelled_before_the_round_is_not_routed(app, phone):
    [n] = numbers_in(phone(STRANGER).reply_waiting("12号楼302室 需要买菜"))
    phone(STRANGER).text(f"取消 {n}", worker=False)
    assert route_waiting(app) == 0
    assert get_request(app, n).status == Status.CANCELLED and alerts_about(app, n) == []


def test_an_emergency_is_routed_in_the_webhook(app, phone):
    replies = phone(STRANGER).text("12号楼302室 我妈摔倒了 起不来", worker=False)
    [n] = [m for r in replies for m in numbers_in(r)]
    emergency = get_request(app, n)
    assert emergency.emergency and emergency.status == Status.ASSIGNED and emergency.volunteer.phone == LI_WEI
    assert LI_WEI in alerts_about(app, n) and SUN_HONG in alerts_about(app, n)


def test_two_workers_routing_at_once_give_each_request_one_volunteer(app, phone):
    for room in range(101, 131):
        phone(f"+86137000{room:05d}").text(f"12号楼{room}室 需要买菜", worker=False)
    workers, start = [Worker(app), Worker(app)], threading.Barrier(2)
    routed, errors = [], []

    def round_of(worker: Worker) -> None:
        start.wait()
        try:
            routed.append(worker.route_waiting())
        except Exception as error:  # pragma: no cover - what the assertion below reports
            errors.append(error)

    threads = [threading.Thread(target=round_of, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sum(routed) == 30
    with app.app_context():
        assigned = db.session.execute(
            select(RequestEvent.request_id, func.count()).where(RequestEvent.kind == EventKind.ASSIGNED)
            .group_by(RequestEvent.request_id)).all()
        alerts = db.session.scalar(select(func.count(Outbox.id)).where(Outbox.to.in_([LI_WEI, ZHANG_MIN])))
    assert sorted(n for _, n in assigned) == [1] * 30 and alerts == 30


def test_the_running_worker_routes_what_an_sms_left(app, phone):
    worker = Worker(app)
    [n] = numbers_in(phone(STRANGER).reply_waiting("12号楼302室 需要买菜"))

    def stop_once_routed() -> None:  # the loop runs in this test's thread: SIGTERM's handler is the main thread's
        for _ in range(1000):
            if get_request(app, n).status == Status.ASSIGNED:
                break
            worker.stopping.wait(0.01)
        worker.stopping.set()

    watching = threading.Thread(target=stop_once_routed)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    watching.start()
    try:
        worker.run(idle=0.01)
    finally:
        watching.join()
        for sig, handler in handlers.items():  # the loop took SIGTERM and SIGINT: they are the test run's again
            signal.signal(sig, handler)
    assert get_request(app, n).volunteer.phone == LI_WEI


@pytest.mark.parametrize("sender, messages, building, off", [
    (STRANGER, ["13号楼101室 需要买菜"], 13, [ZHANG_MIN]),  # the building named with the need
    (STRANGER, ["需要买菜", "13号楼101室"], 13, [ZHANG_MIN]),  # the address asked for, then given
    (STRANGER, ["13号楼101室", "需要买菜"], 13, [ZHANG_MIN]),  # the address first: the need names no building
    (TOM, ["I need food please"], 7, ["+8613900000071"]),  # a resident on the roster: their own building
    (ZHANG_MIN, ["13号楼101室 需要买菜"], 13, []),  # the building's only volunteer asks: never sent their own
])
@pytest.mark.parametrize("on_duty", [True, False])
def test_the_answer_says_what_the_workers_routing_then_does(app, phone, sender, messages, building, off, on_duty):
    if not on_duty:
        off_duty(app, *off)
    for words in messages:
        replies = phone(sender).text(words, worker=False)
    [n] = numbers_in(replies[-1])
    volunteer_expected = on_duty and bool(off)
    request = get_request(app, n)
    key = "sms.created" if volunteer_expected else "sms.created_coordinator"
    assert replies[-1] == texts.t(request.language, key, number=n, home=request.household.label,
                                  category=texts.t(request.language, f"category.{request.category.value}"))
    assert request.household.building == building
    route_waiting(app)
    holder = get_request(app, n).volunteer
    assert holder is not None and (holder.role == Role.VOLUNTEER) == volunteer_expected
