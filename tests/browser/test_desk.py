"""The coordinator's desk in a real headless Chromium, at phone size first: the act-now list that sounds
and notifies on a new emergency, its count in the title, and one-tap reassign and deliver."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NO_CHROMIUM
from tests.helpers import numbers_in

pytestmark = [pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""), pytest.mark.xdist_group("browser-desk")]

# Records every Notification the page makes and every tone it plays, around the browser's own objects.
RECORDER = """
window.__notes = [];
window.__tones = 0;
(function () {
  var Real = window.Notification;
  if (Real) {
    var Recording = function (title, options) {
      window.__notes.push({ title: title, body: (options && options.body) || "" });
      return new Real(title, options);
    };
    Object.defineProperty(Recording, "permission", { get: function () { return Real.permission; } });
    Recording.requestPermission = function () { return Real.requestPermission(); };
    window.Notification = Recording;
  }
  var Context = window.AudioContext;
  if (Context) {
    var tone = Context.prototype.createOscillator;
    Context.prototype.createOscillator = function () { window.__tones += 1; return tone.apply(this, arguments); };
  }
})();
"""


def title_count(page) -> int:
    m = re.match(r"\((\d+)\) ", page.title())
    return int(m.group(1)) if m else 0


def coordinator_on_a_phone(person, live):
    sun = person(width=390, height=844)
    sun.context.grant_permissions(["notifications"], origin=live.url)
    sun.context.add_init_script(RECORDER)
    sun.login("sun")
    return sun


def test_a_new_emergency_sounds_notifies_and_counts_in_the_title(person, live):
    sun = coordinator_on_a_phone(person, live)
    page = sun.open("/admin/")
    expect(page.locator("#act-now")).to_be_visible()
    assert page.evaluate("Notification.permission") == "granted"
    before = title_count(page)
    page.evaluate("window.__noReload = true")

    phone_question = live.text("+8613700006001", "小区什么时候解封？")
    assert phone_question  # answered: the coordinators will answer it
    expect(page.locator("#act-now .act-question")).to_have_count(1, timeout=8_000)
    expect(page).to_have_title(re.compile(rf"^\({before + 1}\) "))
    assert page.evaluate("window.__notes.length") == 0  # a question calls nobody at once

    [n] = numbers_in(live.text("+8613700006002", "12号楼305 我妈摔倒了起不来")[0])
    expect(page.locator(f'#act-now [data-key="r{n}"]')).to_be_visible(timeout=8_000)
    expect(page).to_have_title(re.compile(rf"^\({before + 2}\) "))
    notes = page.evaluate("window.__notes")
    assert len(notes) == 1 and f"#{n}" in notes[0]["body"] and "12-305" in notes[0]["body"]
    assert notes[0]["title"] == "立即处理"
    assert page.evaluate("window.__tones") >= 1
    assert page.evaluate("window.__noReload") is True  # swapped in place, not reloaded
    first = page.locator("#act-now .act").first
    expect(first).to_have_attribute("data-key", f"r{n}")  # the emergency leads the list
    expect(first.locator(".kind")).to_have_text("急救")
    expect(first.locator('a[href^="tel:+86"]').first).to_be_visible()
    sun.shot("desk-dashboard-zh")


def test_one_tap_reassigns_to_the_buildings_next_volunteer_then_delivers(person, live):
    [n] = numbers_in(live.text("+8613700006003", "12号楼306 需要降压药 急")[0])
    sun = coordinator_on_a_phone(person, live)
    page = sun.open("/admin/act-now")
    row = page.locator(f'#act-now [data-key="r{n}"]')
    has_it = "Li Wei" if "Li Wei" in row.locator(".act-who").inner_text() else "Zhang Min"
    other = {"Li Wei": "Zhang Min", "Zhang Min": "Li Wei"}[has_it]  # building 12's two volunteers
    expect(row.locator('[data-action="reassign"]')).to_have_text(f"交给 {other}")
    sun.shot("desk-act-now-zh")
    row.locator('[data-action="reassign"]').click()  # confirmed in the dialog
    expect(page.locator(".flash-success")).to_contain_text(other)
    expect(page).to_have_url(re.compile(r"/admin/act-now$"))
    row = page.locator(f'#act-now [data-key="r{n}"]')
    expect(row.locator(".act-who")).to_contain_text(other)
    row.locator('[data-action="deliver"]').click()
    expect(page.locator(".flash-success")).to_contain_text(f"#{n}")
    expect(page.locator(f'#act-now [data-key="r{n}"]')).to_have_count(0)
    page = sun.open(f"/admin/requests/{n}")
    timeline = page.locator(".timeline")
    expect(timeline.locator(".event-delivered")).to_contain_text("网页")
    expect(timeline.locator(".event-delivered")).to_contain_text("sun")
    expect(timeline.locator(".event-handed_on")).to_contain_text("网页")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_the_desk_reads_well_on_a_desktop(person, live):
    live.text("+8613700006005", "7号楼101 chest pain, can't breathe")
    sun = person()
    sun.login("sun")
    page = sun.open("/admin/act-now?lang=en")
    expect(page.locator("h1")).to_have_text("Act now")
    expect(page.locator("#act-now .kind").first).to_have_text("Emergency")
    sun.shot("desk-act-now-en-desktop")
