"""Fixtures: the app on a real SQLite file and on the machine's PostgreSQL, a stepping clock,
handsets that text the hotline through signed webhooks, and a local Twilio stand-in."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hotline import clock as hotline_clock
from hotline import create_app
from hotline.extensions import db
from hotline.models import Base
from tests.gateway_standin import GatewayStandin
from tests.helpers import POSTGRES as POSTGRES
from tests.helpers import Phone, create_database, drop_database, postgres_reason
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, TwilioStandin

PUBLIC_BASE_URL = "https://hotline.test"
START = datetime(2022, 4, 12, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def hotline_env(database_url: str, **overrides: str) -> dict[str, str]:
    """The environment a test app starts with: Twilio credentials, signatures checked."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": HOTLINE_NUMBER,
        "TWILIO_API_URL": "http://127.0.0.1:9",  # nobody listens: tests that send bring a stand-in
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "HOTLINE_BUILDINGS": "1-36",
        "HOTLINE_RETRY_DELAYS": "300,900",
        "HOTLINE_SEND_RATE": "1000",
    }
    env.update(overrides)
    return env


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """A fresh database on the local PostgreSQL for this test process, dropped at the end."""
    reason = postgres_reason()
    if reason:
        pytest.skip(reason)
    name, url = create_database()
    yield url
    drop_database(POSTGRES, name)


_created: set[str] = set()


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory) -> Path:
    """An empty SQLite database with the schema, made once per test process and copied for each test."""
    path = tmp_path_factory.mktemp("schema") / "hotline.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    """Every database test runs on a real SQLite file and on the real PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_database(request.getfixturevalue("sqlite_schema"), tmp_path)
    return request.getfixturevalue("postgres_server")


def sqlite_database(schema: Path, folder: Path) -> str:
    """A copy of the empty schema in `folder`, as a database URL."""
    shutil.copyfile(schema, folder / "hotline.db")
    return f"sqlite:///{folder}/hotline.db"


def empty_postgres() -> None:
    """Empty every table and restart every sequence: DELETE, which on tables of a few rows costs a
    fraction of what TRUNCATE's new files for each table and index do."""
    sequences = db.session.scalars(
        text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"))
    statements = [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
    statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
    db.session.connection().exec_driver_sql("; ".join(statements))
    db.session.commit()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build apps on the test database with environment overrides; the schema is made once."""
    made = []

    def make(**overrides):
        overrides.setdefault("HOTLINE_SPOOL_DIR", str(tmp_path / "spool"))
        app = create_app({"ENV": hotline_env(database_url, **overrides), "TESTING": True})
        with app.app_context():
            if database_url.startswith("postgresql"):
                if database_url not in _created:
                    db.create_all()
                    _created.add(database_url)
                empty_postgres()
            from hotline.cli import sync_buildings

            sync_buildings()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The hotline with Twilio credentials (signatures checked), on the test database."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    """The app's database session, inside an app context."""
    with app.app_context():
        yield db.session


class SteppingClock:
    """Starts at a fixed instant and moves one second per reading; `advance` jumps."""

    def __init__(self, start: datetime = START):
        self.at = start

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock():
    """Inject the stepping clock into the hotline; restore the real one afterwards."""
    stepping = SteppingClock()
    hotline_clock.set_source(stepping)
    yield stepping
    hotline_clock.set_source(None)


@pytest.fixture
def phone(app, client):
    """Handsets: `phone("+86…").text("…")`."""
    phones: dict[str, Phone] = {}

    def get(number: str) -> Phone:
        if number not in phones:
            phones[number] = Phone(app, client, number)
        return phones[number]

    return get


@pytest.fixture
def phone_gateway():
    """A local stand-in for the gateway phone; every request the hotline made to it must fit the app's
    OpenAPI description."""
    with GatewayStandin() as standin:
        yield standin
    assert standin.invalid == []


@pytest.fixture
def twilio():
    """A local stand-in for Twilio's REST API."""
    with TwilioStandin(hang_seconds=3.0) as standin:
        yield standin
