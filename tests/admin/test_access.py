"""Who may do what on the admin pages: every route denies by default, roles, CSRF, login limits, timeouts."""

from __future__ import annotations

import re
import secrets

import pytest
from argon2 import profiles
from sqlalchemy import func, select

from admin.auth import RANK
from admin.throttle import DEVICE_COOKIE, address_key
from hotline.extensions import db
from hotline.models import RequestEvent, User, UserRole
from tests.admin.actions import PASSWORDS, ROLES, AdminActions, add_users, csrf_token_in
from tests.conftest import HOTLINE_HASHER

PUBLIC = {"admin.login", "admin.static"}
SAMPLE_ARGS = {"number": 1, "vid": 1, "rid": 1, "message_id": 1, "broadcast_id": "0123456789ab", "qid": 1, "row": 1}


def admin_routes(app):
    """Every admin URL with sample arguments, its endpoint, methods, and the role its view asks for."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or rule.endpoint in PUBLIC:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<[^>]*:?{name}>", str(SAMPLE_ARGS[name]), path)
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield path, rule.endpoint, method, getattr(view, "admin_role", None)


def test_every_admin_view_declares_the_role_it_needs(app):
    routes = list(admin_routes(app))
    assert len({endpoint for _, endpoint, _, _ in routes}) >= 25
    undeclared = [endpoint for _, endpoint, _, role in routes if role not in RANK]
    assert not undeclared, f"admin views without @requires: {undeclared}"


def test_every_admin_route_refuses_anonymous_users(app, client):
    for path, _endpoint, method, _role in admin_routes(app):
        response = client.open(path, method=method)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/admin/login"), (method, path)
        else:
            assert response.status_code == 401 and response.is_json, (method, path, response.status_code)


def test_a_view_without_a_declared_role_lets_nobody_in(app, admin):
    app.add_url_rule("/admin/undeclared", endpoint="admin.undeclared", view_func=lambda: "secret")
    admin.login("boss")
    response = admin.get("/admin/undeclared")
    assert response.status_code == 403 and b"secret" not in response.data


@pytest.mark.parametrize("username", ["wu", "sun"])
def test_lower_roles_are_refused_where_a_higher_one_is_needed(app, admin, username):
    admin.login(username)
    mine = RANK[UserRole.VIEWER if username == "wu" else UserRole.COORDINATOR]
    refused = 0
    for path, _endpoint, method, role in admin_routes(app):
        if RANK[role] <= mine:
            continue
        before = _events(app)
        response = admin.client.open(path, method=method, data={"csrf_token": admin.token()})
        assert response.status_code == 403, (username, method, path, response.status_code)
        assert _events(app) == before
        refused += 1
    assert refused >= (15 if username == "wu" else 0)


def _events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(RequestEvent.id)))


def test_every_page_opens_for_each_role_that_may_see_it(app, admin):
    for username in ("boss", "sun", "wu"):
        actions = AdminActions(app.test_client())
        actions.login(username)
        mine = RANK[ROLES[username]]
        for path, _endpoint, method, role in admin_routes(app):
            if method != "GET" or "<" in path or any(str(v) in path for v in SAMPLE_ARGS.values()):
                continue
            response = actions.get(path)
            expected = 200 if RANK[role] <= mine else 403
            assert response.status_code == expected, (username, path, response.status_code)


def test_the_login_form_has_its_fields_and_a_csrf_token(client):
    html = client.get("/admin/login").get_data(as_text=True)
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in html
    assert 'type="password"' in html


def test_posts_without_a_csrf_token_are_refused(app, coordinator, phone):
    assert app.config["WTF_CSRF_ENABLED"]
    from tests.helpers import load_roster

    load_roster(app)
    phone("+8613700001111").text("12号楼302 要米")
    before = _events(app)
    response = coordinator.post("/admin/requests/1/note", {"note-note": "no token"}, csrf=False)
    assert response.status_code == 400
    assert _events(app) == before
    response = coordinator.post("/admin/requests/1/note", {"note-note": "bad token", "csrf_token": "forged"})
    assert response.status_code == 400 and _events(app) == before
    assert coordinator.post("/admin/requests/1/note", {"note-note": "with token"}).status_code == 302
    assert _events(app) == before + 1


def test_logging_in_without_a_csrf_token_is_refused(admin):
    response = admin.client.post("/admin/login", data={"username": "sun", "password": PASSWORDS["sun"]})
    assert response.status_code == 400
    assert admin.get("/admin/").status_code == 302


def test_passwords_are_kept_as_argon2id_hashes(app, users):
    with app.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(p in h for h in hashes for p in PASSWORDS.values())


def test_the_hotline_hashes_with_argon2_s_recommended_parameters():
    """The tests log in against cheap hashes (tests/conftest.py); the hotline's own are RFC 9106's."""
    hashed = HOTLINE_HASHER.hash("a password")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert HOTLINE_HASHER.verify(hashed, "a password") and not HOTLINE_HASHER.check_needs_rehash(hashed)
    assert profiles.get_default_parameters() == profiles.RFC_9106_LOW_MEMORY


def test_wrong_passwords_and_unknown_names_get_the_same_answer(admin):
    wrong = admin.login("sun", "not-the-password")
    unknown = admin.login("nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong username or password" in _text(wrong) or "用户名或密码不对" in _text(wrong)
    assert _errors(wrong) == _errors(unknown)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _errors(response) -> list[str]:
    """The errors shown under the form's fields, each tied to its field (`id="…-error"`)."""
    blocks = re.findall(r'<div class="error" id="[^"]+-error">(.*?)</div>', _text(response), re.S)
    return [error for block in blocks for error in re.findall(r"<p>([^<]*)</p>", block)]


