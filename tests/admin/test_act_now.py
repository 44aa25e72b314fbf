"""The coordinator's desk: what needs a person now, most urgent first, and the one-tap actions on it,
each an event on the timeline taken on the web."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin.views import dashboard as dashboard_view
from hotline.domain import act_now
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Outbox, Question, Status, User, Volunteer
from tests.helpers import LI_WEI, SUN_HONG, ZHANG_MIN, get_request, load_roster, numbers_in

ASKER = "+8613700001111"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def listed(app) -> list[tuple[str, str]]:
    """The act-now list as (kind, key), in its order."""
    from hotline import clock

    with app.app_context():
        found = act_now.act_now(db.session, Policy.from_config(app.config), clock.now())
        return [(item.kind, item.key) for group in found.groups for item in group]


def text(response) -> str:
    return response.get_data(as_text=True)


def volunteer_id(app, phone: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Volunteer.id).where(Volunteer.phone == phone))


def test_the_list_puts_emergencies_first_then_urgent_overdue_nobody_and_questions(app, phone, clock):
    [plain] = numbers_in(phone(ASKER).reply("12号楼302室 要大米两袋"))
    [urgent] = numbers_in(phone("+8613700002222").reply("7号楼808 降压药今天吃完了 急"))
    [fall] = numbers_in(phone("+8613700003333").reply("5号楼1201 老人摔倒了起不来"))
    phone("+8613700004444").reply("明天还要做核酸吗？")
    assert listed(app)[:2] == [("emergency", f"r{fall}"), ("urgent", f"r{urgent}")]
    assert ("question", "q1") in listed(app) and f"r{plain}" not in dict((k, v) for v, k in listed(app))
    clock.advance(minutes=20)  # Li Wei did not accept within the accept timeout: the request times out
    keys = [key for _kind, key in listed(app)]
    assert f"r{plain}" in keys and keys.index(f"r{plain}") > keys.index(f"r{urgent}")
    assert dict((key, kind) for kind, key in listed(app))[f"r{plain}"] == "overdue"
    assert keys[-1] == "q1"  # questions after the requests


def test_two_requests_from_one_flat_are_one_household_and_the_repeat_merges(app, coordinator, phone, clock):
    """A need that waited too long, then an urgent one of the kind for the same flat (urgent words make a request
    of their own while the open one is not urgent): listed together, and the second merged into the first."""
    [first] = numbers_in(phone(ASKER).reply("12号楼302室 要大米两袋"))
    clock.advance(minutes=16)  # past its 15 minutes to be accepted: overdue
    [again] = numbers_in(phone("+8613700005555").reply("12号楼302室 需要买大米和面条 急"))
    page = text(coordinator.get("/admin/act-now"))
    assert "12-302" in page and re.search(r"One flat|一户", page)
    with app.app_context():
        found = act_now.act_now(db.session, Policy.from_config(app.config), clock())
        groups = [[i.request.id for i in g] for g in found.groups if len(g) > 1]
        assert groups == [[again, first]]  # the urgent one leads its flat
    page = text(coordinator.get(f"/admin/requests/{again}"))
    assert f'name="into" value="{first}"' in page
    back = f"/admin/requests/{first}"
    response = coordinator.post(f"/admin/requests/{again}/merge", {"into": str(first), "back": back})
    assert response.status_code == 302 and response.location.endswith(f"/admin/requests/{first}")
    merged, kept = get_request(app, again), get_request(app, first)
    assert merged.status == Status.CANCELLED and kept.status in (Status.NEW, Status.ASSIGNED)
    assert [e.kind for e in merged.events][-2:] == ["merged", "cancelled"] and merged.events[-1].channel == "admin"
    assert kept.events[-1].kind == "merged_in" and "面条" in kept.details
    with app.app_context():
        told = db.session.scalars(select(Outbox.body).where(Outbox.to == "+8613700005555")).all()
    assert any(f"#{first}" in body and f"#{again}" in body for body in told)


def test_a_merge_across_flats_or_into_itself_is_refused(app, coordinator, phone):
    [a] = numbers_in(phone(ASKER).reply("12号楼302室 要大米两袋"))
    [b] = numbers_in(phone("+8613700005555").reply("7号楼808 要牛奶"))
    for into in (str(b), str(a), "x", "99999999999"):
        response = coordinator.post(f"/admin/requests/{a}/merge", {"into": into})
        assert response.status_code in (302, 400)
    assert get_request(app, a).status != Status.CANCELLED and get_request(app, b).status != Status.CANCELLED


@pytest.mark.parametrize("action", ["deliver", "reassign", "escalate", "cancel", "no_answer"])
def test_each_one_tap_action_is_on_the_timeline_as_done_on_the_web(app, coordinator, phone, action):
    [n] = numbers_in(phone(ASKER).reply("12号楼302室 要大米两袋"))
    form = {"action": action, "back": "/admin/act-now"}
    if action == "reassign":
        form["to"] = str(volunteer_id(app, ZHANG_MIN))
    response = coordinator.post(f"/admin/requests/{n}/act", form)
    assert response.status_code == 302 and response.location.endswith("/admin/act-now")
    r = get_request(app, n)
    with app.app_context():
        sun = db.session.scalar(select(User.id).filter_by(username="sun"))
    mine = [e for e in r.events if e.actor_user_id == sun]
    assert mine and all(e.channel == "admin" for e in mine), [(e.kind, e.channel) for e in mine]
    expected = {"deliver": ("delivered", Status.DELIVERED), "reassign": ("assigned", Status.ASSIGNED),
                "escalate": ("escalated", Status.ASSIGNED), "cancel": ("cancelled", Status.CANCELLED),
                "no_answer": ("called_no_answer", Status.ASSIGNED)}[action]
    assert mine[-1].kind == expected[0] and r.status == expected[1]
    if action == "reassign":
        assert r.volunteer.phone == ZHANG_MIN
    if action == "escalate":
        assert r.urgent
        with app.app_context():
            alerts = db.session.scalars(select(Outbox.body).where(Outbox.to == SUN_HONG)).all()
        assert any(f"#{n}" in body for body in alerts)
    page = text(coordinator.get(f"/admin/requests/{n}"))
    timeline = page[page.index('class="timeline"'):]
    last = timeline[:timeline.index("</ol>")].split("</li>")[-2]  # the timeline's last line
    assert "sun" in last and "网页" in last and "短信" not in last


def test_the_timeline_says_web_for_a_step_on_the_page_and_names_the_actor_once(app, coordinator, phone):
    [n] = numbers_in(phone(ASKER).reply("12号楼302室 要大米两袋"))
    phone(LI_WEI).reply(f"OK {n}")
    coordinator.post(f"/admin/requests/{n}/act", {"action": "deliver"})
    page = text(coordinator.get(f"/admin/requests/{n}"))
    timeline = page[page.index('class="timeline"'):]
    accepted = re.search(r'event-accepted">(.*?)</li>', timeline, re.S).group(1)
    delivered = re.search(r'event-delivered">(.*?)</li>', timeline, re.S).group(1)
    assert accepted.count("Li Wei") == 1 and "短信" in accepted
    assert "sun" in delivered and "网页" in delivered and "短信" not in delivered


def test_a_bad_one_tap_is_refused_without_a_change(app, coordinator, viewer, phone):
    [n] = numbers_in(phone(ASKER).reply("12号楼302室 要大米两袋"))
    before = len(get_request(app, n).events)
    assert coordinator.post(f"/admin/requests/{n}/act", {"action": "explode"}).status_code == 400
    assert coordinator.post(f"/admin/requests/{n}/act", {"action": "reassign", "to": "abc"}).status_code == 302
    assert coordinator.post(f"/admin/requests/{n}/act", {"action": "deliver"}, csrf=False).status_code == 400
    assert viewer.post(f"/admin/requests/{n}/act", {"action": "cancel"}).status_code == 403
    coordinator.post(f"/admin/requests/{n}/act", {"action": "cancel"})
    assert coordinator.post(f"/admin/requests/{n}/act", {"action": "deliver"}).status_code == 302  # refused, flashed
    r = get_request(app, n)
    assert r.status == Status.CANCELLED and len(r.events) == before + 1


def test_a_question_waits_until_a_coordinator_marks_it_answered(app, coordinator, phone):
    phone("+8613700004444").reply("明天还要做核酸吗？")
    page = text(coordinator.get("/admin/act-now"))
    assert "明天还要做核酸吗" in page and 'href="tel:+8613700004444"' in page
    with app.app_context():
        [question] = db.session.scalars(select(Question)).all()
    coordinator.post(f"/admin/questions/{question.id}/answered", {"back": "/admin/act-now"})
    assert "明天还要做核酸吗" not in text(coordinator.get("/admin/act-now"))
    with app.app_context():
        answered = db.session.get(Question, question.id)
        assert answered.answered_by_user_id == db.session.scalar(select(User.id).filter_by(username="sun"))


def test_a_question_is_answered_by_sms_in_the_askers_language(app, coordinator, phone):
    asker = phone("+8613700005555")
    asker.reply("Where can I get tested?")
    with app.app_context():
        [question] = db.session.scalars(select(Question)).all()
    answer = "  Testing is at the north gate,\n8 to 11 am.  "
    coordinator.post(f"/admin/questions/{question.id}/answered", {"back": "/admin/act-now", "reply": answer})
    assert asker.last() == "Testing is at the north gate, 8 to 11 am."
    with app.app_context():
        row = db.session.scalars(select(Outbox).where(Outbox.to == asker.number)).all()[-1]
        assert row.lang == "en" and db.session.get(Question, question.id).answered_at is not None
    sent = len(asker.inbox())
    coordinator.post(f"/admin/questions/{question.id}/answered", {"back": "/admin/act-now", "reply": "again"})
    assert len(asker.inbox()) == sent  # answered once: a second coordinator's answer is not sent


def test_an_answer_too_long_is_refused_and_the_question_waits(app, coordinator, phone):
    phone("+8613700005555").reply("明天还要做核酸吗？")
    with app.app_context():
        [question] = db.session.scalars(select(Question)).all()
    response = coordinator.post(f"/admin/questions/{question.id}/answered", {"back": "/", "reply": "好" * 301})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Question, question.id).answered_at is None
    assert "明天还要做核酸吗" in text(coordinator.get("/admin/act-now"))


def test_a_viewer_sees_the_list_with_numbers_masked_and_no_buttons(app, viewer, phone):
    numbers_in(phone(ASKER).reply("5号楼1201 老人摔倒了起不来"))
    page = text(viewer.get("/admin/act-now"))
    assert "5-1201" in page and "tel:" not in page and ASKER not in page and 'data-action=' not in page


def test_the_count_is_in_the_title_of_the_dashboard_and_the_page(app, coordinator, phone):
    numbers_in(phone(ASKER).reply("5号楼1201 老人摔倒了起不来"))
    phone("+8613700004444").reply("明天还要做核酸吗？")
    for path in ("/admin/", "/admin/act-now"):
        title = re.search(r"<title>(.*?)</title>", text(coordinator.get(path)), re.S).group(1)
        assert title.startswith("(2) "), title


def test_the_page_shows_the_most_urgent_few_and_links_the_full_list(app, coordinator, phone, clock, monkeypatch):
    [plain] = numbers_in(phone(ASKER).reply("12号楼302室 要大米两袋"))
    clock.advance(minutes=20)  # not accepted in time: overdue, and it has waited longest
    [urgent] = numbers_in(phone("+8613700002222").reply("7号楼808 降压药今天吃完了 急"))
    [fall] = numbers_in(phone("+8613700003333").reply("5号楼1201 老人摔倒了起不来"))
    phone("+8613700004444").reply("明天还要做核酸吗？")
    monkeypatch.setattr(act_now, "SHOWN", 2)
    page = text(coordinator.get("/admin/act-now"))
    rows = re.findall(r'data-key="([rq]\d+)"', page)
    assert rows == [f"r{fall}", f"r{urgent}"]  # the two most urgent, though the overdue one is older
    assert re.search(r"<title>\(4\) ", page)  # the title counts them all
    more = re.search(r'<p class="more">(.*?)</p>', page, re.S).group(1)
    assert "2" in more and "status=act" in more and "3" in more  # 2 more; all 3 requests (the question aside)
    listed = text(coordinator.get("/admin/requests?status=act"))
    assert {int(n) for n in re.findall(r'<tr data-number="(\d+)"', listed)} == {plain, urgent, fall}
    monkeypatch.setattr(dashboard_view, "ACT_NOW_ON_DASHBOARD", 1)
    dashboard = text(coordinator.get("/admin/"))
    assert re.findall(r'data-key="([rq]\d+)"', dashboard) == [f"r{fall}"]
    more = re.search(r'<p class="more">(.*?)</p>', dashboard, re.S).group(1)
    assert "3" in more and 'href="/admin/act-now"' in more  # 3 more, on the act-now page
