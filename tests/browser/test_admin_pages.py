"""The admin pages in a real headless Chromium, as coordinators use them (often on a phone)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NO_CHROMIUM
from tests.helpers import CHEN_JIE, ZHANG_MIN, numbers_in

pytestmark = [pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""), pytest.mark.xdist_group("browser-pages")]


def test_a_texted_request_appears_live_then_is_reassigned_and_its_sms_goes_out(person, live):
    sun = person()
    page = sun.login("sun")
    expect(page.locator("h1")).to_have_count(1)
    page.evaluate("window.__noReload = true")
    [n] = numbers_in(live.text("+8613700001111", "12号楼302室 要大米两袋，鸡蛋30个")[0])
    # the dashboard polls and swaps in what changed: no reload
    expect(page.locator("#oldest")).to_contain_text(f"#{n}", timeout=8_000)
    expect(page.locator('.cell[data-building="12"] .n')).to_have_text(re.compile(r"[1-9]"))
    assert page.evaluate("window.__noReload") is True
    sun.shot("dashboard-zh")

    page = sun.open("/admin/requests")
    page.evaluate("window.__noReload = true")
    [m] = numbers_in(live.text("+8613700002222", "Bldg 7 Rm 808, need milk please")[0])
    expect(page.locator(f'tr[data-number="{m}"]')).to_be_visible(timeout=8_000)
    assert page.evaluate("window.__noReload") is True
    sun.shot("requests-zh")

    page = sun.open(f"/admin/requests/{n}")
    option = page.locator('#reassign select option', has_text="Zhang Min")
    page.select_option("#reassign select", value=option.get_attribute("value"))
    page.fill('#reassign input[name="reassign-reason"]', "Li Wei is at the gate")
    page.click("#reassign button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Zhang Min")
    expect(page.locator(".timeline")).to_contain_text("Li Wei is at the gate")
    sun.shot("request-zh")

    page = sun.open("/admin/outbox")
    row = page.locator("tr[data-message]", has_text=ZHANG_MIN).filter(has_text=f"#{n}").first
    expect(row).to_be_visible()
    expect(row.locator(".badge")).to_have_class(re.compile("out-sent"), timeout=8_000)  # the worker sent it
    sun.shot("outbox-zh")


def test_the_language_switches_and_is_remembered(person):
    sun = person()
    page = sun.login("sun")
    expect(page.locator("nav.nav")).to_contain_text("概览")
    page.click('a[data-lang="en"]')
    expect(page.locator("nav.nav")).to_contain_text("Dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click('nav.nav a[href="/admin/requests"]')
    expect(page.locator("h1")).to_have_text("Requests")  # remembered from page to page
    sun.shot("requests-en")
    page.click('a[data-lang="zh"]')
    expect(page.locator("h1")).to_have_text("求助")
    expect(page).to_have_url(re.compile(r"/admin/requests\?lang=zh"))


def test_a_broadcast_to_one_building_goes_out_with_its_progress(person):
    sun = person()
    sun.login("sun")
    page = sun.open("/admin/broadcast")
    page.fill('textarea[name="text_zh"]', "明天上午9点在12号楼下发放蔬菜，请带袋子。")
    expect(page.locator("#count-zh")).to_contain_text("1 条短信")
    page.fill('textarea[name="text_en"]', "Vegetables at building 12 tomorrow 9 am. " * 5)
    expect(page.locator("#count-en")).to_contain_text("2 条短信")  # over 160 characters: two segments
    page.check('input[name="buildings"][value="12"]')
    page.click('button[value="preview"]')
    expect(page.locator("#preview")).to_contain_text("位居民")
    sun.shot("broadcast-zh")
    page.click('button[value="send"]')  # confirmed in the dialog
    page.wait_for_url(re.compile(r"/admin/broadcast/[0-9a-f]{12}$"))
    bar = page.locator("#progress-bar")
    total = int(bar.get_attribute("max"))
    assert total >= 24 and int(bar.get_attribute("value")) < total  # it starts, then we watch it go
    sun.shot("broadcast-progress-running-zh")
    expect(page.locator("[data-finished]")).to_be_visible(timeout=15_000)
    assert bar.evaluate("b => b.value") == total
    expect(page.locator('[data-field="waiting"]')).to_have_text("0")
    sun.shot("broadcast-progress-zh")


def test_a_viewer_reads_with_numbers_masked_and_cannot_edit(person, live):
    [n] = numbers_in(live.text("+8613700003333", "12号楼303 需要降压药")[0])
    wu = person()
    page = wu.login("wu")
    expect(page.locator("nav.nav")).not_to_contain_text("群发通知")
    page = wu.open(f"/admin/requests/{n}")
    expect(page.locator(".facts")).to_contain_text("3333")
    expect(page.locator(".facts")).not_to_contain_text("+8613700003333")
    expect(page.locator("form#reassign, form#status, form#note, form#urgent")).to_have_count(0)
    wu.shot("request-viewer-zh")
    page = wu.open("/admin/broadcast")
    expect(page.locator("h1")).to_contain_text("角色")
    page = wu.open("/admin/volunteers")
    expect(page.locator("button.toggle")).to_have_count(0)


PAGES = [
    ("login", "/admin/login"),
    ("dashboard", "/admin/"),
    ("requests", "/admin/requests?status="),
    ("request", "/admin/requests/1"),
    ("request-new", "/admin/requests/new"),
    ("volunteers", "/admin/volunteers"),
    ("volunteer-edit", "/admin/volunteers/1"),
    ("residents", "/admin/residents"),
    ("resident-edit", "/admin/residents/1"),
    ("outbox", "/admin/outbox"),
    ("manifest", "/admin/manifest"),
    ("numbers", "/admin/numbers"),
    ("broadcast", "/admin/broadcast"),
    ("residents-filtered", "/admin/residents?flag=elderly&silent=1"),
    ("check-ins", "/admin/check-ins"),
    ("residents-broadcast", "/admin/residents/broadcast?flag=elderly"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_fits_a_390_px_phone_in_both_languages(person, live, lang):
    live.text("+8613700004444", "12号楼404 大米一袋 鸡蛋十个 牛奶两盒")
    phone = person(width=390, height=844)
    phone.open(f"/admin/login?lang={lang}")
    phone.shot(f"phone-login-{lang}")
    phone.login("sun")
    for name, path in PAGES[1:]:
        page = phone.open(path)
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if lang == "zh" else "en")
        assert page.locator("h1").count() >= 1, name
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} ({lang}) is {overflow}px wider than a 390-px phone"
        phone.shot(f"phone-{name}-{lang}")
    recent = phone.open("/admin/broadcast").locator("ul.plain a[href^='/admin/broadcast/']")
    if recent.count():
        with phone.page.expect_navigation():  # the progress page, once loaded, is measured
            recent.first.click()
        assert phone.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        phone.shot(f"phone-broadcast-progress-{lang}")


def test_the_manifest_prints_and_the_desktop_dashboard_reads_well(person, live):
    [n] = numbers_in(live.text("+8613700005555", "7号楼505室 eggs x30, 2 bags of rice")[0])
    live.text(CHEN_JIE, f"OK {n}")
    live.text(CHEN_JIE, f"DONE {n}")  # delivered: the chart has both kinds of bars
    sun = person()
    sun.login("sun")
    page = sun.open("/admin/?lang=en")
    expect(page.locator("svg.chart rect.bar.delivered[height]").last).to_be_attached()
    assert float(page.locator("svg.chart rect.bar.delivered").last.get_attribute("height")) > 0
    sun.shot("dashboard-en")
    page = sun.open("/admin/manifest?lang=en")
    expect(page.locator(".items").first).to_contain_text("×")
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()  # waits for the print styles to apply
    expect(page.locator("form.filters")).to_be_hidden()
    page.emulate_media(media="screen")
    sun.shot("manifest-en")


def test_the_numbers_chart_and_tables_read_on_a_phone(person, live):
    [n] = numbers_in(live.text("+8613700006666", "5号楼606室 要买鸡蛋")[0])
    live.text("+8613900000051", f"OK {n}")  # Wang Fang, building 5's volunteer
    live.text("+8613900000051", f"DONE {n}")
    phone = person(width=390, height=844)
    phone.login("sun")
    page = phone.open("/admin/?lang=zh")
    chart = page.locator("svg.numbers-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    expect(page.locator("#numbers-title")).to_contain_text("按时送达")
    assert int(chart.locator('rect.bar.on-time[data-label="5"]').get_attribute("data-value")) >= 1
    assert float(chart.locator('rect.bar.created[data-label="5"]').get_attribute("height")) > 0
    page.locator("#numbers summary").click()
    expect(page.locator('#numbers-day-buildings tr[data-building="5"] td[data-count="on-time"]')).to_contain_text("%")
    phone.shot("phone-numbers-chart-zh")
    page.click("#numbers a.go")
    expect(page.locator("h1")).to_have_text("数据")
    row = page.locator('#numbers-week-volunteers tr', has_text="Wang Fang")
    expect(row.locator('td[data-count="deliver"]')).not_to_have_text("-")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    phone.shot("phone-numbers-zh")
