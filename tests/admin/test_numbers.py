"""The numbers that run the response, from timelines made by real SMS at known times on both databases:
per building and per volunteer, requests, median times to accept and deliver, the share delivered
within the promise, declines and time-outs, over the last day and the last week."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from hotline import clock as hotline_clock
from hotline.domain import numbers as figures
from hotline.domain import requests
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Volunteer
from tests.helpers import CHEN_JIE, LI_WEI, WANG_FANG, ZHANG_MIN, load_roster, numbers_in

MINUTE, HOUR = 60, 3600


@pytest.fixture
def frozen(clock):
    """The hotline's clock stands still between the test's own steps, so every event is at a known time."""
    clock.freeze()
    return clock


def run_timers(app) -> None:
    with app.app_context():
        requests.run_timers(db.session, Policy.from_config(app.config))
        db.session.commit()


@pytest.fixture
def week(app, frozen, phone):
    """Four requests: one in building 5 two days ago; today two in building 12 (one declined by Li Wei,
    delivered late by Zhang Min) and one in building 7 that timed out at Chen Jie and waits past its promise."""
    load_roster(app)
    [old] = numbers_in(phone("+8613700000005").reply("5号楼101 要买菜"))
    frozen.advance(minutes=30)
    phone(WANG_FANG).text(f"OK {old}")
    frozen.advance(hours=1)
    phone(WANG_FANG).text(f"DONE {old}")
    frozen.advance(days=2)

    [second] = numbers_in(phone("+8613700000002").reply("12号楼302 要鸡蛋"))  # to Li Wei
    [third] = numbers_in(phone("+8613700000003").reply("7号楼201 要牛奶"))  # to Chen Jie
    frozen.advance(minutes=5)
    phone(LI_WEI).text(f"NO {second}")  # on to Zhang Min, sent now
    [first] = numbers_in(phone("+8613700000001").reply("12号楼301 要买菜"))  # to Li Wei, who has none now
    frozen.advance(minutes=10)
    phone(LI_WEI).text(f"OK {first}")  # 10 minutes after it was sent to him
    frozen.advance(minutes=1)
    run_timers(app)  # #third: 16 minutes at Chen Jie, past the 15 to accept: on to the coordinator
    frozen.advance(minutes=14)
    phone(ZHANG_MIN).text(f"OK {second}")  # 25 minutes after it was sent to her
    frozen.advance(minutes=105)
    phone(LI_WEI).text(f"DONE {first}")  # 2 hours after he took it: within 6 h 15 min of its making
    frozen.advance(hours=4, minutes=15)
    phone(ZHANG_MIN).text(f"DONE {second}")  # 6 h after she took it: 6 h 30 min after its making, late
    frozen.advance(hours=1)
    return old, first, second, third


def numbers_of(app, window: str) -> figures.Numbers:
    with app.app_context():
        return figures.numbers(db.session, Policy.from_config(app.config), hotline_clock.now(),
                               figures.WINDOWS[window])


def ids(app) -> dict[str, int]:
    with app.app_context():
        return {phone: db.session.query(Volunteer.id).filter_by(phone=phone).scalar()
                for phone in (LI_WEI, ZHANG_MIN, CHEN_JIE, WANG_FANG)}


def test_the_last_day_per_building(app, week):
    day = numbers_of(app, "day")
    assert sorted(day.buildings) == [7, 12]  # building 5's request is two days old
    b12, b7 = day.buildings[12], day.buildings[7]
    assert b12.requests == 2 and b7.requests == 1
    assert b12.accept_median == timedelta(minutes=(10 + 25) / 2)
    assert b12.deliver_median == timedelta(hours=(2 + 6) / 2)
    assert (b12.due, b12.on_time, b12.on_time_share) == (2, 1, 0.5)
    assert (b12.declines, b12.time_outs) == (1, 0)
    assert b7.accept_median is None and b7.deliver_median is None
    assert (b7.due, b7.on_time, b7.on_time_share, b7.time_outs) == (1, 0, 0.0, 1)  # open past its promise
    assert day.total.requests == 3 and (day.total.due, day.total.on_time) == (3, 1)
    assert not day.partial
    with app.app_context():  # the dashboard's buildings alone: the same figures, nobody's own
        alone = figures.numbers(db.session, Policy.from_config(app.config), hotline_clock.now(),
                                figures.WINDOWS["day"], volunteers=False)
    assert alone.buildings == day.buildings and alone.total == day.total and alone.volunteers == {}


def test_the_last_day_per_volunteer(app, week):
    day, who = numbers_of(app, "day"), ids(app)
    li, zhang, chen = (day.volunteers[who[p]] for p in (LI_WEI, ZHANG_MIN, CHEN_JIE))
    assert (li.requests, li.declines, li.accept_median, li.deliver_median) == (
        2, 1, timedelta(minutes=10), timedelta(hours=2))
    assert (li.due, li.on_time) == (1, 1)
    assert (zhang.requests, zhang.accept_median, zhang.deliver_median, zhang.due, zhang.on_time) == (
        1, timedelta(minutes=25), timedelta(hours=6), 1, 0)
    assert (chen.requests, chen.time_outs, chen.accept_median, chen.due) == (1, 1, None, 0)
    assert who[WANG_FANG] not in day.volunteers
    assert day.names[who[LI_WEI]] == "Li Wei"


def test_the_last_week_takes_the_older_request_in(app, week):
    week_numbers, who = numbers_of(app, "week"), ids(app)
    assert sorted(week_numbers.buildings) == [5, 7, 12]
    b5 = week_numbers.buildings[5]
    assert (b5.requests, b5.accept_median, b5.deliver_median, b5.on_time_share) == (
        1, timedelta(minutes=30), timedelta(hours=1), 1.0)
    assert week_numbers.volunteers[who[WANG_FANG]].requests == 1
    assert week_numbers.total.requests == 4


def test_a_window_past_its_bound_says_it_is_partial(app, week):
    with app.app_context():
        capped = figures.numbers(db.session, Policy.from_config(app.config), hotline_clock.now(),
                                 figures.WINDOWS["week"], read_at_most=2)
    assert capped.partial and capped.total.requests == 2 and 5 not in capped.buildings  # the oldest left out


def test_nothing_made_gives_no_rows_and_no_shares(app, frozen):
    day = numbers_of(app, "day")
    assert day.buildings == {} and day.volunteers == {}
    assert day.total.on_time_share is None and day.total.accept_median is None


def cells(page: str, table: str, attribute: str, key: object) -> dict[str, str]:
    """The cells of one row of one of the page's tables, by their `data-count`."""
    body = page[page.index(f'<table class="list numbers" id="{table}">'):]
    body = body[:body.index("</table>")]
    [row] = re.findall(rf'<tr {attribute}="{key}">(.*?)</tr>', body, re.DOTALL)
    return dict(re.findall(r'data-count="([\w-]+)">(.*?)</td>', row))


