"""The JSON API: bearer tokens hashed at rest, the contract's shape, order and filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline import api as api_module
from hotline.api import create_token
from hotline.extensions import db
from hotline.models import ApiToken
from tests.helpers import CHEN_JIE, LIU, TOM, load_roster, numbers_in


@pytest.fixture
def token(app):
    with app.app_context():
        value = create_token(db.session, "tests")
        db.session.commit()
    return value


@pytest.fixture
def api(client, token):
    def get(path: str, status: int = 200):
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.is_json
        return response.get_json()

    return get


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def test_tokens_are_kept_only_as_hashes(app, token):
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).one()
    assert token not in stored and len(stored) == 64


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong", "Basic abc", "bearer  "])
def test_calls_without_a_known_token_are_refused(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/requests", headers=headers)
    assert response.status_code == 401 and response.is_json


def test_request_object_has_the_contract_fields(api, phone):
    [n] = numbers_in(phone(TOM).reply("I need rice"))
    phone(CHEN_JIE).reply(f"OK {n}")
    r = api(f"/api/v1/requests/{n}")["request"]
    assert {k: r[k] for k in ("number", "status", "category", "urgent", "building", "room", "language", "channel")} == {
        "number": n,
        "status": "accepted",
        "category": "food",
        "urgent": False,
        "building": 7,
        "room": "1101",
        "language": "en",
        "channel": "sms",
    }
    assert r["details"] == "I need rice"
    assert r["volunteer"] == {"name": "Chen Jie", "phone": CHEN_JIE}
    assert r["created_at"].endswith("Z") and r["accepted_at"] and r["delivered_at"] is None
    assert [e["kind"] for e in r["events"]] == ["created", "assigned", "accepted"]


def test_volunteer_is_null_before_assignment(api, app, phone):
    with app.app_context():
        from hotline.models import Volunteer

        for v in db.session.scalars(select(Volunteer)):
            v.on_duty = False  # nobody on duty: the request stays new
        db.session.commit()
    [n] = numbers_in(phone(TOM).reply("I need rice"))
    r = api(f"/api/v1/requests/{n}")["request"]
    assert r["status"] == "new" and r["volunteer"] is None


def test_list_is_ascending_and_filters(api, phone):
    a = numbers_in(phone(TOM).reply("I need rice"))[0]
    b = numbers_in(phone(LIU).reply("要降压药"))[0]
    c = numbers_in(phone("+8613700001111").reply("12号楼302 要米"))[0]
    assert [r["number"] for r in api("/api/v1/requests")["requests"]] == [a, b, c]
    assert [r["number"] for r in api("/api/v1/requests?category=medicine")["requests"]] == [b]
    assert [r["number"] for r in api("/api/v1/requests?building=12")["requests"]] == [c]
    assert [r["number"] for r in api("/api/v1/requests?status=assigned&limit=2")["requests"]] == [a, b]
    assert api("/api/v1/requests?status=delivered")["requests"] == []


def test_overdue_lists_what_waited_longer_than_its_timer(app, api, phone, clock):
    waited = numbers_in(phone(TOM).reply("I need rice"))[0]
    clock.advance(seconds=app.config["HOTLINE_ACCEPT_TIMEOUT"] + 60)
    fresh = numbers_in(phone(LIU).reply("要买菜"))[0]
    assert [r["number"] for r in api("/api/v1/requests?overdue=1")["requests"]] == [waited]
    assert [r["number"] for r in api("/api/v1/requests?overdue=0")["requests"]] == [waited, fresh]
    assert api("/api/v1/requests?overdue=1&building=12")["requests"] == []


@pytest.mark.parametrize("query", ["overdue=maybe", "overdue=2",
                                   "status=open", "category=toys", "building=twelve", "limit=-1", "building=1e9",
                                   "building=²", "limit=٣", "limit=0", "limit=1001", "limit=99999999999", "after=x"])
def test_bad_filters_are_a_400_in_json(api, query):
    assert "error" in api(f"/api/v1/requests?{query}", status=400)


def test_a_bad_limit_says_what_is_allowed(api):
    answer = api("/api/v1/requests?limit=5000", status=400)
    assert answer["error"] == "bad_request" and "1 to 1000" in answer["message"]


def test_lists_have_a_default_limit_and_are_read_on_with_after(api, phone, monkeypatch):
    monkeypatch.setattr(api_module, "DEFAULT_LIMIT", 2)
    a, b, c = (numbers_in(p.reply(text))[0] for p, text in (
        (phone(TOM), "I need rice"), (phone(LIU), "要降压药"), (phone("+8613700001111"), "12号楼302 要米")))
    assert [r["number"] for r in api("/api/v1/requests")["requests"]] == [a, b]
    assert [r["number"] for r in api(f"/api/v1/requests?after={b}")["requests"]] == [c]
    assert [r["number"] for r in api("/api/v1/requests?limit=3")["requests"]] == [a, b, c]


def test_a_full_page_says_where_the_next_one_starts(api, client, token, phone, monkeypatch):
    monkeypatch.setattr(api_module, "DEFAULT_LIMIT", 2)
    a, b, c = (numbers_in(p.reply(text))[0] for p, text in (
        (phone(TOM), "I need rice"), (phone(LIU), "要降压药"), (phone("+8613700001111"), "12号楼302 要米")))
    first = client.get("/api/v1/requests?status=assigned", headers={"Authorization": f"Bearer {token}"})
    assert [r["number"] for r in first.json["requests"]] == [a, b] and first.json["next_after"] == b
    assert first.headers["Link"] == f'</api/v1/requests?status=assigned&after={b}>; rel="next"'
    link = first.headers["Link"][1:].partition(">")[0]
    last = client.get(link, headers={"Authorization": f"Bearer {token}"})
    assert [r["number"] for r in last.json["requests"]] == [c] and last.json["next_after"] is None
    assert "Link" not in last.headers
    exactly_full = api("/api/v1/requests?limit=3")  # full, so maybe more: the next page tells it is empty
    assert exactly_full["next_after"] == c and api(f"/api/v1/requests?after={c}") == {"requests": [],
                                                                                      "next_after": None}


def test_reading_on_until_next_after_is_null_reads_every_request(api, phone, monkeypatch):
    monkeypatch.setattr(api_module, "DEFAULT_LIMIT", 2)
    made = [numbers_in(phone(f"+86137000011{n:02d}").reply(f"12号楼30{n}室 要米"))[0] for n in range(1, 6)]
    seen, query = [], "/api/v1/requests"
    while True:
        page = api(query)
        seen += [r["number"] for r in page["requests"]]
        if page["next_after"] is None:
            break
        query = f"/api/v1/requests?after={page['next_after']}"
    assert seen == made


@pytest.mark.parametrize("path,status", [("/api/v1/requests", 200), ("/api/v1/requests/1", 404),
                                         ("/api/v1/requests?limit=0", 400), ("/api/v1/outbox/stats", 200)])
def test_answers_are_never_cached_nor_sniffed(client, token, path, status):
    for headers in ({"Authorization": f"Bearer {token}"}, {}):
        response = client.get(path, headers=headers)
        assert response.status_code == (status if headers else 401)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"  # headers.secure, as every page


def last_used(app):
    with app.app_context():
        return db.session.scalars(select(ApiToken.last_used_at)).one()


def test_each_token_use_is_recorded_to_the_minute(app, api, clock):
    assert last_used(app) is None
    api("/api/v1/outbox/stats")
    first = last_used(app)
    assert first is not None and abs((clock.at - first).total_seconds()) < 5
    api("/api/v1/outbox/stats")  # within the minute: no write for it
    assert last_used(app) == first
    clock.advance(minutes=2)
    api("/api/v1/requests")
    assert last_used(app) > first + timedelta(minutes=1)


def test_a_revoked_token_is_refused(app, client):
    runner = app.test_cli_runner()
    token = runner.invoke(args=["create-token", "dashboard"]).output.strip().splitlines()[-1]
    kept = runner.invoke(args=["create-token", "backup"]).output.strip().splitlines()[-1]
    assert client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    result = runner.invoke(args=["revoke-token", "dashboard"])
    assert result.exit_code == 0 and "1 token" in result.output
    assert client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/api/v1/requests", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    assert runner.invoke(args=["revoke-token", "dashboard"]).exit_code == 1  # none left by that name


@pytest.mark.parametrize("number", ["999", "abc", "0", "99999999999999999999", "²"])
def test_unknown_request_is_a_404_in_json(api, number):
    assert api(f"/api/v1/requests/{number}", status=404)["error"]


def test_outbox_stats_show_the_backlog_by_lane_and_its_eta(api, phone, app):
    phone(LIU).reply("我摔倒了")  # an emergency: urgent lane
    stats = api("/api/v1/outbox/stats")
    assert stats["lanes"]["0-urgent"]["messages"] >= 2
    assert stats["backlog"] == sum(lane["messages"] for lane in stats["lanes"].values())
    assert stats["eta_seconds"] == pytest.approx(stats["segments"] / app.config["HOTLINE_SEND_RATE"], abs=0.1)


def test_healthz(client):
    assert client.get("/healthz").status_code == 200
