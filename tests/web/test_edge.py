"""What the app refuses before a view reads a request: a body over the limit (413, told by its
Content-Length alone, nothing read) and a NUL in the query or in a form (400, never a 500), on
SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from hotline import edge
from hotline.extensions import db
from hotline.models import Inbound, Outbox, OutStatus, Request
from tests.admin.actions import AdminActions, add_users
from tests.helpers import BASE, TOM, sign
from tests.simulator.conftest import CONSOLE

WEBHOOKS = ("/twilio/sms", "/twilio/voice", "/twilio/voice/step", "/twilio/status")
LIST_PAGES = ("/admin/requests", "/admin/residents", "/admin/volunteers", "/admin/outbox")


class Unreadable(io.BytesIO):
    """A request body that fails the test if anything reads it."""

    def read(self, size=-1):
        raise AssertionError("the body was read")

    readline = readinto = read1 = read


def post_of_length(client, path: str, length: int, **kwargs):
    """POST a form whose Content-Length says `length` bytes, without one byte of it existing."""
    return client.post(
        path,
        input_stream=Unreadable(),
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": str(length)},
        **kwargs,
    )


def signed(client, path: str, params: dict[str, str]):
    return client.post(path, data=params, headers={"X-Twilio-Signature": sign(BASE + path, params)})


# --------------------------------------------------------------------------------------------
# Size
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_huge_unsigned_webhook_is_refused_from_its_length_alone(client, path):
    assert post_of_length(client, path, 200 * 1024 * 1024).status_code == 413


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_webhook_larger_than_any_twilio_sends_is_refused(client, path):
    assert post_of_length(client, path, edge.MAX_WEBHOOK_BODY + 1).status_code == 413


def test_the_simulator_takes_no_large_body_either(make_app):
    simulator = make_app(**CONSOLE).test_client()
    assert post_of_length(simulator, "/simulator/api/sms", edge.MAX_WEBHOOK_BODY + 1).status_code == 413


def test_the_admin_pages_take_a_roster_but_not_a_huge_body(client):
    assert edge.MAX_BODY > 5 * 1024 * 1024  # a CSV import of up to 5 MB gets its own answer (admin/views/people.py)
    assert post_of_length(client, "/admin/login", edge.MAX_BODY + 1).status_code == 413
    assert post_of_length(client, "/admin/residents/import", 200 * 1024 * 1024).status_code == 413


def test_a_webhook_of_twilio_s_size_is_taken(app, client):
    params = {"MessageSid": "SM" + "7" * 32, "From": TOM, "Body": "要" * 1600, "FromCity": "x" * 2000}
    response = signed(client, "/twilio/sms", params)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Inbound)) == 1


# --------------------------------------------------------------------------------------------
# NUL
# --------------------------------------------------------------------------------------------
@pytest.fixture
def coordinator(app, client, clock):
    add_users(app)
    actions = AdminActions(client)
    assert actions.login("sun").status_code == 302
    return actions


@pytest.mark.parametrize("path", LIST_PAGES)
def test_a_nul_in_a_search_is_a_400_on_every_list_page(coordinator, path):
    assert coordinator.get(path + "?q=138%00").status_code == 400
    assert coordinator.get(path + "?q=%00&page=1").status_code == 400
    assert coordinator.get(path + "?status=%00").status_code == 400
    assert coordinator.get(path + "?q=138").status_code == 200


def test_a_nul_in_a_form_is_a_400(app, coordinator, client):
    form = {"building": "7", "room": "1101", "category": "food", "details": "rice\x00"}
    assert coordinator.post("/admin/requests/new", form).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Request)) == 0
    assert AdminActions(app.test_client()).login("sun\x00", password="coordinator-pw-1").status_code == 400


@pytest.mark.parametrize("field", ["MessageSid", "CallSid"])
def test_a_nul_in_a_status_callback_s_sid_is_no_error(app, client, field):
    with app.app_context():
        sent = Outbox(kind="sms", to=TOM, body="hi", lang="en", status=OutStatus.SENT, twilio_sid="SM" + "1" * 32)
        db.session.add(sent)
        db.session.commit()
    status = "MessageStatus" if field == "MessageSid" else "CallStatus"
    response = signed(client, "/twilio/status", {field: "SM\x00" + "2" * 32, status: "delivered"})
    assert response.status_code == 204
    with app.app_context():
        assert db.session.scalar(select(Outbox.delivery_status)) is None
