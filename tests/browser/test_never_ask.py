"""The people who never ask, in a real headless Chromium at phone size and on a desktop: the residents list
filtered by flag, building and silence, turned in one tap (and a confirmation) into a round of check-in calls
that the check-ins page then lists, or into an announcement; every page of it passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import DESKTOP, NO_AXE, PHONE, small_targets, violations
from tests.browser.conftest import NO_CHROMIUM

pytestmark = [
    pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""),
    pytest.mark.skipif(bool(NO_AXE), reason=NO_AXE or ""),
    pytest.mark.xdist_group("browser"),
]


def test_on_a_phone_the_filtered_list_becomes_a_round_of_check_in_calls(person, live):
    sun = person(**PHONE, bypass_csp=True)  # axe is injected as a script of the page's own
    sun.login("sun")
    page = sun.open("/admin/residents?lang=zh")
    everyone = page.locator("tbody tr").count()
    page.locator('#resident-filters input[name="flag"][value="elderly"]').check()
    page.locator('#resident-filters button[type="submit"]').click()
    expect(page.locator("tbody tr")).to_have_count(2)  # 刘伯伯 and 王阿姨
    assert everyone > 2
    expect(page.locator("#resident-count")).to_have_text("共 2 人")
    assert violations(page) == [] and small_targets(page) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    sun.shot("never-ask-residents-phone-zh")

    round_button = page.locator('#round-form button[data-action="round"]')
    expect(round_button).to_have_attribute("data-confirm", "给这 2 位居民每人打一个问候电话吗？")
    round_button.click()  # the confirmation is accepted
    page.wait_for_url(re.compile(r"/admin/check-ins$"))
    expect(page.locator(".flash").filter(has_text="已排好 2 个问候电话")).to_have_count(1)
    rows = page.locator("#calls tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="刘伯伯")).to_have_count(1)
    expect(rows.filter(has_text="王阿姨")).to_contain_text("正在呼叫")
    assert violations(page) == [] and small_targets(page) == []
    sun.shot("never-ask-check-ins-phone-zh")

    page = sun.open("/admin/residents?flag=elderly")
    page.locator('#round-form button[data-action="round"]').click()  # again the same day: nobody twice
    page.wait_for_url(re.compile(r"/admin/check-ins$"))
    expect(page.locator("#calls tbody tr")).to_have_count(2)


def test_on_a_desktop_a_building_not_heard_from_gets_an_announcement(person, live):
    sun = person(**DESKTOP, bypass_csp=True)
    sun.login("sun")
    page = sun.open("/admin/residents?lang=en")
    page.select_option('#resident-filters select[name="building"]', "12")
    page.fill('#resident-filters input[name="silent"]', "2")
    page.locator('#resident-filters button[type="submit"]').click()
    expect(page.locator("tbody tr").first).to_be_visible()
    count = page.locator("tbody tr").count()
    assert count > 1 and page.locator("tbody tr").filter(has_text="12-").count() == count
    expect(page.locator("tbody tr .last-heard").first).to_have_text("never")
    page.locator('#reach-out a[data-action="broadcast"]').click()
    page.wait_for_url(re.compile(r"/admin/residents/broadcast\?"))
    expect(page.locator("h1")).to_have_text("Announcement to a list")
    page.fill('textarea[name="text_zh"]', "今天下午有人上门看望。")
    page.click('button[value="preview"]')
    expect(page.locator("#preview")).to_be_visible()
    assert violations(page) == []
    page.click('button[value="send"]')  # confirmed in the dialog
    page.wait_for_url(re.compile(r"/admin/broadcast/[0-9a-f]{12}$"))
    expect(page.locator("h1")).to_be_visible()
    sun.shot("never-ask-broadcast-desktop-en")


def test_a_wrong_number_of_days_is_said_at_its_field(person, live):
    sun = person(**PHONE, bypass_csp=True)
    sun.login("sun")
    page = sun.open("/admin/residents?silent=abc&lang=zh")
    field = page.locator('#resident-filters input[name="silent"]')
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#silent-error")).to_have_text("请写 1 到 365 之间的天数。")
    assert violations(page) == []
    sun.errors.clear()  # the page answers 400 on purpose
