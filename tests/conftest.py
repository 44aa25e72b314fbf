"""Fixtures: the app on a real SQLite file and on the machine's PostgreSQL, a stepping clock,
handsets that text the hotline through signed webhooks, and a local Twilio stand-in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, settings
from jinja2 import BytecodeCache
from sqlalchemy import create_engine
from sqlalchemy.engine import Dialect

from admin import auth
from hotline import clock as hotline_clock
from hotline import create_app
from hotline.extensions import db
from hotline.models import Base, Building
from tests.gateway_standin import GatewayStandin
from tests.helpers import POSTGRES as POSTGRES
from tests.helpers import START as START
from tests.helpers import Phone, create_database, drop_database, postgres_reason
from tests.helpers import SteppingClock as SteppingClock
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, TwilioStandin

PUBLIC_BASE_URL = "https://hotline.test"
BUILDINGS = range(1, 37)  # the test compound's HOTLINE_BUILDINGS

# Logins in tests check argon2id hashes made with the smallest parameters argon2 allows, not the 64 MiB,
# 3-pass, 4-lane ones the hotline uses: each of the suite's hundreds of logins would otherwise take 0.1 to
# 1.5 s of two shared cores. Every path of admin/auth.py still runs (hash, verify, rehash, the dummy hash for
# an unknown name); tests/admin/test_access.py checks the parameters the hotline itself hashes with.
HOTLINE_HASHER = auth.hasher
auth.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

# Hypothesis runs each example without a stopwatch: a loaded machine is no failure (the default stops an example
# after 200 ms, and complains when examples are slow to make).
settings.register_profile("hotline", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("hotline")


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled pages, kept for the test process: every test builds its own app, whose Jinja would
    otherwise compile each page it renders again. Jinja keys the code by template; the code is kept with the
    checksum of the source it was compiled from, and given only for that source. Kept as code objects, not
    as the bytes Jinja writes to files, which each app would read back (unmarshal) again."""

    def __init__(self):
        self.code: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        checksum, code = self.code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATES = CompiledTemplates()


