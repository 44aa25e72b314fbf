"""What the app refuses before a view reads a request: a body over the limit (413, told by its
Content-Length alone, nothing read; sent in chunks without one, once it passes the limit) and a NUL
in the query or in a form (400, never a 500), on SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import io
import threading
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

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


def post_chunked(app, path: str, body: bytes) -> int:
    """POST `body` in chunks and without a Content-Length, as a client that streams does, through the
    server `flask run` starts; return the status."""
    server = make_server("127.0.0.1", 0, app)
    served = threading.Thread(target=server.handle_request)
    served.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        pieces = (body[i:i + 8192] for i in range(0, len(body), 8192))
        connection.request("POST", path, body=pieces, encode_chunked=True,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        return connection.getresponse().status
    except (BrokenPipeError, ConnectionResetError):  # the server answered and closed before the last chunk
        response = connection.response_class(connection.sock, method="POST")
        response.begin()
        return response.status
    finally:
        connection.close()
        served.join()
        server.server_close()


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


def test_a_webhook_sent_in_chunks_is_refused_once_it_passes_the_limit_not_cut_to_it(make_app):
    """Without a Content-Length, the first 64 KB of a larger body must not be taken as the whole SMS."""
    console = make_app(**CONSOLE)
    sms = {"MessageSid": "SM" + "4" * 32, "From": TOM, "Body": "I need rice, Bldg 7 Rm 1101"}
    padding = "x" * edge.MAX_WEBHOOK_BODY
    assert post_chunked(console, "/twilio/sms", urlencode({**sms, "FromCity": padding}).encode()) == 413
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(Inbound)) == 0
    assert post_chunked(console, "/twilio/sms", urlencode(sms).encode()) == 200  # a small one in chunks is taken
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(Inbound)) == 1


def test_an_admin_form_sent_in_chunks_past_the_limit_is_refused(app):
    assert post_chunked(app, "/admin/login", b"username=sun&password=" + b"x" * edge.MAX_BODY) == 413


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


def test_admin_pages_explain_a_refused_request_in_their_own_language(coordinator, client):
    nul = coordinator.get("/admin/residents?q=138%00")
    assert nul.status_code == 400 and nul.mimetype == "text/html"
    assert "NUL" in nul.get_data(as_text=True) and 'href="/admin/"' in nul.get_data(as_text=True)  # the admin page
    assert "Bad Request" not in nul.get_data(as_text=True)
    huge = post_of_length(client, "/admin/residents/import", 200 * 1024 * 1024)
    assert huge.status_code == 413 and "8 MB" in huge.get_data(as_text=True)
    assert "Request Entity Too Large" not in huge.get_data(as_text=True)
    coordinator.get("/admin/?lang=en")
    english = coordinator.get("/admin/residents?q=138%00").get_data(as_text=True)
    assert "nobody types (NUL)" in english
    assert "at most 8 MB" in post_of_length(client, "/admin/residents/import", edge.MAX_BODY + 1).get_data(as_text=True)


def test_an_anonymous_visitor_gets_the_admin_error_page_too(client):
    huge = post_of_length(client, "/admin/login", edge.MAX_BODY + 1)
    assert huge.status_code == 413 and "8 MB" in huge.get_data(as_text=True)
    broken = client.post("/admin/login", data={"username": "sun\x00"})
    assert broken.status_code == 400 and "NUL" in broken.get_data(as_text=True)


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


# --------------------------------------------------------------------------------------------
# Host
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "hotline.test.evil.example", "evil.example:443", "0.0.0.0:8000",
                                  "[::2]:8000", "hotline.test@evil.example"])
def test_with_credentials_another_name_gets_nothing_anywhere(app, client, host):
    base = f"https://{host}"
    for path in ("/", "/admin/login", "/admin/residents.csv", "/api/v1/requests", "/simulator/"):
        assert client.get(path, base_url=base).status_code == 400, path
    params = {"MessageSid": "SM" + "3" * 32, "From": TOM, "Body": "I need rice, Bldg 7 Rm 1101"}
    webhook = client.post("/twilio/sms", data=params, base_url=base,
                          headers={"X-Twilio-Signature": sign(BASE + "/twilio/sms", params)})
    assert webhook.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Inbound)) == 0


@pytest.mark.parametrize("host", ["hotline.test", "HOTLINE.test:443", "localhost", "127.0.0.1:8000", "[::1]:8000"])
def test_with_credentials_the_public_name_and_this_machine_s_are_answered(client, host):
    assert client.get("/admin/login", base_url=f"https://{host}").status_code == 200


@pytest.mark.parametrize("host", ["10.1.2.3:8000", "hotline-web-7f9c:8000", "evil.example"])
def test_the_health_check_answers_by_any_name(client, host):
    """A container's or a balancer's health check asks by an address of its own; /healthz tells nothing else."""
    response = client.get("/healthz", base_url=f"http://{host}")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_without_credentials_only_this_machine_s_names_are_answered(make_app):
    console = make_app(**{**CONSOLE, "PUBLIC_BASE_URL": "https://hotline.example.org"}).test_client()
    assert console.get("/admin/login", base_url="http://127.0.0.1:5000").status_code == 200
    assert console.get("/admin/login", base_url="https://hotline.example.org").status_code == 400


@pytest.mark.parametrize(("host", "name"), [("localhost:5000", "localhost"), ("[::1]:5000", "::1"), ("[::1]", "::1"),
                                            ("Hotline.Test", "hotline.test"), ("a b", ""), ("[::1]x", ""),
                                            ("x:y", ""), ("", "")])
def test_the_name_in_a_host(host, name):
    assert edge.host_name(host) == name
