"""The dashboard's chart: requests made and delivered per local day, counted by the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.domain.dashboard import per_day
from hotline.models import Category, Channel, Household, Request, Status


def add(session, home, created: datetime, delivered: datetime | None = None) -> None:
    session.add(Request(category=Category.FOOD, household=home, channel=Channel.SMS, language="zh",
                        status=Status.DELIVERED if delivered else Status.NEW, created_at=created, updated_at=created,
                        delivered_at=delivered, closed_at=delivered))


def test_requests_fall_on_their_local_day(session):
    shanghai = ZoneInfo("Asia/Shanghai")  # midnight there is 16:00 UTC the day before
    home = Household(building=3, room="101")
    now = datetime(2026, 4, 20, 3, 0, tzinfo=UTC)  # 11:00 on 20 April in Shanghai
    add(session, home, datetime(2026, 4, 19, 15, 59, 59, tzinfo=UTC))  # 23:59:59 on the 19th
    add(session, home, datetime(2026, 4, 19, 16, 0, tzinfo=UTC),  # 00:00 on the 20th
        delivered=datetime(2026, 4, 20, 2, 0, tzinfo=UTC))
    add(session, home, datetime(2026, 4, 6, 16, 0, tzinfo=UTC),  # the first day shown, at its first instant
        delivered=datetime(2026, 4, 19, 1, 0, tzinfo=UTC))
    add(session, home, datetime(2026, 4, 6, 15, 59, tzinfo=UTC))  # the day before: not shown
    add(session, home, datetime(2026, 4, 20, 16, 0, tzinfo=UTC))  # tomorrow (a clock ahead): not shown
    session.commit()

    days = per_day(session, shanghai, now, 14)
    assert [d.day for d in days] == [date(2026, 4, 7) + timedelta(days=i) for i in range(14)]
    counted = {d.day: (d.created, d.delivered) for d in days if d.created or d.delivered}
    assert counted == {date(2026, 4, 7): (1, 0), date(2026, 4, 19): (1, 1), date(2026, 4, 20): (1, 1)}


def test_a_day_with_a_change_of_clock_keeps_its_own_hours(session):
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward at 02:00 on 29 March 2026: that day has 23 hours
    home = Household(building=3, room="101")
    add(session, home, datetime(2026, 3, 28, 22, 30, tzinfo=UTC))  # 23:30 on the 28th (UTC+1)
    add(session, home, datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # 00:30 on the 30th (UTC+2)
    add(session, home, datetime(2026, 3, 29, 21, 59, tzinfo=UTC))  # 23:59 on the 29th
    session.commit()

    days = per_day(session, berlin, datetime(2026, 3, 30, 10, 0, tzinfo=UTC), 3)
    assert [(d.day.day, d.created) for d in days] == [(28, 1), (29, 1), (30, 1)]
