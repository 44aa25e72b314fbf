"""A coordinator on a phone (390×844, real Chromium) schedules a broadcast for tomorrow evening and stops it
before it goes, then stops one while it is sending: what went stays sent, the rest is cancelled and counted
on the page, with what became of it per building. The pages pass axe at that size."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from hotline import clock
from hotline.channels.twilio import ConsoleTransport
from hotline.extensions import db
from hotline.models import Outbox, OutStatus
from tests.admin.actions import add_users
from tests.browser.accessibility import NO_AXE, PHONE, violations
from tests.browser.conftest import BUILDING_12, NO_CHROMIUM, make_tables, serving
from tests.helpers import RESIDENTS_CSV, free_port, load_roster
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER

pytestmark = [
    pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""),
    pytest.mark.skipif(bool(NO_AXE), reason=NO_AXE or ""),
    pytest.mark.xdist_group("browser"),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The hotline sending one SMS segment every two seconds: slow enough to stop a broadcast half way."""
    from hotline import create_app

    folder = tmp_path_factory.mktemp("slow")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": f"sqlite:///{folder}/hotline.db", "SECRET_KEY": "browser-test-secret",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_PHONE_NUMBER": HOTLINE_NUMBER,
        "TWILIO_API_URL": "http://127.0.0.1:9", "PUBLIC_BASE_URL": url, "HOTLINE_SEND_RATE": "0.5",
        "HOTLINE_SPOOL_DIR": str(folder / "spool"),
    }
    app = create_app({"ENV": env, "ADMIN_POLL_SECONDS": 1})
    app.extensions["transport"] = app.extensions["sms_transport"] = ConsoleTransport()
    make_tables(app)
    load_roster(app, residents=RESIDENTS_CSV + BUILDING_12)
    add_users(app)
    with serving(app, port, "slow") as running:
        yield running


def write(page, text: str, send_at: str = "") -> None:
    """Write an announcement to building 12, preview it and send (or schedule) it."""
    page.fill('textarea[name="text_zh"]', text)
    page.check('input[name="buildings"][value="12"]')
    if send_at:
        page.fill('input[name="send_at"]', send_at)
    page.click('button[value="preview"]')
    page.click('button[value="send"]')  # confirmed in the dialog
    page.wait_for_url(re.compile(r"/admin/broadcast/[0-9a-f]{12}$"))


def count(page, field: str) -> int:
    return int(page.locator(f'[data-field="{field}"]').inner_text())


def bulk_statuses(live) -> list[OutStatus]:
    with live.app.app_context():
        return [row.status for row in db.session.scalars(db.select(Outbox).where(Outbox.broadcast_id.is_not(None)))]


def test_a_coordinator_on_a_phone_schedules_a_broadcast_then_stops_it_before_it_goes(person, live):
    sun = person(**PHONE, bypass_csp=True)  # axe is injected as a script of the page's own
    sun.login("sun")
    page = sun.open("/admin/broadcast")
    evening = (clock.now().astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).replace(hour=18, minute=0)
    when = evening.strftime("%Y-%m-%d %H:%M")
    page.fill('textarea[name="text_zh"]', "明晚六点在12号楼下发放蔬菜。")
    page.check('input[name="buildings"][value="12"]')
    page.fill('input[name="send_at"]', evening.strftime("%Y-%m-%dT%H:%M"))
    page.click('button[value="preview"]')
    expect(page.locator("#preview-when")).to_contain_text(when)
    assert violations(page) == []
    expect(page.locator('button[value="send"]')).to_have_text("定时发送")
    page.click('button[value="send"]')
    page.wait_for_url(re.compile(r"/admin/broadcast/[0-9a-f]{12}$"))
    expect(page.locator("#send-at")).to_contain_text(f"已定时：将在 {when} 发出")
    total = count(page, "total")
    assert total >= 25 and count(page, "sent") == 0 and count(page, "waiting") == total
    assert violations(page) == []
    sun.shot("broadcast-scheduled-phone-zh")
    page.click("#stop-form button")  # confirmed in the dialog
    expect(page.locator("#stopped-note")).to_be_visible()
    expect(page.locator("#cancelled-count")).to_have_text(str(total))
    expect(page.locator("#stop-form")).to_have_count(0)
    assert set(bulk_statuses(live)) == {OutStatus.CANCELLED}
    assert violations(page) == []


def test_stopping_a_broadcast_while_it_sends_keeps_what_went_and_counts_the_rest(person, live):
    sun = person(**PHONE, bypass_csp=True)  # axe is injected as a script of the page's own
    sun.login("sun")
    write(sun.open("/admin/broadcast"), "今天下午三点停水，请提前储水。")
    page = sun.page
    page.wait_for_function("() => Number(document.querySelector('[data-field=\"sent\"]').textContent) >= 2",
                           timeout=30_000)  # the page follows it live: two have gone
    page.click("#stop-form button")
    expect(page.locator("#stopped-note")).to_be_visible()
    expect(page.locator('[data-field="waiting"]')).to_have_text("0", timeout=15_000)  # a message being sent settles
    page.reload()
    total, sent, cancelled = count(page, "total"), count(page, "sent"), count(page, "cancelled")
    assert sent >= 2 and cancelled >= 1 and sent + cancelled + count(page, "skipped") == total
    expect(page.locator("#stopped-note")).to_contain_text(f"取消了 {cancelled} 条")
    row = page.locator('#reach tr[data-building="12"]')
    expect(row.locator("th")).to_have_text("12号楼")
    statuses = bulk_statuses(live)
    assert statuses.count(OutStatus.SENT) == sent and OutStatus.QUEUED not in statuses
    assert violations(page) == []
    sun.shot("broadcast-stopped-phone-zh")
