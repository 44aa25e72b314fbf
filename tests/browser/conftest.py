"""A real hotline for a real browser: the app on a SQLite file behind werkzeug's server in a thread, a worker
sending its outbox through the console transport, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import logging
import os
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from hotline import create_app
from hotline.channels.twilio import ConsoleTransport
from hotline.cli import sync_buildings
from hotline.extensions import db
from hotline.worker import Worker
from tests.admin.actions import PASSWORDS, add_users
from tests.helpers import RESIDENTS_CSV, Phone, free_port, load_roster, sign, twiml_messages
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
BUILDING_12 = "".join(f"居民{i:02d},13600012{i:03d},12,{100 + i},{'en' if i % 4 == 0 else 'zh'},\n" for i in range(24))
log = logging.getLogger(__name__)

NO_CHROMIUM = None if os.path.exists(CHROMIUM) else (
    f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)")


@dataclass
class Live:
    """The running hotline: its app and base URL, and a way to text it as a resident would."""

    app: object
    url: str

    def text(self, number: str, body: str) -> list[str]:
        """Send a signed SMS webhook, as Twilio would, and return the TwiML reply's texts."""
        params = Phone(self.app, None, number).form(body)
        request = urllib.request.Request(
            self.url + "/twilio/sms", data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": sign(self.url + "/twilio/sms", params),
                     "Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own test server
            return twiml_messages(response.read().decode())


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The hotline on a free port, with the test compound (24 more residents in building 12) and users.

    Module-scoped: each browser module is an xdist group of its own, so that its tests share one server and one
    Chromium, and two modules can run at once on two workers. Its server and worker threads read the app's own
    clock (the real time), whatever clock the tests that run beside it give their apps."""
    folder = tmp_path_factory.mktemp("live")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": f"sqlite:///{folder}/hotline.db",
        "SECRET_KEY": "browser-test-secret",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": HOTLINE_NUMBER,
        "TWILIO_API_URL": "http://127.0.0.1:9",
        "PUBLIC_BASE_URL": url,  # plain http: the session cookie is not Secure, and signatures use this URL
        "HOTLINE_SEND_RATE": "12",  # slow enough to watch a broadcast go out
        "HOTLINE_SPOOL_DIR": str(folder / "spool"),
    }
    app = create_app({"ENV": env, "ADMIN_POLL_SECONDS": 1})
    app.extensions["transport"] = app.extensions["sms_transport"] = ConsoleTransport()  # SMS and calls
    make_tables(app)
    load_roster(app, residents=RESIDENTS_CSV + BUILDING_12)
    add_users(app)
    with serving(app, port, "live") as running:
        yield running


def make_tables(app) -> None:
    """Create the schema and the compound's buildings on a new database."""
    with app.app_context():
        db.create_all()
        sync_buildings()


@contextmanager
def serving(app, port: int, name: str, wait_for_slots: bool = True) -> Iterator[Live]:
    """Serve `app` on `port` behind werkzeug's server in a thread, with a worker sending its outbox."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    serving_thread = threading.Thread(target=server.serve_forever, name=f"{name}-server", daemon=True)
    serving_thread.start()
    worker = Worker(app, name=f"{name}-worker")

    def send():
        while not worker.stopping.is_set():
            try:
                if worker.send_due(wait_for_slots=wait_for_slots) == 0:
                    worker.stopping.wait(0.2)
            except Exception:  # noqa: BLE001 - keep sending, as the real worker does
                log.exception("worker step failed")
                worker.stopping.wait(0.5)

    sending = threading.Thread(target=send, name=f"{name}-worker", daemon=True)
    sending.start()
    try:
        yield Live(app, f"http://127.0.0.1:{port}")
    finally:
        worker.stopping.set()
        server.shutdown()
        sending.join(5)
        serving_thread.join(5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # as each context's actions (Session): a loaded machine renders slowly
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield chromium
        chromium.close()


class Session:
    """One person in one browser context: logs in, opens pages, and keeps console errors (CSP included)."""

    def __init__(self, browser, live: Live, width: int = 1280, height: int = 900, **options):
        self.live = live
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **options)
        self.context.set_default_timeout(30_000)  # a bound on waiting, not a measure: a loaded machine logs in slowly
        self.page = self.context.new_page()
        self.errors: list[str] = []
        # CSP violations and script errors show as console errors; a 4xx page we open on purpose does not count,
        # a missing stylesheet, script or JSON answer does (the browser's own /favicon.ico aside)
        self.page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                     and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document"
                     and not r.url.endswith("/favicon.ico") and self.errors.append(f"{r.status} {r.url}"))
        self.page.on("dialog", lambda d: d.accept())

    def open(self, path: str):
        """Go to a path of the live hotline, with the parts its script fetches right after it."""
        self.page.goto(self.live.url + path)
        return self.fetched()

    def fetched(self):
        """Wait until the page's parts fetched after it (`data-fragment`, admin.js) are in or given up."""
        expect(self.page.locator("[data-fragment]")).to_have_count(0)
        return self.page

    def login(self, username: str = "sun"):
        """Log in through the form."""
        page = self.open("/admin/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORDS[username])
        page.click('button[type="submit"]')
        page.wait_for_url("**/admin/")
        return self.fetched()

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot under test-artifacts/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def person(browser, live):
    """Open browser contexts as people; each is closed after the test, with no console error left."""
    opened: list[Session] = []

    def open_session(**kwargs) -> Session:
        session = Session(browser, live, **kwargs)
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.context.close()
    errors = [e for s in opened for e in s.errors]
    assert not errors, f"console errors in the browser: {errors}"
