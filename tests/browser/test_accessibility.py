"""Every admin page works for everyone: axe-core finds no serious or critical violation at phone size in Chinese
and on a desktop in English; each page has one h1; every tap target in the content is at least 44×44 px
on a phone; the menu folds behind a disclosure button on a phone; form errors are tied to their fields; the
live pages announce only what changed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import DESKTOP, NO_AXE, PHONE, small_targets, violations
from tests.browser.conftest import NO_CHROMIUM
from tests.browser.test_admin_pages import PAGES
from tests.helpers import numbers_in

pytestmark = [
    pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""),
    pytest.mark.skipif(bool(NO_AXE), reason=NO_AXE or ""),
    pytest.mark.xdist_group("browser-axe"),
]

SIZES = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(scope="module")
def pages(live, browser):
    """The admin pages to check, with the data that fills them: requests, a delivered one, a broadcast."""
    from tests.browser.conftest import Session
    from tests.helpers import CHEN_JIE

    [n] = numbers_in(live.text("+8613700007001", "7号楼701 大米一袋 鸡蛋十个")[0])
    live.text(CHEN_JIE, f"OK {n}")
    live.text(CHEN_JIE, f"DONE {n}")
    [urgent] = numbers_in(live.text("+8613700007002", "12号楼702 我妈摔倒了起不来")[0])
    live.text("+8613700007003", "小区什么时候解封？")
    sun = Session(browser, live)
    try:
        sun.login("sun")
        page = sun.open("/admin/broadcast")
        page.fill('textarea[name="text_zh"]', "明天上午9点发放蔬菜。")
        page.fill('textarea[name="text_en"]', "Vegetables tomorrow at 9.")
        page.check('input[name="buildings"][value="7"]')
        page.click('button[value="preview"]')
        page.click('button[value="send"]')  # confirmed in the dialog
        page.wait_for_url(re.compile(r"/admin/broadcast/[0-9a-f]{12}$"))
        progress = page.url.removeprefix(live.url)
    finally:
        sun.context.close()
    every = [(name, path) for name, path in PAGES if name not in ("login", "request")]  # login: before logging in
    return [*every, ("act-now", "/admin/act-now"), ("request", f"/admin/requests/{urgent}"),
            ("request-delivered", f"/admin/requests/{n}"), ("broadcast-progress", progress),
            ("not-found", "/admin/requests/999999")]


# Each language at one size and each size in one language: what axe finds turns on the page's words (the lang
# attribute, labels and names from the catalogs) or on its layout (the folded menu, the tables a phone reads as
# cards), and the two pairs meet both; the tap targets below are measured in both languages on a phone.
@pytest.mark.parametrize(("lang", "size"), [("zh", "phone"), ("en", "desktop")], ids=["zh-phone", "en-desktop"])
def test_every_admin_page_passes_axe_with_one_h1(person, pages, lang, size):
    me = person(**SIZES[size], bypass_csp=True)  # axe is injected as a script of the page's own
    found: dict[str, list[str]] = {}
    page = me.open(f"/admin/login?lang={lang}")
    found["login"] = violations(page) + one_h1(page)
    me.login("sun")
    for name, path in pages:
        page = me.open(path)
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if lang == "zh" else "en")
        found[name] = violations(page) + one_h1(page)
    page = me.open("/admin/requests/new")
    page.click("#request-form button[type=submit]")  # nothing filled in: the form answers with its errors
    expect(page.locator(".field.has-error").first).to_be_visible()
    found["request-new-errors"] = violations(page) + one_h1(page)
    me.errors.clear()  # the 404 page is opened on purpose
    bad = {name: v for name, v in found.items() if v}
    assert not bad, f"{lang} at {size}: {bad}"
    assert len(found) == len(pages) + 2


def one_h1(page) -> list[str]:
    count = page.locator("h1").count()
    return [] if count == 1 else [f"{count} h1 elements"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_tap_target_in_the_content_is_a_finger_wide_on_a_phone(person, pages, lang):
    phone = person(**PHONE)
    phone.open(f"/admin/login?lang={lang}")
    found = {"login": small_targets(phone.page)}
    phone.login("sun")
    for name, path in pages:
        page = phone.open(path)
        page.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")  # what a tap opens too
        found[name] = small_targets(page)
    phone.errors.clear()  # the 404 page is opened on purpose
    bad = {name: small for name, small in found.items() if small}
    assert not bad, f"smaller than 44×44 px ({lang}): {bad}"


def test_the_menu_folds_behind_a_button_on_a_phone_and_stays_open_on_a_desktop(person):
    phone = person(**PHONE)
    page = phone.login("sun")
    menu = page.locator("#menu")
    toggle = page.locator("button[aria-controls=menu]")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    assert page.locator("main h1").bounding_box()["y"] < 200  # the page starts at once, not after a list of links
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    for link in menu.locator("a").all():
        box = link.bounding_box()
        assert box["height"] >= 44, link.inner_text()
    menu.locator('a[href="/admin/requests"]').click()
    expect(page.locator("h1")).to_have_text("求助")
    expect(page.locator("button[aria-controls=menu]")).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Tab")  # the first stop is the skip link, then the menu's button
    toggle.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()

    desk = person(**DESKTOP)
    page = desk.login("sun")
    expect(page.locator("button[aria-controls=menu]")).to_be_hidden()
    expect(page.locator("#menu")).to_be_visible()
    expect(page.locator('#menu a[href="/admin/outbox"]')).to_be_visible()


def test_form_errors_are_tied_to_their_fields(person):
    sun = person(**PHONE)
    sun.login("sun")
    page = sun.open("/admin/requests/new?lang=en")
    page.click("#request-form button[type=submit]")
    invalid = page.locator("#request-form [aria-invalid=true]")
    expect(invalid.first).to_be_visible()
    assert invalid.count() >= 2
    for field in invalid.all():
        described = field.get_attribute("aria-describedby")
        assert described, field.get_attribute("name")
        errors = [page.locator(f"#{i}").inner_text() for i in described.split()]
        assert any(text.strip() for text in errors), field.get_attribute("name")
    expect(invalid.first).to_be_focused()  # the page's script puts focus on the first, once the page has loaded


def test_a_live_page_announces_the_new_request_and_nothing_else(person, live):
    sun = person(**PHONE)
    sun.login("sun")
    page = sun.open("/admin/requests?status=")
    page.evaluate("window.__noReload = true")
    assert page.locator("[data-live-region][aria-live], [data-live-region] [aria-live]").count() == 0
    news = page.locator("#live-news")
    expect(news).to_have_attribute("role", "status")
    expect(news).to_have_text("")
    [n] = numbers_in(live.text("+8613700007004", "7号楼704 需要牛奶")[0])
    expect(page.locator(f'tr[data-number="{n}"]')).to_be_visible(timeout=8_000)
    expect(news).to_contain_text(f"#{n}")
    said = news.inner_text()
    assert said.count("#") == 1, said  # the one new request, not the whole list again
    assert page.evaluate("window.__noReload") is True