@pytest.fixture
def sun(admin, week):
    """The coordinator `sun`, logged in after the week's requests (a session does not last two days)."""
    assert admin.login("sun").status_code == 302
    return admin


def test_the_numbers_page_shows_both_periods_in_chinese(sun, app):
    page = sun.get("/admin/numbers?lang=zh").get_data(as_text=True)
    assert cells(page, "numbers-day-buildings", "data-building", 12) == {
        "requests": "2", "accept": "18分钟", "deliver": "4小时", "on-time": "50% (1/2)", "declines": "1",
        "time-outs": "0"}
    assert cells(page, "numbers-day-buildings", "data-building", 7)["on-time"] == "0% (0/1)"
    assert 'data-building="5"' not in page[:page.index('id="numbers-week"')]
    assert cells(page, "numbers-week-buildings", "data-building", 5)["deliver"] == "60分钟"
    li = ids(app)[LI_WEI]
    assert cells(page, "numbers-day-volunteers", "data-volunteer", li) == {
        "requests": "2", "accept": "10分钟", "deliver": "2小时", "on-time": "100% (1/1)", "declines": "1",
        "time-outs": "0"}


def test_the_dashboard_charts_the_last_day_per_building_right_after_itself(sun):
    page = sun.get("/admin/?lang=zh").get_data(as_text=True)
    assert re.search(r'<h2 id="numbers-title">[^<]*楼栋[^<]*</h2>', page)
    assert "numbers-chart" not in page and 'href="/admin/numbers"' in page  # without its script, the numbers page
    [url] = re.findall(r'<div id="numbers-day" data-fragment="([^"]+)">', page)  # what its script fetches
    part = sun.get(url).get_data(as_text=True)
    assert part.lstrip().startswith("<div") and "<html" not in part  # a part of the page, put in its place
    chart = part[part.index('<svg class="chart numbers-chart"'):]
    chart = chart[:chart.index("</svg>")]
    bars = {(b, kind): int(value) for kind, b, value in
            re.findall(r'<rect class="bar ([\w-]+)" data-label="(\d+)" data-value="(\d+)"', chart)}
    assert bars == {("7", "created"): 1, ("7", "on-time"): 0, ("12", "created"): 2, ("12", "on-time"): 1}
    assert 'role="img"' in chart and 'aria-labelledby="numbers-title"' in chart
    assert cells(part, "numbers-day-buildings", "data-building", 12)["requests"] == "2"
    assert "按承诺时间送达" in part and "Requests" not in part  # in the language the page was asked in


def test_a_viewer_reads_the_numbers_and_a_stranger_does_not(admin, week, app):
    assert admin.login("wu").status_code == 302
    assert admin.get("/admin/numbers").status_code == 200
    assert admin.get("/admin/numbers/day").status_code == 200
    for path in ("/admin/numbers", "/admin/numbers/day"):
        anonymous = app.test_client().get(path)
        assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]
