"""The SMS phone's banner on an open dashboard, in a real headless Chromium: it comes with the live poll
when the phone has been away too long and goes when it is back, without a reload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hotline import clock
from hotline.domain import carriers
from hotline.extensions import db
from hotline.models import CarrierHealth
from tests.browser.conftest import NO_CHROMIUM

pytestmark = [pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""), pytest.mark.xdist_group("browser")]


def test_the_phone_s_banner_comes_and_goes_on_an_open_dashboard(person, live):
    sun = person(width=390, height=844)
    sun.login("sun")
    page = sun.open("/admin/")
    expect(page.locator("#carriers-down")).to_be_attached()
    expect(page.locator("#carrier-down-gateway")).to_have_count(0)
    page.evaluate("window.__noReload = true")

    with live.app.app_context():  # what a worker records once the phone has not answered for ten minutes
        now = clock.now()
        db.session.add(CarrierHealth(name="gateway", down_since=now - timedelta(minutes=10), checked_at=now,
                                     told_at=now, last_error="the phone cannot be reached: ConnectionError"))
        db.session.commit()
    banner = page.locator("#carrier-down-gateway")
    expect(banner).to_be_visible(timeout=8_000)
    expect(banner.locator("h2")).to_have_text("短信手机离线了")

    with live.app.app_context():  # its first sign of life
        carriers.seen(db.session, "gateway", clock.now())
        db.session.commit()
    expect(banner).to_have_count(0, timeout=8_000)
    assert page.evaluate("window.__noReload") is True  # swapped in place, not reloaded
