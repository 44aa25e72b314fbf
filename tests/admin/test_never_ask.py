"""The people who never ask, on the admin pages (issue 15, item 5), on SQLite and PostgreSQL: residents filtered by
flag, by building and by how long the hotline has not heard from them, each with when it last did; a round of
check-in calls or an announcement for the whole filtered list in one tap; the check-in plan and every call on
the web, with who, when and how it ended."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from hotline.domain import checkins, lists
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Broadcast, CheckIn, CheckInPlan, CheckInStatus, Outbox, OutStatus, Purpose, Resident
from hotline.worker import Worker
from tests.admin.test_zh_pages import english_words
from tests.helpers import LIU, RESIDENTS_CSV, TOM, WANG_LANDLINE, load_roster
from tests.web.test_checkins import call_params, opening, placed_calls, post

MORE = "赵奶奶,13700001001,12,505,zh,elderly;alone;no_phone\n钱先生,13700001002,5,303,zh,\n"
SHANGHAI_TEN = datetime(2022, 4, 12, 2, 0, tzinfo=UTC)  # the clock's start: 10:00 in Shanghai


@pytest.fixture
def app(make_app, twilio, clock):
    app = make_app(TWILIO_API_URL=twilio.url)
    from hotline import init_transport

    init_transport(app)
    load_roster(app, residents=RESIDENTS_CSV + MORE)
    return app


def ids(app, *names: str) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Resident.id).where(Resident.name.in_(names))))


def listed(page) -> set[int]:
    """The residents a page lists."""
    assert page.status_code in (200, 400), page.status_code
    return {int(n) for n in re.findall(r'<tr data-resident="(\d+)"', page.get_data(as_text=True))}


def test_residents_are_filtered_by_flag_building_and_silence(app, coordinator, clock, phone):
    clock.advance(days=5)
    assert coordinator.login("sun").status_code == 302  # the 8-hour session has ended meanwhile
    phone(LIU).text("5号楼1201 要米")
    with app.app_context():
        wang = db.session.scalar(select(Resident).filter_by(name="王阿姨"))
        db.session.add(CheckIn(resident=wang, day=clock.at.date(), status=CheckInStatus.FINE, answered_at=clock.at))
        tom = db.session.scalar(select(Resident).filter_by(name="Tom Baker"))
        db.session.add(CheckIn(resident=tom, day=clock.at.date(), status=CheckInStatus.UNREACHED))  # no answer
        db.session.commit()
    everyone = ids(app, "Tom Baker", "刘伯伯", "王阿姨", "赵奶奶", "钱先生")
    assert listed(coordinator.get("/admin/residents")) == everyone
    assert listed(coordinator.get("/admin/residents?silent=3")) == ids(app, "Tom Baker", "赵奶奶", "钱先生")
    assert listed(coordinator.get("/admin/residents?flag=elderly&flag=alone")) == ids(app, "王阿姨", "赵奶奶")
    assert listed(coordinator.get("/admin/residents?flag=no_phone")) == ids(app, "赵奶奶")
    assert listed(coordinator.get("/admin/residents?flag=chronic")) == ids(app, "刘伯伯")
    assert listed(coordinator.get("/admin/residents?building=5")) == ids(app, "刘伯伯", "钱先生")
    assert listed(coordinator.get("/admin/residents?building=12&flag=elderly&silent=3")) == ids(app, "赵奶奶")
    clock.advance(days=4)
    assert coordinator.login("sun").status_code == 302
    assert listed(coordinator.get("/admin/residents?silent=3")) == everyone  # nobody spoke for four days
    assert listed(coordinator.get("/admin/residents?silent=5")) == ids(app, "Tom Baker", "赵奶奶", "钱先生")

    page = coordinator.get("/admin/residents").get_data(as_text=True)
    [liu] = ids(app, "刘伯伯")
    [zhao] = ids(app, "赵奶奶")
    heard = dict(re.findall(r'<tr data-resident="(\d+)">.*?class="last-heard">(.*?)</td>', page, re.S))
    assert heard[str(liu)] == "2022-04-17 10:00"  # when he texted, in Shanghai time
    assert "从未" in heard[str(zhao)]
    assert "无个人电话" in page


@pytest.mark.parametrize("query", ["silent=abc", "silent=0", "silent=366", "silent=%EF%BC%93"])
def test_a_number_of_days_that_is_not_one_is_explained_and_narrows_nothing(app, coordinator, query):
    response = coordinator.get(f"/admin/residents?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请写 1 到 365 之间的天数" in page and 'aria-describedby="silent-error"' in page
    assert english_words(page) == {"Tom", "Baker"}  # a resident's name
    assert len(listed(response)) == 5


def test_what_is_not_a_flag_or_building_narrows_nothing_and_viewers_cannot_sift_health(app, coordinator, viewer):
    assert len(listed(coordinator.get("/admin/residents?flag=<script>&building=999&building=x"))) == 5
    assert len(listed(viewer.get("/admin/residents?flag=chronic"))) == 5  # health data: not for viewers
    page = viewer.get("/admin/residents").get_data(as_text=True)
    assert 'value="chronic"' not in page and "round-form" not in page


def test_the_list_is_one_query_whatever_its_length(app):
    """Filtered by silence, with when each was last heard from: the same statements for 5 residents as for 55."""

    def statements() -> int:
        seen = []
        with app.app_context():
            listen = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listen)
            try:
                page = lists.paginate(db.session, lists.resident_query(lists.ResidentFilter(silent_days=3)), 1)
                assert [r.last_heard for r in page.items] and [r.household.label for r in page.items]
            finally:
                event.remove(db.engine, "before_cursor_execute", listen)
        return sum(statement.lstrip().upper().startswith("SELECT") for statement in seen)

    few = statements()
    load_roster(app, residents="name,phone,building,room,language,flags\n" + "".join(
        f"住户{i},1370000{i:04d},{i % 30 + 1},{100 + i},zh,elderly\n" for i in range(50)))
    assert statements() == few == 3  # count, the page, and the flats


def test_one_tap_calls_the_filtered_list_once_a_day(app, coordinator, clock, twilio):
    form = {"flag": ["elderly", "alone"]}
    response = coordinator.post("/admin/residents/check-in-round", form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/check-ins")
    page = coordinator.get("/admin/check-ins").get_data(as_text=True)
    assert "已排好 2 个问候电话" in page
    with app.app_context():
        made = db.session.scalars(select(CheckIn).order_by(CheckIn.resident_id)).all()
        assert {c.resident.name for c in made} == {"王阿姨", "赵奶奶"}
        assert {c.call_at for c in made} == {SHANGHAI_TEN.replace(second=made[0].call_at.second)}
        assert all(c.status == CheckInStatus.CALLING for c in made)
    rows = [row for row in placed_calls(app) if row.to == WANG_LANDLINE]
    assert len(rows) == 1 and len(placed_calls(app)) == 2
    assert re.findall(r'data-status="(\w+)"', page) == ["calling", "calling"]

    coordinator.post("/admin/residents/check-in-round", form)  # the same list again, the same day
    page = coordinator.get("/admin/check-ins").get_data(as_text=True)
    assert "已排好 0 个问候电话" in page and "2 位居民当天已有问候电话" in page
    assert len(placed_calls(app)) == 2

    Worker(app).send_due()  # the calls go out; 王阿姨 presses 1
    [row] = [row for row in placed_calls(app) if row.to == WANG_LANDLINE]
    gather = opening(app, row).find("Gather")
    post(app, gather.get("action"), call_params(row.twilio_sid, Digits="1"))
    page = coordinator.get("/admin/check-ins").get_data(as_text=True)
    assert sorted(re.findall(r'data-status="(\w+)"', page)) == ["calling", "fine"]
    assert "一切安好" in page


def test_a_round_can_be_set_for_later_and_bad_times_are_refused(app, coordinator, clock):
    coordinator.post("/admin/residents/check-in-round", {"building": "5", "when": "2022-04-13T09:30"})
    with app.app_context():
        made = db.session.scalars(select(CheckIn)).all()
        assert {c.resident.name for c in made} == {"刘伯伯", "钱先生"}
        assert {c.day.isoformat() for c in made} == {"2022-04-13"}
        assert {c.call_at for c in made} == {datetime(2022, 4, 13, 1, 30, tzinfo=UTC)}  # 09:30 in Shanghai
        calls = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.CHECK_IN)).all()
        assert {o.next_attempt_at for o in calls} == {datetime(2022, 4, 13, 1, 30, tzinfo=UTC)}
    assert Worker(app).send_due() == 0  # not yet
    response = coordinator.post("/admin/residents/check-in-round", {"building": "7", "when": "tomorrow"},
                                follow_redirects=True)
    assert "请按框中的格式写时间" in response.get_data(as_text=True)
    response = coordinator.post("/admin/residents/check-in-round", {"building": "7", "when": "2022-05-12T09:30"},
                                follow_redirects=True)
    assert "最多只能提前一周安排" in response.get_data(as_text=True)
    for edge in ("0001-01-01T00:00", "9999-12-31T23:59"):  # no time in UTC east (or west) of the compound
        response = coordinator.post("/admin/residents/check-in-round", {"building": "7", "when": edge},
                                    follow_redirects=True)
        assert "请按框中的格式写时间" in response.get_data(as_text=True), edge
    with app.app_context():
        assert db.session.scalar(select(db.func.count(CheckIn.id))) == 2


def test_viewers_see_the_calls_but_start_and_plan_nothing(app, coordinator, viewer):
    coordinator.post("/admin/residents/check-in-round", {"flag": "elderly"})
    page = viewer.get("/admin/check-ins").get_data(as_text=True)
    assert "刘伯伯" in page and LIU not in page and "8000" in page  # the number masked, as on every page
    assert LIU in coordinator.get("/admin/check-ins").get_data(as_text=True)
    assert viewer.post("/admin/residents/check-in-round", {"flag": "elderly"}).status_code == 403
    assert viewer.post("/admin/check-ins", {"enabled": "y"}).status_code == 403
    assert viewer.get("/admin/residents/broadcast").status_code == 403
    with app.app_context():
        assert len(db.session.scalars(select(CheckIn)).all()) == 3  # the coordinator's round only


def test_the_daily_plan_is_set_on_the_web(app, coordinator, clock):
    plan = {"enabled": "y", "start": "08:30", "end": "10:30", "days": ["1", "3", "5"], "retry_minutes": "20",
            "silent_days": "4"}
    assert coordinator.post("/admin/check-ins", plan).status_code == 302
    with app.app_context():
        settings = db.session.get(CheckInPlan, 1)
        assert (settings.enabled, settings.start_minute, settings.end_minute, settings.days,
                settings.retry_minutes, settings.silent_days) == (True, 510, 630, "135", 20, 4)
        assert checkins.schedule(db.session, Policy.from_config(app.config)) == 0  # Tuesday: no calls
        clock.advance(days=1)  # Wednesday, 10:00
        assert checkins.schedule(db.session, Policy.from_config(app.config)) == 2  # 王阿姨 and 赵奶奶
        clock.advance(days=2, hours=1)  # Friday, 11:00: the window has closed
        assert checkins.schedule(db.session, Policy.from_config(app.config)) == 0
    assert coordinator.login("sun").status_code == 302  # the 8-hour session has ended meanwhile
    page = coordinator.get("/admin/check-ins").get_data(as_text=True)
    assert 'value="08:30"' in page and 'value="10:30"' in page and "2 位居民每天接到问候电话" in page


@pytest.mark.parametrize("change, field", [
    ({"start": "25:00"}, "start"), ({"start": "nine"}, "start"), ({"end": "08:00"}, "end"), ({"days": []}, "days"),
    ({"retry_minutes": "0"}, "retry_minutes"), ({"silent_days": "１"}, "silent_days"), ({"days": ["8"]}, "days"),
])
def test_a_bad_plan_is_refused_with_the_reason_at_its_field(app, coordinator, change, field):
    plan = {"enabled": "y", "start": "08:30", "end": "10:00", "days": ["1"], "retry_minutes": "20",
            "silent_days": "4", **change}
    response = coordinator.post("/admin/check-ins", plan)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and not english_words(page)
    with app.app_context():
        assert checkins.plan(db.session).enabled is False


def test_one_tap_turns_the_filtered_list_into_an_announcement(app, coordinator):
    page = coordinator.get("/admin/residents?flag=elderly&flag=alone").get_data(as_text=True)
    link = re.search(r'href="(/admin/residents/broadcast\?[^"]+)"', page).group(1).replace("&amp;", "&")
    page = coordinator.get(link).get_data(as_text=True)
    assert "2 位居民" in page
    broadcast_id = re.search(r'name="broadcast_id" type="hidden" value="([0-9a-f]{12})"', page).group(1)
    form = {"flag": ["elderly", "alone"], "broadcast_id": broadcast_id, "text_zh": "明天上午有人上门送菜。",
            "text_en": "", "by_sms": "y"}
    preview = coordinator.post("/admin/residents/broadcast", {**form, "action": "preview"}).get_data(as_text=True)
    assert "2 位居民：短信 1 条，电话 1 通" in preview  # 王阿姨 has a landline: she is called
    sent = coordinator.post("/admin/residents/broadcast", {**form, "action": "send"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/admin/broadcast/{broadcast_id}")
    coordinator.post("/admin/residents/broadcast", {**form, "action": "send"})  # a double tap sends once
    with app.app_context():
        [broadcast] = db.session.scalars(select(Broadcast)).all()
        assert broadcast.buildings == [12] and broadcast.residents == 2
        rows = db.session.scalars(select(Outbox).where(Outbox.broadcast_id == broadcast.id)).all()
        assert sorted((r.to, r.kind) for r in rows) == [("+8613700001001", "sms"), (WANG_LANDLINE, "call")]
        assert all(r.status == OutStatus.QUEUED for r in rows) and TOM not in {r.to for r in rows}


def test_an_announcement_needs_words_and_a_way(app, coordinator):
    response = coordinator.post("/admin/residents/broadcast", {"flag": "elderly", "text_zh": " ", "action": "send"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请至少用一种语言写通知" in page and "请选择短信、语音电话或两者" in page
    with app.app_context():
        assert db.session.scalars(select(Broadcast)).all() == []
