"""Inbound SMS survive a database that does not answer: spooled, answered, replayed once."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import func, select

from hotline import create_app
from hotline.config import ConfigError
from hotline.extensions import db
from hotline.models import Inbound, Outbox, OutStatus, Request
from hotline.spool import Spool
from hotline.worker import Worker
from tests.conftest import hotline_env
from tests.helpers import LI_WEI, LIU, SUN_HONG, WANG_FANG, Phone, load_roster, numbers_in, sign
from tests.twilio_standin import ACCOUNT_SID

DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1


@pytest.fixture
def spool_dir(tmp_path):
    return tmp_path / "spool"


@pytest.fixture
def app(make_app, spool_dir, clock):
    app = make_app(HOTLINE_SPOOL_DIR=str(spool_dir))
    load_roster(app)
    return app


@pytest.fixture
def down(spool_dir, clock):
    """The same hotline, on the same clock, while its database does not answer."""
    return create_app({"ENV": hotline_env(DEAD_DATABASE, HOTLINE_SPOOL_DIR=str(spool_dir)), "TESTING": True},
                      clock=clock)


def test_sms_while_the_database_is_down_is_spooled_answered_and_replayed_once(app, down, spool_dir):
    stranger = Phone(down, down.test_client(), "+8613700001111")
    holding = stranger.text("12号楼302室 需要买菜", sid="SM" + "a" * 32)
    assert holding and "120" in holding[0] and not numbers_in(holding[0])
    stranger.text("12号楼302室 需要买菜", sid="SM" + "a" * 32)  # Twilio's retry, spooled again
    stranger.text("STATUS", sid="SM" + "b" * 32)
    assert len(list(spool_dir.glob("*.json"))) == 3

    assert Worker(app).replay_spool() == 3
    assert list(spool_dir.glob("*.json")) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Request.id))) == 1
        assert db.session.scalar(select(func.count(Inbound.id))) == 2
        to_sender = db.session.scalars(
            select(Outbox.body).where(Outbox.to == "+8613700001111").order_by(Outbox.id)
        ).all()
        assert numbers_in(to_sender[0]) == [1] and numbers_in(to_sender[1]) == [1]  # the reply, then STATUS
        assert db.session.scalar(select(Outbox.status).where(Outbox.to == "+8613700001111").limit(1)) == (
            OutStatus.QUEUED
        )
    assert numbers_in(Phone(app, app.test_client(), LI_WEI).last()) == [1]


def test_sms_from_no_phone_number_while_the_database_is_down_is_spooled_and_shown_later(app, down, spool_dir):
    assert Phone(down, down.test_client(), "whatsapp:+8613700001111").text("12号楼302室 需要买菜") == []
    assert len(list(spool_dir.glob("*.json"))) == 1
    assert Worker(app).replay_spool() == 1
    with app.app_context():
        assert db.session.scalars(select(Inbound.phone)).all() == [""]
        assert db.session.scalar(select(func.count(Request.id))) == 0
    assert any("whatsapp:+8613700001111" in m for m in Phone(app, app.test_client(), SUN_HONG).inbox())


def test_replay_waits_while_the_database_is_still_down(down, spool_dir):
    Phone(down, down.test_client(), "+8613700001111").text("要米 12-302")
    assert Worker(down).replay_spool() == 0
    assert len(list(spool_dir.glob("*.json"))) == 1


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_spooled_numbers_and_words_are_readable_by_the_hotline_alone(down, spool_dir):
    Phone(down, down.test_client(), "+8613700001111").text("要米 12-302")
    [spooled] = spool_dir.glob("*.json")
    assert (mode(spool_dir), mode(spooled)) == (0o700, 0o600)


def test_a_spool_folder_open_to_others_is_closed_at_start(tmp_path):
    folder = tmp_path / "spool"
    folder.mkdir()
    os.chmod(folder, 0o755)
    Spool(folder)
    assert mode(folder) == 0o700


def test_the_instance_folder_holding_the_database_is_the_hotline_s_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the instance folder is ./instance
    old = os.umask(0o022)  # the usual umask: new folders 0755, new files (hotline.db, -wal, -shm) 0644
    try:
        app = create_app({"ENV": hotline_env(f"sqlite:///{tmp_path}/instance/hotline.db",
                                             HOTLINE_SPOOL_DIR=str(tmp_path / "spool"))})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
    finally:
        os.umask(old)
    assert mode(tmp_path / "instance") == 0o700  # nobody else gets to the files inside, whatever their modes
    assert (tmp_path / "instance" / "hotline.db").exists()


def test_an_instance_folder_open_to_others_is_closed_at_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "instance").mkdir()
    os.chmod(tmp_path / "instance", 0o755)
    create_app({"ENV": hotline_env(f"sqlite:///{tmp_path}/x.db", HOTLINE_SPOOL_DIR=str(tmp_path / "spool"))})
    assert mode(tmp_path / "instance") == 0o700


def test_the_app_refuses_to_start_without_a_writable_spool(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(ConfigError, match="spool"):
        create_app({"ENV": hotline_env(f"sqlite:///{tmp_path}/x.db", HOTLINE_SPOOL_DIR=str(blocked / "spool"))})


def call_step(app, caller: str, call_sid: str) -> str:
    """One signed call step, as Twilio starts a call."""
    params = {
        "CallSid": call_sid,
        "From": caller,
        "To": "+14155550100",
        "CallStatus": "ringing",
        "AccountSid": ACCOUNT_SID,
        "Direction": "inbound",
    }
    response = app.test_client().post(
        "/twilio/voice", data=params, headers={"X-Twilio-Signature": sign("https://hotline.test/twilio/voice", params)}
    )
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return response.get_data(as_text=True)


def test_a_call_while_the_database_is_down_is_called_back_once(app, down, spool_dir):
    sorry = call_step(down, LIU, "CA" + "1" * 32)
    assert "<Hangup" in sorry and "<Say" in sorry
    call_step(down, LIU, "CA" + "1" * 32)  # Twilio's retry of the same step
    call_step(down, "+8613700005555", "CA" + "2" * 32)  # a stranger: nobody knows where
    assert len(list(spool_dir.glob("*.json"))) == 3
    assert Worker(app).replay_spool() == 3
    with app.app_context():
        [callback] = db.session.scalars(select(Request)).all()
        assert (callback.category, callback.channel, callback.household.label) == ("help", "voice", "5-1201")
    assert numbers_in(Phone(app, app.test_client(), WANG_FANG).last()) == [callback.id]
    assert any("+8613700005555" in m for m in Phone(app, app.test_client(), SUN_HONG).inbox())
