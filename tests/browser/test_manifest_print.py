"""The manifest printed from real Chromium: a building of 40 flats that all asked fits one A4 page, and each
building starts a page of its own; on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hotline import create_app
from hotline.extensions import db
from tests.admin.actions import add_users
from tests.browser.conftest import NO_CHROMIUM, Session, make_tables, serving
from tests.conftest import empty_postgres, sqlite_database
from tests.helpers import RESIDENTS_CSV, free_port, load_roster, numbers_in
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER

pytestmark = [pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or ""), pytest.mark.xdist_group("browser")]

ROOMS = [f"{floor}0{flat}" for floor in range(1, 11) for flat in range(1, 5)]  # 101 … 1004: 40 flats
FORTY = "".join(f"住户{i:02d},13600112{i:03d},12,{room},zh,\n" for i, room in enumerate(ROOMS))
ASKED = ["大米一袋，鸡蛋十个", "牛奶两盒 面条一包",
         "青菜三把，豆腐一盒，食用油一桶，请放在门口，家里老人行动不便，麻烦送上楼",  # longer than a printed line
         "降压药（氨氯地平）还剩两天", "方便面5包 矿泉水一箱"]


def pages_in(pdf: bytes) -> int:
    """Count the pages of a PDF (its page objects, not the page tree's `/Pages`)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def printing(request, tmp_path_factory):
    """The hotline on either database, with 40 flats of building 12, 3 of building 7 and 2 of building 5
    asking for food and medicine."""
    folder = tmp_path_factory.mktemp(f"print-{request.param}")
    if request.param == "sqlite":
        url = sqlite_database(request.getfixturevalue("sqlite_schema"), folder)
    else:
        url = request.getfixturevalue("postgres_server")
    port = free_port()
    env = {"DATABASE_URL": url, "SECRET_KEY": "print-test-secret", "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
           "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_PHONE_NUMBER": HOTLINE_NUMBER,
           "TWILIO_API_URL": "http://127.0.0.1:9", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "HOTLINE_SPOOL_DIR": str(folder / "spool")}
    app = create_app({"ENV": env})
    from hotline.channels.twilio import ConsoleTransport

    app.extensions["transport"] = app.extensions["sms_transport"] = ConsoleTransport()
    if request.param == "postgres":
        with app.app_context():
            db.create_all()
            empty_postgres()
    make_tables(app)
    load_roster(app, residents=RESIDENTS_CSV + FORTY)
    add_users(app)
    with serving(app, port, f"print-{request.param}") as live:
        for i in range(len(ROOMS)):
            assert numbers_in(live.text(f"+8613600112{i:03d}", ASKED[i % len(ASKED)])[0])
        for i, home in enumerate(("7号楼201室", "7号楼1101室", "7号楼1502室", "5号楼301室", "5号楼802室")):
            assert numbers_in(live.text(f"+8613700070{i:03d}", f"{home} {ASKED[i]}")[0])
        yield live


@pytest.fixture
def sun(browser, printing):
    """The coordinator `sun`, logged in at a desktop's size."""
    session = Session(browser, printing)
    session.login("sun")
    yield session
    session.context.close()
    assert not session.errors, session.errors


def test_a_building_of_forty_flats_prints_on_one_a4_page(sun, printing):
    page = sun.open("/admin/manifest?building=12&lang=zh")
    expect(page.locator('section.building[data-building="12"] tbody tr')).to_have_count(40)
    page.locator('tr[data-number] button[type="submit"]').first.click()  # tick the first flat paid
    expect(page.locator('tr[data-number] td.paid[data-paid="1"]')).to_have_count(1)
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()  # waits for the print styles to apply
    expect(page.locator("td.paid form").first).to_be_hidden()
    expect(page.locator("section.building .print-only")).to_be_visible()
    pdf = page.pdf(format="A4")  # printed as the print stylesheet lays it out
    assert pages_in(pdf) == 1
    page.emulate_media(media="screen")
    sun.shot(f"manifest-building-12-{printing.app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")


def test_each_building_starts_its_own_page(sun):
    page = sun.open("/admin/manifest?lang=zh")
    expect(page.locator("section.building")).to_have_count(3)  # 45 lines would fill two pages run together
    assert pages_in(page.pdf(format="A4")) == 3
