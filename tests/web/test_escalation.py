"""Timers: requests nobody accepts move on; accepted ones nobody delivers are chased."""

from __future__ import annotations

import pytest

from hotline import texts
from hotline.domain import requests
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Status
from tests.helpers import (
    LI_WEI,
    LIU,
    SUN_HONG,
    TOM,
    WANG_FANG,
    ZHANG_MIN,
    get_request,
    load_roster,
    numbers_in,
)

STRANGER = "+8613700001111"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def run_timers(app) -> int:
    with app.app_context():
        moved = requests.run_timers(db.session, Policy.from_config(app.config))
        db.session.commit()
        return moved


def test_not_accepted_in_time_moves_to_the_next_volunteer_then_the_coordinator(app, phone, clock):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    assert get_request(app, n).volunteer.phone == LI_WEI
    clock.advance(seconds=800)
    assert run_timers(app) == 0
    clock.advance(seconds=200)
    assert run_timers(app) == 1
    assert get_request(app, n).volunteer.phone == ZHANG_MIN and f"#{n}" in phone(ZHANG_MIN).last()
    clock.advance(seconds=901)
    run_timers(app)
    r = get_request(app, n)
    assert r.volunteer.phone == SUN_HONG and r.status == Status.ASSIGNED
    assert [e.kind for e in r.events].count("timed_out") == 2


def test_when_nobody_is_left_the_coordinators_are_alerted_once(app, phone, clock):
    [n] = numbers_in(phone(LIU).reply("要米"))
    for _ in range(3):
        clock.advance(seconds=901)
        run_timers(app)
    r = get_request(app, n)
    assert r.status == Status.NEW and r.volunteer is None and r.escalate_at is None
    assert sum(f"#{n}" in m for m in phone(SUN_HONG).inbox()) == 2  # offered, then "nobody could take it"
    clock.advance(hours=5)
    assert run_timers(app) == 0


def test_urgent_requests_move_three_times_faster(app, phone, clock):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 急需胰岛素"))
    assert get_request(app, n).urgent
    clock.advance(seconds=301)
    run_timers(app)
    assert get_request(app, n).volunteer.phone == ZHANG_MIN


def test_accepted_but_not_delivered_reminds_then_alerts_coordinators(app, phone, clock):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply(f"OK {n}")
    clock.advance(hours=6, seconds=1)
    run_timers(app)
    assert "DONE" in phone(WANG_FANG).last() or "完成" in phone(WANG_FANG).last()
    assert get_request(app, n).status == Status.ACCEPTED
    clock.advance(hours=3, seconds=1)
    run_timers(app)
    assert f"#{n}" in phone(SUN_HONG).last()
    assert [e.kind for e in get_request(app, n).events][-2:] == ["reminded", "escalated"]


def test_timers_are_rows_and_a_second_run_does_nothing(app, phone, clock):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    clock.advance(seconds=901)
    assert run_timers(app) == 1
    assert run_timers(app) == 0  # the next timer is 15 minutes away
    assert get_request(app, n).escalate_at is not None


def test_delivered_and_cancelled_requests_have_no_timer(app, phone, clock):
    a = numbers_in(phone(LIU).reply("要米"))[0]
    phone(WANG_FANG).reply(f"完成 {a}")
    b = numbers_in(phone(LIU).reply("要蛋"))[0]
    phone(LIU).reply(f"取消 {b}")
    clock.advance(days=2)
    assert run_timers(app) == 0


BUILDING_20 = {"A": "+8613900000201", "B": "+8613900000202", "C": "+8613900000203"}


@pytest.fixture
def building_20(app, phone):
    """Three volunteers for building 20; A is on duty alone while four requests come in, then B and C come on."""
    from hotline.domain import roster

    rows = "".join(f"{name},{number},20,zh,volunteer\n" for name, number in BUILDING_20.items())
    with app.app_context():
        report = roster.import_volunteers(db.session, Policy.from_config(app.config),
                                          ("name,phone,buildings,languages,role\n" + rows).encode())
        assert report.added == 3, report.errors
        db.session.commit()
    for name in "BC":
        phone(BUILDING_20[name]).reply("下班")
    numbers = [numbers_in(phone(f"+861370000900{i}").reply(f"20号楼{i}01室 要米"))[0] for i in range(1, 5)]
    assert {get_request(app, n).volunteer.phone for n in numbers} == {BUILDING_20["A"]}
    for name in "BC":
        phone(BUILDING_20[name]).reply("上班")
    return numbers


