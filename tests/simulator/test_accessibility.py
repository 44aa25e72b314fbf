"""The home page and the phone simulator work for everyone: axe-core finds no serious or critical violation at
phone size and on a desktop, in Chinese and in English, in a chat and in a call; one h1 each; every tap target
is at least 44×44 px on a phone."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import DESKTOP, NO_AXE, PHONE, small_targets, violations
from tests.browser.conftest import NO_CHROMIUM

pytestmark = [
    pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""),
    pytest.mark.skipif(bool(NO_AXE), reason=NO_AXE or ""),
    pytest.mark.xdist_group("sim-axe"),
]

SIZES = {"phone": PHONE, "desktop": DESKTOP}
TOM = "+8613912345678"  # the demo's foreign resident


def one_h1(page) -> list[str]:
    count = page.locator("h1").count()
    return [] if count == 1 else [f"{count} h1 elements"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_home_page_and_the_simulator_pass_axe_in_a_chat_and_a_call(person, lang, size):
    me = person(**SIZES[size], bypass_csp=True)  # axe is injected as a script of the page's own
    found = {}
    page = me.open("/")
    found["home"] = violations(page) + one_h1(page)
    page = me.open(f"/simulator?lang={lang}&phone={quote(TOM)}")
    expect(page.locator("#who-name")).not_to_be_empty()
    page.fill("#sms-body", "I need rice please")
    page.click("#send")
    expect(page.locator("#chat .msg.theirs").first).to_be_visible()
    found["simulator-chat"] = violations(page) + one_h1(page)
    page.click("#call-button")
    expect(page.locator("#keypad")).to_be_visible()
    found["simulator-call"] = violations(page) + one_h1(page)
    page.click("#hangup")
    expect(page.locator("#keypad")).to_be_hidden()
    bad = {name: v for name, v in found.items() if v}
    assert not bad, f"{lang} at {size}: {bad}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_tap_target_of_the_simulator_is_a_finger_wide_on_a_phone(person, lang):
    phone = person(**PHONE)
    page = phone.open("/")
    found = {"home": small_targets(page)}
    page = phone.open(f"/simulator?lang={lang}&phone={quote(TOM)}")
    expect(page.locator("#who-name")).not_to_be_empty()
    page.fill("#sms-body", "I need milk please")
    page.click("#send")
    expect(page.locator("#chat .msg.theirs").first).to_be_visible()
    expect(page.locator("#activity li").first).to_be_visible()
    found["simulator-chat"] = small_targets(page)
    page.click("#call-button")
    expect(page.locator("#keypad")).to_be_visible()
    expect(page.locator("#transcript .replay").first).to_be_visible()
    found["simulator-call"] = small_targets(page)
    page.click("#hangup")
    bad = {name: small for name, small in found.items() if small}
    assert not bad, f"smaller than 44×44 px ({lang}): {bad}"
