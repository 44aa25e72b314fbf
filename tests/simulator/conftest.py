"""The simulator's hotline: the console transport (no Twilio credentials) and the demo compound, as `make run`
starts it; for the browser, behind werkzeug's server in a thread with a worker, and Chromium from tests/browser."""

from __future__ import annotations

import logging
import threading

import pytest
from werkzeug.serving import make_server

from hotline import create_app
from hotline.domain import demo
from hotline.domain.policy import Policy
from hotline.extensions import db
from tests.browser.conftest import Live, _free_port, browser, person  # noqa: F401 - the browser and its people

log = logging.getLogger(__name__)
# No credentials: the console transport, and unsigned webhooks from loopback only.
CONSOLE = {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_PHONE_NUMBER": "", "PUBLIC_BASE_URL": ""}


def load_demo(app) -> None:
    """Load the demo compound and its coordinator login, as `make run` does."""
    with app.app_context():
        assert demo.load(db.session, Policy.from_config(app.config))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo-login"])
    assert demo.DEMO_LOGIN[1] in result.output, result.output


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
    port = _free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{folder}/hotline.db",
        "SECRET_KEY": "simulator-test-secret",
        "HOTLINE_SEND_RATE": "100",
        "HOTLINE_SPOOL_DIR": str(folder / "spool"),
    }
    app = create_app({"ENV": env})
    assert not app.config["TWILIO_AUTH_TOKEN"]
    with app.app_context():
        db.create_all()
        from hotline.cli import sync_buildings

        sync_buildings()
    load_demo(app)
    server = make_server("127.0.0.1", port, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, name="simulator-server", daemon=True)
    serving.start()
    from hotline.worker import Worker

    worker = Worker(app, name="simulator-worker")

    def send():
        while not worker.stopping.is_set():
            try:
                if worker.send_due(wait_for_slots=False) == 0:
                    worker.stopping.wait(0.2)
            except Exception:  # noqa: BLE001 - keep sending, as the real worker does
                log.exception("worker step failed")
                worker.stopping.wait(0.5)

    sending = threading.Thread(target=send, name="simulator-worker", daemon=True)
    sending.start()
    yield Live(app, f"http://127.0.0.1:{port}")
    worker.stopping.set()
    server.shutdown()
    sending.join(5)
    serving.join(5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
