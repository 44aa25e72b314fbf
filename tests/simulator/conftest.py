"""The simulator's hotline: the console transport (no Twilio credentials) and the demo compound, as `make run`
starts it; for the browser, behind werkzeug's server in a thread with a worker, and Chromium from tests/browser."""

from __future__ import annotations

import pytest

from hotline import create_app
from hotline.domain import demo
from hotline.domain.policy import Policy
from hotline.extensions import db
from tests.browser.conftest import (  # noqa: F401 - the browser and its people
    browser,
    make_tables,
    person,
    serving,
)
from tests.helpers import ROSTERS, ShiftedClock, free_port

# No credentials: the console transport, and unsigned webhooks from loopback only.
CONSOLE = {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_PHONE_NUMBER": "", "PUBLIC_BASE_URL": ""}


def demo_login(app) -> tuple[str, str]:
    """The demo coordinator's name and this installation's password for it."""
    return demo.DEMO_USER, demo.demo_password(app.config["SECRET_KEY"])


def load_demo(app) -> None:
    """Load the demo compound and its coordinator login, as `make run` does (in an empty database, the rows the
    first such load of this test process wrote, copied: see `RosterCopies`)."""
    clock = app.extensions["clock"]
    with app.app_context():
        policy = Policy.from_config(app.config)
        key = ROSTERS.key(db.session, clock, policy, "the demo compound", f"demo-login {app.config['SECRET_KEY']}")
        if ROSTERS.restore(db.session, key, clock):
            return
        assert demo.load(db.session, policy)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo-login"])
    assert demo_login(app)[1] in result.output, result.output
    with app.app_context():
        ROSTERS.save(db.session, key, clock)


@pytest.fixture
def console_app(make_app, clock):
    """The hotline without Twilio credentials, with the demo compound, on the test database."""
    app = make_app(**CONSOLE)
    load_demo(app)
    return app


@pytest.fixture
def sim(console_app):
    """A browser's view of the simulator's JSON endpoints (from 127.0.0.1, as the test client is)."""
    return console_app.test_client()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """`make run` in a thread: the console transport, the demo compound, the web server and a worker.

    Named `live` so that tests/browser's `person` opens its browser contexts on this hotline."""
    folder = tmp_path_factory.mktemp("simulator")
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{folder}/hotline.db",
        "SECRET_KEY": "simulator-test-secret",
        "HOTLINE_SEND_RATE": "100",
        "HOTLINE_SPOOL_DIR": str(folder / "spool"),
    }
    app = create_app({"ENV": env}, clock=ShiftedClock())  # real time, which a test may move on
    assert not app.config["TWILIO_AUTH_TOKEN"]
    make_tables(app)
    load_demo(app)
    with serving(app, port, "simulator", wait_for_slots=False) as running:
        yield running
