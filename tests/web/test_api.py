"""The JSON API: bearer tokens hashed at rest, the contract's shape, order and filters."""

from __future__ import annotations

import pytest
from sqlalchemy import select

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


@pytest.mark.parametrize("query", ["status=open", "category=toys", "building=twelve", "limit=-1", "building=1e9",
                                   "building=²", "limit=٣"])
def test_bad_filters_are_a_400_in_json(api, query):
    assert "error" in api(f"/api/v1/requests?{query}", status=400)


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
