"""The phone simulator in a real headless Chromium, as a newcomer uses it after `make run`: from the home page,
text a request as a resident, take and deliver it on the volunteer's phone, see the resident told; call the hotline,
press 1, leave a message and hear the request number; answer the hotline's delivery call on a landline."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Channel, Request, Status
from tests.browser.conftest import NO_CHROMIUM
from tests.helpers import numbers_in

pytestmark = [pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""), pytest.mark.xdist_group("sim-browser")]

TOM = "+8613912345678"  # the demo's foreign resident, 7-1101, English
WANG = "+8613800138001"  # the demo's elderly resident living alone, 12-302, Chinese
LIU = "+862160001234"  # the demo's elderly resident on a landline, 5-1201

# The browser's speech synthesis, recorded: headless Chromium has no voices to hear.
RECORD_SPEECH = """
window.__spoken = [];
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  speak: function (u) { window.__spoken.push({text: u.text, lang: u.lang}); },
  cancel: function () {}, getVoices: function () { return []; }
}});
"""


def request_of(live, **where) -> Request:
    """The newest request matching `where`, read from the live hotline's database."""
    with live.app.app_context():
        found = db.session.scalars(select(Request).filter_by(**where).order_by(Request.id.desc())).first()
        assert found is not None, where
        _ = found.volunteer
        db.session.expunge_all()
        return found


def chat(page):
    return page.locator("#chat")


def test_a_texted_request_reaches_the_volunteer_who_accepts_and_delivers_and_the_resident_is_told(person, live):
    me = person()
    page = me.open("/")
    expect(page.locator("#demo-login")).to_contain_text("coordinator")
    expect(page.locator('a[href="/admin/"]')).to_be_visible()
    me.shot("home")
    page.click('a[href="/simulator"]')
    page.click('a[data-lang="en"]')
    expect(page.locator("h2").first).to_have_text("Choose a phone")

    # a resident texts a request
    page.select_option("#phone-select", TOM)
    expect(page.locator("#who-name")).to_have_text("Tom Baker")
    page.fill("#sms-body", "I need rice, eggs and milk please")
    page.click("#send")
    reply = chat(page).locator(".msg.theirs", has_text="Got it")
    expect(reply).to_contain_text("#")
    [n] = numbers_in(reply.inner_text())
    expect(chat(page).locator(".msg.mine")).to_contain_text("I need rice, eggs and milk please")
    volunteer = request_of(live, id=n).volunteer.phone

    # ... and it arrives on the volunteer's phone, live, in everyone's list
    alert = page.locator(f'#activity li[data-to="{volunteer}"]', has_text=f"#{n}")
    expect(alert).to_be_visible(timeout=8_000)
    alert.click()
    expect(page.locator("#who-phone")).to_have_text(volunteer)
    expect(chat(page).locator(".msg.theirs", has_text=f"#{n}").last).to_contain_text("sent", timeout=8_000)

    # the volunteer takes it and delivers it, with the words the examples offer for this request
    about = chat(page).locator(".msg.theirs", has_text=f"#{n}")
    page.click(f'#examples button:text-is("OK {n}")')
    page.click("#send")
    expect(about).to_have_count(2)  # the new request, and the answer to OK
    page.fill("#sms-body", f"DONE {n}")
    page.press("#sms-body", "Enter")
    expect(chat(page).locator(".msg.mine .text").last).to_have_text(f"DONE {n}")
    expect(about).to_have_count(3)
    me.shot("simulator-sms-volunteer")
    assert request_of(live, id=n).status == Status.DELIVERED

    # the resident was told both, by SMS the worker sent
    page.locator(f'#activity li[data-to="{TOM}"]', has_text="delivered").first.click()
    expect(page.locator("#who-name")).to_have_text("Tom Baker")
    told = chat(page).locator(".msg.theirs", has_text=f"#{n}")
    expect(told).to_have_count(3, timeout=8_000)  # the reply, accepted, delivered
    expect(told.nth(1)).to_contain_text("taken your request")
    expect(told.nth(2)).to_contain_text("delivered")
    expect(told.nth(2)).to_contain_text("sent", timeout=8_000)
    me.shot("simulator-sms")  # docs/screenshots/simulator-sms.png is a copy


def test_a_call_press_1_a_message_and_the_request_number_heard_and_a_delivery_call_answered(person, live):
    me = person()
    me.context.add_init_script(RECORD_SPEECH)
    page = me.open(f"/simulator?lang=en&phone={quote(WANG)}")
    expect(page.locator("#who-name")).to_have_text("王阿姨")

    # the main menu, read and spoken in Mandarin, with English offered in English
    page.click("#call-button")
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("请按1")
    expect(page.locator("#call-state")).to_have_text("Press keys, or speak (by typing).")
    spoken = page.evaluate("window.__spoken")
    assert {s["lang"] for s in spoken} == {"zh-CN", "en-US"}
    assert any("press 9" in s["text"] and s["lang"] == "en-US" for s in spoken)

    # 1: food; a known caller goes straight to the beep
    page.click('#keypad button[data-key="1"]')
    expect(page.locator("#record-form")).to_be_visible()
    expect(transcript).to_contain_text("You pressed: 1")
    page.fill("#record-input", "需要大米一袋，鸡蛋十个")
    me.shot("simulator-call")  # docs/screenshots/simulator-call.png is a copy
    page.click("#record-done")
    expect(page.locator("#call-state")).to_have_text("Call ended.")
    made = request_of(live, requester_phone=WANG, channel=Channel.VOICE)
    assert made.recording_sid and made.recording_sid.startswith("RE")
    said = "、".join(str(made.number))  # digit by digit
    expect(transcript).to_contain_text(f"您的请求编号是：{said}")
    assert any(said in s["text"] and s["lang"] == "zh-CN" for s in page.evaluate("window.__spoken"))
    me.shot("simulator-call-ended")

    # a landline resident: the volunteer accepts (the hotline calls), and delivers while that call
    # still rings (a second call: a delivery before the first call went out would have made one)
    liu = request_of(live, requester_phone=LIU, status=Status.ASSIGNED)
    page.select_option("#phone-select", liu.volunteer.phone)
    for words in (f"接 {liu.number}", f"完成 {liu.number}"):
        page.fill("#sms-body", words)
        page.click("#send")
        expect(chat(page).locator(".msg.mine .text").last).to_have_text(words)
        expect(page.locator(f'#activity li[data-to="{LIU}"].call.ringing-now')).not_to_have_count(0, timeout=8_000)
    page.locator(f'#activity li[data-to="{LIU}"].call').first.click()
    expect(page.locator("#who-name")).to_have_text("刘伯伯")
    ringing = page.locator("#ringing")
    expect(ringing).to_be_visible(timeout=8_000)
    expect(ringing).to_contain_text("没收到")  # the delivery call rings first: the newest
    me.shot("simulator-incoming-call")
    page.click("#answer")
    expect(transcript).to_contain_text("如果没有收到，请按1")
    page.click('#keypad button[data-key="1"]')  # nothing arrived
    expect(page.locator("#call-state")).to_have_text("Call ended.")
    assert request_of(live, id=liu.number).status == Status.ACCEPTED  # opened again, with its volunteer
    me.shot("simulator-receipt-call")

    # the acceptance call still rings: let it ring out
    expect(ringing).to_be_visible(timeout=8_000)
    expect(ringing).to_contain_text("杨")
    page.click("#decline")
    expect(ringing).to_be_hidden()
    expect(chat(page).locator('.msg.call[data-status="answered"]')).to_have_count(1)
