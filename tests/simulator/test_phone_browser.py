"""The simulator as a phone, in a real headless Chromium at a phone's size (390×844): the handset on the screen
without scrolling; a voice message left in it plays on the request's admin page; a call from the hotline that
nobody answers stops ringing after the hotline's ring timeout on the hotline's clock, and shows as not reached."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from hotline.channels.twilio import RING_SECONDS
from hotline.models import Channel, Status
from tests.browser.accessibility import PHONE
from tests.browser.conftest import NO_CHROMIUM
from tests.simulator.conftest import demo_login
from tests.simulator.test_browser import LIU, WANG, chat, request_of

pytestmark = [pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""), pytest.mark.xdist_group("sim-phone")]


def on_screen(page, selector: str) -> bool:
    """Whether the element is wholly inside the viewport, as the page opened (not scrolled)."""
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_on_a_phone_the_handset_is_on_the_screen_and_its_voice_message_plays_in_the_admin(person, live):
    me = person(**PHONE)
    page = me.open(f"/simulator?lang=en&phone={quote(WANG)}")
    expect(page.locator("#who-name")).to_have_text("王阿姨")
    assert page.evaluate("window.scrollY") == 0
    for part in ("#who-name", ".change-phone", "#call-button", "#chat", "#sms-body", "#send"):
        assert on_screen(page, part), (part, page.locator(part).bounding_box())
    me.shot("phone-simulator-handset")

    page.click("#call-button")
    page.click('#keypad button[data-key="1"]')
    expect(page.locator("#record-form")).to_be_visible()  # once the hotline has answered the key
    page.wait_for_function("""() => { const box = document.querySelector("#record-form").getBoundingClientRect();
                                     return box.top >= 0 && box.bottom <= window.innerHeight; }""", timeout=5_000)
    assert on_screen(page, "#record-form")  # the call pane came up to the screen
    page.fill("#record-input", "需要大米一袋，鸡蛋十个")
    page.click("#record-done")
    expect(page.locator("#call-state")).to_have_text("Call ended.")
    made = request_of(live, requester_phone=WANG, channel=Channel.VOICE)

    coordinator = person(**PHONE)
    admin = coordinator.open("/admin/login")
    user, password = demo_login(live.app)
    admin.fill('input[name="username"]', user)
    admin.fill('input[name="password"]', password)
    admin.click('button[type="submit"]')
    admin.wait_for_url("**/admin/")
    admin = coordinator.open(f"/admin/requests/{made.number}")
    audio = admin.locator("audio")
    heard = admin.request.get(live.url + audio.get_attribute("src"))
    assert heard.status == 200 and heard.headers["content-type"] == "audio/wav"
    seconds = audio.evaluate("""a => new Promise((done, failed) => {
        a.addEventListener('loadedmetadata', () => done(a.duration), {once: true});
        a.addEventListener('error', () => failed(new Error('the audio does not load')), {once: true});
        a.load();
    })""")
    assert seconds > 1  # the browser decodes it: a message of 11 characters lasts about two seconds
    coordinator.shot("phone-request-voice-message")


def test_an_unanswered_call_stops_ringing_after_the_ring_timeout_and_shows_not_reached(person, live):
    liu = request_of(live, requester_phone=LIU, status=Status.ASSIGNED)
    me = person(**PHONE)
    page = me.open(f"/simulator?lang=en&phone={quote(liu.volunteer.phone)}")
    page.fill("#sms-body", f"OK {liu.number}")
    page.click("#send")
    expect(chat(page).locator(".msg.mine .text").last).to_have_text(f"OK {liu.number}")
    page = me.open(f"/simulator?lang=en&phone={quote(LIU)}")
    ringing = page.locator("#ringing")
    expect(ringing).to_be_visible(timeout=8_000)  # the worker placed the call that tells Liu
    assert on_screen(page, "#answer")
    call = chat(page).locator('.msg.call[data-status="ringing"]').first
    expect(call).to_be_visible()

    hotline_clock = live.app.extensions["clock"]  # the live hotline's clock, not the wall's
    hotline_clock.advance(seconds=RING_SECONDS + 1)
    try:
        expect(ringing).to_be_hidden(timeout=8_000)
        expect(chat(page).locator('.msg.call[data-status="ringing"]')).to_have_count(0)
        expect(chat(page).locator(".msg.call .state").first).to_have_text(
            "not reached, calling again later")
        me.shot("phone-simulator-not-reached")
    finally:
        hotline_clock.advance(seconds=-(RING_SECONDS + 1))