def share_url_builders() -> None:
    """Werkzeug compiles two URL builders (Python source through `compile`) for every route of every app: 70
    routes, about 35 ms of the 45 ms an app takes to make, and the suite makes some 2,000 apps. A builder
    depends only on its rule's parts and defaults (its rule comes in as an argument), so the test process
    compiles each once. Werkzeug without these internals builds its own, as before."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return
    built: dict[tuple, object] = {}

    def shared(self, append_unknown: bool = True):
        if not hasattr(self, "_trace"):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())), append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = shared


share_url_builders()


class CompiledStatements:
    """SQL statements compiled once per test process, for every engine in it. SQLAlchemy keeps what it compiled
    per engine (and per mapper, keyed by the engine's dialect object), and every test makes apps of its own, each
    with its engine: the same few hundred statements were compiled again in every test, a third of the CPU of
    tests/web and tests/admin. The engines of a test process differ only in the file or database they open (one
    SQLite library, one PostgreSQL server, the same engine options), so a statement compiled for one dialect
    object is the statement for another of its class: this cache keys by the class."""

    def __init__(self, capacity: int = 20_000):
        from sqlalchemy.util import LRUCache

        self.compiled = LRUCache(capacity)

    @staticmethod
    def _key(key: tuple) -> tuple:
        """SQLAlchemy's key with its dialect object replaced by the dialect's class (a key of another shape,
        from another SQLAlchemy, is kept as it is)."""
        return (type(key[0]), *key[1:]) if isinstance(key[0], Dialect) else key

    def get(self, key, default=None):
        return self.compiled.get(self._key(key), default)

    def __setitem__(self, key, value) -> None:
        self.compiled[self._key(key)] = value

    def __len__(self) -> int:
        return len(self.compiled)

    def clear(self) -> None:
        self.compiled.clear()

    def share(self, engine) -> None:
        """Let `engine`, and the mappers' writes through any engine, use these statements."""
        if hasattr(engine, "_compiled_cache"):
            engine._compiled_cache = self
        for mapper in Base.registry.mappers:
            if hasattr(type(mapper.base_mapper), "_compiled_cache"):
                vars(mapper.base_mapper)["_compiled_cache"] = self


STATEMENTS = CompiledStatements()


# What tests record with `record_property(name, line)` and the run prints at its end, under a title. The hook
# lives here, in the conftest every process loads: under xdist the process that prints collects no test, so
# a hook in a folder's conftest would never run there.
SUMMARIES = {
    "agreement": ("understanding: agreement with the dispatcher, per kind", lambda report, line: line),
    "figures": ("reliability figures", lambda report, line: f"{report.nodeid}: {line}"),
}


def pytest_terminal_summary(terminalreporter):
    reports = [report for key in ("passed", "failed") for report in terminalreporter.stats.get(key, [])
               if getattr(report, "when", "") == "call"]
    for name, (title, shown) in SUMMARIES.items():
        lines = [shown(report, value) for report in reports for key, value in report.user_properties if key == name]
        if lines:
            terminalreporter.section(title)
            for line in sorted(lines) if name == "agreement" else lines:
                terminalreporter.write_line(line)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """`--dist loadgroup` sends the tests of one `xdist_group` to one worker by naming them `…@group`; with a
    pytest whose node ids xdist cannot rename, the groups vanish silently and each test of a group goes
    anywhere (its module's server and browser started on both workers). Stop the run instead."""
    if not getattr(config.option, "loadgroup", False):
        return
    lost = [item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if lost:
        raise pytest.UsageError(f"xdist did not group {len(lost)} tests marked xdist_group (e.g. {lost[0]}): "
                                "this pytest-xdist does not work with this pytest; see requirements-dev.txt")


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
        "HOTLINE_BUILDINGS": f"{BUILDINGS[0]}-{BUILDINGS[-1]}",
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
    """A SQLite database with the schema and the compound's buildings (what `sync_buildings` adds), made once per
    test process and copied for each test."""
    path = tmp_path_factory.mktemp("schema") / "hotline.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(Building.__table__.insert(), [{"number": number} for number in BUILDINGS])
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


# Every table emptied and every sequence drawn from restarted, in one round trip: DELETE, which on tables of a few
# rows costs a fraction of what TRUNCATE's new files for each table and index do (10 to 15 times less here), and
# `setval` to each sequence's start, where ALTER SEQUENCE … RESTART cost eight times more (a new file for each
# sequence). The buildings stay: every test's are the compound's (a roster names none outside it), which
# `sync_buildings` would add again.
EMPTYING = "; ".join(
    [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)
     if table is not Building.__table__]
    + ["SELECT setval(CAST(quote_ident(schemaname) || '.' || quote_ident(sequencename) AS regclass), start_value, "
       "false) FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"])


def empty_postgres() -> None:
    """Empty the test's PostgreSQL database as EMPTYING says (its schema is made once per test process)."""
    db.session.connection().exec_driver_sql(EMPTYING)
    db.session.commit()


@pytest.fixture
def make_app(request, database_url, tmp_path):
    """Build apps on the test database with environment overrides; the schema is made once. A test that asks
    for the `clock` gets apps made with it, unless it gives one of its own."""
    made = []

    def make(clock=None, **overrides):
        overrides.setdefault("HOTLINE_SPOOL_DIR", str(tmp_path / "spool"))
        if clock is None and "clock" in request.fixturenames:
            clock = request.getfixturevalue("clock")
        app = create_app({"ENV": hotline_env(database_url, **overrides), "TESTING": True}, clock=clock)
        app.jinja_env.bytecode_cache = TEMPLATES
        with app.app_context():
            STATEMENTS.share(db.engine)
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


@pytest.fixture
def clock():
    """The stepping clock: the apps this test makes through `make_app` (`app` among them) are made with it, and
    the test's own code reads it outside their app contexts too (a domain value that asks the time after its
    app context closed, such as a broadcast's `Progress.scheduled`). Threads the test starts do not: they
    read it through the app contexts they open, as the worker's do."""
    stepping = SteppingClock()
    with hotline_clock.reading(stepping):
        yield stepping


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