def holders(app, numbers) -> list[str]:
    return sorted(get_request(app, n).volunteer.name for n in numbers)


def test_one_sweep_spreads_what_times_out_over_the_volunteers_left(app, clock, building_20):
    clock.advance(seconds=901)
    assert run_timers(app) == 4
    assert holders(app, building_20) == ["B", "B", "C", "C"]


def test_going_off_duty_spreads_open_requests_over_the_volunteers_left(app, phone, clock, building_20):
    phone(BUILDING_20["A"]).reply("下班")
    assert holders(app, building_20) == ["B", "B", "C", "C"]


def test_a_batch_counts_what_it_assigned_before_it_had_to_choose(app, phone):
    """A's requests in 21 (where only V is left) and 22 (V or W) go to V and W: V's first is counted."""
    from hotline.domain import roster

    staff = {"A": ("+8613900000211", "21;22"), "V": ("+8613900000212", "21;22"), "W": ("+8613900000213", "22")}
    rows = "".join(f"{name},{number},{buildings},zh,volunteer\n" for name, (number, buildings) in staff.items())
    with app.app_context():
        roster.import_volunteers(db.session, Policy.from_config(app.config),
                                 ("name,phone,buildings,languages,role\n" + rows).encode())
        db.session.commit()
    for name in "VW":
        phone(staff[name][0]).reply("下班")
    numbers = [numbers_in(phone(f"+86137000095{b}").reply(f"{b}号楼101室 要米"))[0] for b in (21, 22)]
    for name in "VW":
        phone(staff[name][0]).reply("上班")
    phone(staff["A"][0]).reply("下班")
    assert [get_request(app, n).volunteer.name for n in numbers] == ["V", "W"]


# --------------------------------------------------------------------------------------------
# The resident is never left guessing; nobody is told "no volunteer on duty" when one did not answer
# --------------------------------------------------------------------------------------------
def test_timed_out_at_the_volunteers_the_resident_is_told_a_coordinator_has_it(app, phone, clock):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    for _ in range(2):  # Li Wei, then Zhang Min, do not answer
        clock.advance(seconds=901)
        run_timers(app)
    r = get_request(app, n)
    assert r.volunteer.phone == SUN_HONG
    assert phone(STRANGER).inbox() == [texts.t("zh", "resident.with_coordinator", number=n)]
    offered = phone(SUN_HONG).last()
    assert offered.startswith(texts.t("zh", "coordinator.why_unanswered")) and f"#{n}" in offered
    assert "在岗" not in offered
    clock.advance(seconds=901)  # the coordinator does not answer either: nobody has it
    run_timers(app)
    assert get_request(app, n).status == Status.NEW
    assert len(phone(STRANGER).inbox()) == 1  # told once
    alert = phone(SUN_HONG).last()
    assert alert.startswith(f"#{n} 12-302") and "超时未接单" in alert and "在岗" not in alert
    assert get_request(app, n).events[-1].note == "no answer in time"


def test_when_nobody_answers_no_message_says_nobody_was_on_duty(app, phone, clock):
    [n] = numbers_in(phone(LIU).reply("要米"))
    for _ in range(3):
        clock.advance(seconds=901)
        run_timers(app)
    told = [m for m in phone(SUN_HONG).inbox() if f"#{n}" in m]
    assert len(told) == 2 and not any("在岗" in m for m in told)
    assert phone(LIU).inbox() == [texts.t("zh", "resident.with_coordinator", number=n)]


def test_with_no_volunteer_on_duty_the_resident_hears_so_when_it_is_filed(app, phone):
    phone(WANG_FANG).reply("下班")
    answer = phone(LIU).reply("要米")
    [n] = numbers_in(answer)
    assert answer == texts.t("zh", "sms.created_coordinator", number=n, category="食物", home="5-1201")
    assert phone(SUN_HONG).last().startswith(texts.t("zh", "coordinator.why_nobody"))
    assert phone(LIU).inbox() == []  # nothing moved: nothing more to tell


