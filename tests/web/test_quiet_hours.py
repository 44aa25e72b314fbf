"""Quiet hours: non-urgent volunteer alerts wait for the morning; urgent ones never wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Outbox
from tests.helpers import LI_WEI, get_request, load_roster, numbers_in

STRANGER = "+8613700001111"
MORNING = datetime(2022, 4, 12, 23, 0, tzinfo=UTC)  # 07:00 on the 13th in Shanghai


@pytest.fixture
def app(make_app, clock):
    clock.at = datetime(2022, 4, 12, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    app = make_app(HOTLINE_QUIET_HOURS="22:00-07:00")
    load_roster(app)
    return app


def alert_due(app, number: int) -> datetime:
    with app.app_context():
        return db.session.scalar(
            select(Outbox.next_attempt_at).where(Outbox.request_id == number, Outbox.to == LI_WEI)
        )


def test_a_night_request_reaches_the_volunteer_at_seven(app, phone):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    assert alert_due(app, n) == MORNING
    assert get_request(app, n).escalate_at == MORNING + timedelta(seconds=900)


def test_urgent_requests_are_not_held(app, phone, clock):
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 急需胰岛素"))
    assert alert_due(app, n) < MORNING - timedelta(hours=7)


def test_outside_quiet_hours_nothing_waits(app, phone, clock):
    clock.at = datetime(2022, 4, 12, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    [n] = numbers_in(phone(STRANGER).reply("12号楼302室 需要买菜"))
    assert alert_due(app, n) - clock.at < timedelta(minutes=1)
