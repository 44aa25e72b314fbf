"""Configuration from the environment, and the promises the app keeps at start."""

from __future__ import annotations

import pytest

from hotline import create_app
from hotline.config import ConfigError, from_environment, parse_buildings, parse_quiet_hours


def test_buildings_as_ranges_and_lists():
    assert parse_buildings("1-36,40, 41") == frozenset([*range(1, 37), 40, 41])


@pytest.mark.parametrize("spec", ["", "a-b", "36-1", "1-999999", "1;2"])
def test_bad_buildings_are_refused(spec):
    with pytest.raises(ConfigError):
        parse_buildings(spec)


def test_quiet_hours():
    assert parse_quiet_hours("22:00-07:00") == (22 * 60, 7 * 60)
    assert parse_quiet_hours("") is None
    with pytest.raises(ConfigError):
        parse_quiet_hours("25:00-07:00")


def test_defaults_follow_the_spec(tmp_path):
    settings = from_environment(tmp_path, {})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'hotline.db'}"
    assert settings["HOTLINE_BUILDINGS"] == frozenset(range(1, 37))
    assert settings["HOTLINE_RETRY_DELAYS"] == (300, 900) and settings["HOTLINE_SEND_RATE"] == 1
    assert settings["TWILIO_API_URL"] == "https://api.twilio.com" and not settings["SESSION_COOKIE_SECURE"]
    assert settings["TWILIO_HTTP_TIMEOUT"] == 10
    again = from_environment(tmp_path, {})
    assert settings["SECRET_KEY"] == again["SECRET_KEY"] and len(settings["SECRET_KEY"]) == 64


def test_the_twilio_timeout_is_read_from_the_environment(tmp_path):
    assert from_environment(tmp_path, {"TWILIO_HTTP_TIMEOUT": "2.5"})["TWILIO_HTTP_TIMEOUT"] == 2.5
    for bad in ("0", "-1", "600", "soon"):
        with pytest.raises(ConfigError):
            from_environment(tmp_path, {"TWILIO_HTTP_TIMEOUT": bad})


def test_credentials_without_public_base_url_refuse_to_start(tmp_path):
    env = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_PHONE_NUMBER": "+14155550100",
           "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "SECRET_KEY": "s"}
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        create_app({"ENV": env})


def test_https_public_url_makes_the_cookie_secure(tmp_path):
    settings = from_environment(tmp_path, {"PUBLIC_BASE_URL": "https://hotline.example.org/", "SECRET_KEY": "s"})
    assert settings["SESSION_COOKIE_SECURE"] and settings["PUBLIC_BASE_URL"] == "https://hotline.example.org"


def test_without_credentials_unsigned_webhooks_come_only_from_loopback(tmp_path):
    app = create_app({"ENV": {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "SECRET_KEY": "s"}})
    from hotline.extensions import db

    with app.app_context():
        db.create_all()
    client = app.test_client()
    form = {"MessageSid": "SM" + "1" * 32, "From": "+8613700000001", "Body": "12号楼302 要米"}
    outside = client.post("/twilio/sms", data=form, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 403
    local = client.post("/twilio/sms", data=form, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.status_code == 200 and "#1" in local.get_data(as_text=True)