def test_when_every_volunteer_declines_a_coordinator_has_it_and_the_resident_is_told(app, phone):
    [n] = numbers_in(phone(TOM).reply("need eggs, Bldg 12 Rm 302 for my neighbour"))
    phone(ZHANG_MIN).reply(f"NO {n}")  # he speaks English: he had it first
    phone(LI_WEI).reply(f"不行 {n}")
    assert get_request(app, n).volunteer.phone == SUN_HONG
    assert phone(SUN_HONG).last().startswith(texts.t("zh", "coordinator.why_declined"))
    assert phone(TOM).last() == texts.t("en", "resident.with_coordinator", number=n)


def test_accepted_and_not_delivered_in_time_the_resident_hears_a_coordinator_follows_it_up(app, phone, clock):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply(f"OK {n}")
    clock.advance(hours=6, seconds=1)
    run_timers(app)  # the volunteer is reminded; the resident waits
    assert len(phone(LIU).inbox()) == 1
    clock.advance(hours=3, seconds=1)
    run_timers(app)
    assert phone(LIU).last() == texts.t("zh", "resident.overdue_with_coordinator", number=n)


GAO = "+8613900000002"  # a second coordinator


def test_a_sweep_reads_the_coordinators_with_its_routing_and_skips_one_who_said_stop(app, phone, clock):
    from sqlalchemy import event, select

    from hotline.domain import roster
    from hotline.models import Outbox, OutStatus

    with app.app_context():
        report = roster.import_volunteers(db.session, Policy.from_config(app.config),
                                          f"name,phone,buildings,languages,role\nGao,{GAO},,zh,coordinator\n".encode())
        assert report.added == 1, report.errors
        db.session.commit()
        engine, asking = db.engine, str(requests.COORDINATORS.compile(db.engine))
    assert phone(SUN_HONG).text("STOP") == []  # Twilio answers STOP itself
    numbers = [numbers_in(phone(LIU).reply(words))[0] for words in ("要米", "要买药", "帮我把垃圾拿下楼")]
    assert len(set(numbers)) == 3
    asked = []

    def listen(conn, cursor, statement, *rest):
        asked.append(statement == asking)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        for _ in range(3):  # each timer moves all three on: the building's volunteers, then the coordinators
            clock.advance(seconds=901)
            assert run_timers(app) == 3
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert sum(asked) == 0  # the sweep's routing read them on duty, with their STOP: not once a request
    with app.app_context():
        alerts = db.session.execute(select(Outbox.to, Outbox.status).where(
            Outbox.request_id.in_(numbers), Outbox.to.in_((SUN_HONG, GAO)))).all()
    assert {status for to, status in alerts if to == SUN_HONG} == {OutStatus.SKIPPED}
    assert {to for to, status in alerts if status != OutStatus.SKIPPED} == {GAO}


def test_a_sweep_reads_once_which_residents_said_stop_and_skips_them(app, phone, clock):
    from sqlalchemy import event, select

    from hotline.models import Outbox, OutStatus

    residents = ["+8613700002001", "+8613700002002", "+8613700002003"]
    numbers = [numbers_in(phone(p).reply(f"12号楼30{i}室 需要买菜"))[0] for i, p in enumerate(residents, 1)]
    assert phone(residents[0]).text("STOP") == []
    with app.app_context():
        engine = db.engine
    asked = []

    def listen(conn, cursor, statement, *rest):
        asked.append("FROM opt_out" in statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        for _ in range(2):  # the building's two volunteers do not answer in time: the coordinator has them
            clock.advance(seconds=901)
            assert run_timers(app) == 3
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert {get_request(app, n).volunteer.phone for n in numbers} == {SUN_HONG}
    assert sum(asked) == 1  # the three residents' STOP, in one statement: not once a request
    with app.app_context():
        told = {to: status for to, status, number, body in db.session.execute(
            select(Outbox.to, Outbox.status, Outbox.request_id, Outbox.body).where(Outbox.request_id.in_(numbers)))
            if body == texts.t("zh", "resident.with_coordinator", number=number)}
    assert told == {residents[0]: OutStatus.SKIPPED, residents[1]: OutStatus.QUEUED, residents[2]: OutStatus.QUEUED}