def test_failed_logins_are_rate_limited_per_address(app, admin):
    app.config["ADMIN_LOGIN_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert admin.login("sun", "guess").status_code == 200
    blocked = admin.login("sun")  # even the right password waits now, from this address
    assert blocked.status_code == 429
    assert admin.get("/admin/").status_code == 302
    assert admin.login("wu").status_code == 429  # whatever name it tries


def attempt(app, username: str, password: str | None, address: str, browser: AdminActions | None = None) -> int:
    """Try to log in from `address`, in a browser of its own unless one is given; return the answer's status."""
    browser = browser or AdminActions(app.test_client())
    return browser.login(username, password, environ_base={"REMOTE_ADDR": address}).status_code


def known_device(app, username: str, address: str = "192.0.2.1") -> AdminActions:
    """A browser `username` has logged in with (and out of): it keeps the signed known-device cookie."""
    browser = AdminActions(app.test_client())
    assert attempt(app, username, None, address, browser) == 302
    assert browser.client.get_cookie(DEVICE_COOKIE, path="/admin/login") is not None
    browser.logout()
    return browser


def test_strangers_guessing_a_name_stop_at_its_ceiling_but_its_owner_s_device_gets_in(app, users):
    app.config["ADMIN_LOGIN_LIMIT"] = "3 per minute"
    app.config["ADMIN_LOGIN_NAME_LIMIT"] = "4 per hour"
    phone = known_device(app, "sun")
    for address in ("10.0.0.1", "10.0.0.2"):  # each address under its own limit, 4 failures for sun
        for _ in range(2):
            assert attempt(app, "sun", "guess", address) == 200
    # the name has had its guesses for the hour: any other browser waits, from anywhere, right password or not
    assert attempt(app, "sun", "guess", "10.0.0.9") == 429
    assert attempt(app, "sun", None, "198.51.100.7") == 429
    # its owner's known device gets in, even from an address that has been failing (the same NAT)
    assert attempt(app, "sun", None, "10.0.0.1", phone) == 302
    # other names are not touched
    assert attempt(app, "wu", None, "10.0.0.2") == 302


def test_a_typo_by_the_owner_while_the_name_is_guessed_costs_no_hour(app, users):
    app.config["ADMIN_LOGIN_NAME_LIMIT"] = "4 per hour"
    phone = known_device(app, "sun", address="10.0.0.1")
    for n in range(4):
        assert attempt(app, "sun", "guess", f"203.0.113.{n + 1}") == 200
    assert attempt(app, "sun", "typo", "10.0.0.1", phone) == 200  # wrong password: said so, not a 429
    assert attempt(app, "sun", None, "10.0.0.1", phone) == 302
    neighbour = AdminActions(app.test_client())  # someone else behind the same NAT, logging in as themselves
    assert attempt(app, "wu", None, "10.0.0.1", neighbour) == 302


def test_a_device_cookie_counts_only_for_its_name_and_only_signed(app, users):
    app.config["ADMIN_LOGIN_NAME_LIMIT"] = "2 per hour"
    wu_s_phone = known_device(app, "wu")
    for n in range(2):
        assert attempt(app, "sun", "guess", f"203.0.113.{n + 1}") == 200
    assert attempt(app, "sun", None, "192.0.2.1", wu_s_phone) == 429  # a known device of wu, not of sun
    forged = AdminActions(app.test_client())
    cookie = wu_s_phone.client.get_cookie(DEVICE_COOKIE, path="/admin/login").value
    forged.client.set_cookie(DEVICE_COOKIE, cookie.replace("wu", "sun", 1), path="/admin/login")
    assert attempt(app, "sun", None, "192.0.2.1", forged) == 429


def test_a_known_device_that_keeps_failing_is_like_any_other_browser(app, users):
    app.config["ADMIN_LOGIN_DEVICE_LIMIT"] = "2 per minute"
    app.config["ADMIN_LOGIN_NAME_LIMIT"] = "3 per hour"
    stolen = known_device(app, "sun")
    for n in range(2 + 3):  # the device's own two, then the name's three
        assert attempt(app, "sun", "guess", f"203.0.113.{n + 1}", stolen) == 200
    assert attempt(app, "sun", None, "203.0.113.99", stolen) == 429


def test_addresses_of_one_ipv6_block_are_one_client(app, users):
    app.config["ADMIN_LOGIN_LIMIT"] = "5 per minute"
    answers = [attempt(app, "sun", "guess", f"2001:db8:1:2::{n:x}") for n in range(1, 201)]
    assert answers.count(200) == 5 and answers[5:] == [429] * 195
    assert attempt(app, "wu", None, "2001:db8:1:2:ffff::1") == 429  # the same /64: the same client
    assert attempt(app, "wu", None, "2001:db8:1:3::1") == 302  # the next /64 is someone else


def test_rotating_addresses_buys_no_more_guesses_than_the_name_s_ceiling(app, users):
    answers = [attempt(app, "sun", "guess", f"2001:db8:{n:x}::1") for n in range(1, 41)]  # 40 blocks, 1 guess each
    assert answers.count(200) == 10 and answers[10:] == [429] * 30  # ADMIN_LOGIN_NAME_LIMIT, 10 an hour
    assert attempt(app, "sun", None, "198.51.100.1") == 429  # the password itself is refused too, untried


def test_the_wait_is_said_as_it_is(app, users):
    app.config["ADMIN_LOGIN_LIMIT"] = "2 per minute"
    app.config["ADMIN_LOGIN_NAME_LIMIT"] = "3 per hour"
    guesser = AdminActions(app.test_client())
    for _ in range(2):
        guesser.login("sun", "guess")
    refused = guesser.login("sun", "guess")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert _errors(refused) == ["失败次数太多，请等 1 分钟再试。"]
    attempt(app, "sun", "guess", "10.0.0.1")  # the name's third failure: now it is the hour that must pass
    english = AdminActions(app.test_client())
    english.get("/admin/login?lang=en")
    refused = english.login("sun", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert refused.status_code == 429 and 3540 <= int(refused.headers["Retry-After"]) <= 3600
    [said] = _errors(refused)
    assert re.fullmatch(r"Too many failed attempts\. Please wait (59|60) minutes and try again\.", said), said


def test_successful_logins_do_not_use_up_the_limit(app, admin):
    app.config["ADMIN_LOGIN_LIMIT"] = "2 per minute"
    for _ in range(4):
        assert admin.login("sun").status_code == 302
        admin.logout()


def test_an_idle_session_ends_after_30_minutes(coordinator, clock):
    clock.advance(minutes=29)
    assert coordinator.get("/admin/").status_code == 200
    clock.advance(minutes=29)
    assert coordinator.get("/admin/requests").status_code == 200  # each click counts as activity
    clock.advance(minutes=31)
    response = coordinator.get("/admin/requests")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=/admin/requests")
    assert coordinator.get("/admin/").status_code == 302  # and the session is gone for good


@pytest.mark.parametrize("polled", ["/admin/live.json", "/admin/dashboard.json"])
def test_polling_does_not_keep_an_idle_session_alive(coordinator, clock, polled):
    clock.advance(minutes=20)
    assert coordinator.get(polled).status_code == 200
    clock.advance(minutes=15)
    response = coordinator.get(polled)
    assert response.status_code == 401 and response.is_json


def test_a_session_ends_8_hours_after_login_however_active(coordinator, clock):
    for _ in range(16):  # 7 h 44 min of clicks, never 30 minutes apart
        clock.advance(minutes=29)
        assert coordinator.get("/admin/").status_code == 200
    clock.advance(minutes=29)  # 8 h 13 min after the login
    assert coordinator.get("/admin/").status_code == 302


def test_a_deactivated_user_is_logged_out_at_once(app, coordinator):
    with app.app_context():
        db.session.scalars(select(User).filter_by(username="sun")).one().active = False
        db.session.commit()
    assert coordinator.get("/admin/").status_code == 302
    assert coordinator.login("sun").status_code == 200  # and cannot log in again


def test_login_follows_next_only_to_admin_pages(admin):
    response = admin.login("sun", query_string={"next": "/admin/outbox"})
    assert response.headers["Location"] == "/admin/outbox"
    admin.logout()
    for target in ("https://evil.example/", "//evil.example/admin", "/twilio/sms", "/admin\\@evil"):
        response = admin.login("sun", query_string={"next": target})
        assert response.headers["Location"] == "/admin/", target
        admin.logout()


@pytest.mark.parametrize("target", ["/admin/\r\nSet-Cookie: x=1", "/admin/\nx", "/admin/\rx", "/admin/\t",
                                    "/admin/\x7f", "/admin/\u2028", "http://[::1", "//["])
def test_a_next_with_control_characters_or_no_url_goes_to_the_dashboard(admin, target):
    response = admin.login("sun", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/", target
    response = admin.get("/admin/login", query_string={"next": target})  # already logged in
    assert response.status_code == 302 and response.headers["Location"] == "/admin/", target


def test_logging_out_takes_a_post_with_its_token(coordinator):
    assert coordinator.get("/admin/logout").status_code == 405
    assert coordinator.post("/admin/logout", csrf=False).status_code == 400
    assert coordinator.logout().status_code == 302
    assert coordinator.get("/admin/").status_code == 302


def copy_of_the_session(app, actions) -> AdminActions:
    """Another browser holding a copy of the session cookie (as someone who read it off the first would)."""
    copy = AdminActions(app.test_client())
    copy.client.set_cookie("session", actions.client.get_cookie("session").value)
    return copy


def test_logging_out_ends_the_session_on_the_server_so_a_copied_cookie_is_refused(app, coordinator):
    copy = copy_of_the_session(app, coordinator)
    assert copy.get("/admin/").status_code == 200
    coordinator.logout()
    assert copy.get("/admin/").status_code == 302
    assert copy.get("/admin/dashboard.json").status_code == 401
    assert coordinator.login("sun").status_code == 302  # logging in again is a new session; the copy stays out
    assert coordinator.get("/admin/").status_code == 200 and copy.get("/admin/").status_code == 302


def test_a_session_from_before_session_stamps_is_refused(app, coordinator):
    with coordinator.client.session_transaction() as session:
        session["_user_id"] = session["_user_id"].split(":")[0]  # the bare user id older sessions kept
    assert coordinator.get("/admin/").status_code == 302


def test_security_headers_on_every_admin_page(coordinator):
    for path in ("/admin/", "/admin/login", "/admin/requests", "/admin/dashboard.json", "/admin/static/admin.css"):
        headers = coordinator.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    assert coordinator.get("/admin/requests").headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_httponly_lax_and_secure_behind_https(admin):
    response = admin.login("sun")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_a_plain_http_installation_still_logs_in(make_app):
    app = make_app(PUBLIC_BASE_URL="http://127.0.0.1:5000")
    from tests.admin.actions import add_users

    add_users(app)
    actions = AdminActions(app.test_client())
    response = actions.login("sun")
    assert response.status_code == 302
    assert "Secure" not in response.headers["Set-Cookie"]
    assert actions.get("/admin/").status_code == 200


def test_pages_the_user_has_no_role_for_explain_it(viewer):
    response = viewer.get("/admin/broadcast")
    assert response.status_code == 403
    assert "role" in _text(response) or "角色" in _text(response)
    assert csrf_token_in(_text(response))


def test_behind_a_trusted_proxy_each_client_is_limited_on_its_own(make_app):
    app = make_app(HOTLINE_TRUSTED_PROXIES="1")
    add_users(app)
    app.config["ADMIN_LOGIN_LIMIT"] = "2 per minute"
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    guesser = AdminActions(app.test_client())
    for _ in range(2):
        guesser.login("wu", "guess", environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.7"})
    assert guesser.login("wu", "guess", environ_base=proxy,
                         headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    other = AdminActions(app.test_client())  # another client behind the same proxy is not locked out
    assert other.login("sun", environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 302


def test_several_processes_share_the_login_limit_through_redis(make_app):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.RedisError as e:
        pytest.skip(f"no Redis answers at 127.0.0.1:6379: {e}")
    prefix = f"hotline-test-{secrets.token_hex(4)}"
    shared = [make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", RATELIMIT_KEY_PREFIX=prefix)
              for _ in range(2)]  # two web processes, one Redis
    try:
        for app in shared:
            app.config["ADMIN_LOGIN_LIMIT"] = "2 per minute"
        add_users(shared[0])
        first, second = (AdminActions(app.test_client()) for app in shared)
        for _ in range(2):
            assert first.login("wu", "guess").status_code == 200
        assert second.login("wu", "guess").status_code == 429
    finally:
        client = redis.Redis(host="127.0.0.1", port=6379)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


CLIENTS = [("203.0.113.7", "203.0.113.7"), ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
           ("::ffff:203.0.113.7", "203.0.113.7"), ("not an address", "not an address")]


@pytest.mark.parametrize(("address", "client"), CLIENTS)
def test_the_client_an_address_stands_for(address, client):
    assert address_key(address) == client
