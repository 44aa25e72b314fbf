"""Handsets and roster helpers for tests: text the hotline as Twilio would, read what it sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import os
import re
import secrets
import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import func, literal, select, text

from hotline.domain import roster, transitions
from hotline.domain.policy import Policy
from hotline.domain.transitions import Actor
from hotline.extensions import db
from hotline.models import Base, Building, Outbox, Request, User, UserRole
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER

BASE = "https://hotline.test"
POSTGRES = os.environ.get("HOTLINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
START = datetime(2022, 4, 12, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


class SteppingClock:
    """A clock for an app (`create_app(clock=...)`): starts at a fixed instant and moves `step` (one second)
    per reading; `advance` jumps; `freeze` stops the stepping, so that only `advance` moves it."""

    def __init__(self, start: datetime = START, step: timedelta = timedelta(seconds=1)):
        self.at, self.step = start, step

    def __call__(self) -> datetime:
        self.at += self.step
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)

    def freeze(self) -> None:
        self.step = timedelta(0)


class ShiftedClock:
    """A clock for an app that serves in real time (a live server and its worker threads): the machine's time,
    moved on by what `advance` adds, so that a test can jump ahead without waiting."""

    def __init__(self):
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, **delta) -> None:
        self.ahead += timedelta(**delta)


# Ports for the servers tests start: each pytest-xdist worker takes its own block, below the kernel's ephemeral
# ports (32768 and up: /proc/sys/net/ipv4/ip_local_port_range), so no other worker's server and no client's
# connection can be given the same one between the moment it is found free and the moment its server binds it. A
# server that lost that race to a test of another worker once answered that test's health check and webhooks
# (tests/reliability/test_db_outage.py). A run without workers takes the last block from a random place in it (a
# second run beside `make test`); workers past the blocks take what the kernel gives, as before.
PORTS_FROM, PORTS_PER_WORKER, BLOCKS = 20000, 1500, 8
_ports = itertools.count(secrets.randbelow(PORTS_PER_WORKER) if "PYTEST_XDIST_WORKER" not in os.environ else 0)


def free_port() -> int:
    """A TCP port nobody listens on, for a server a test starts: the next free one of this worker's block."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", f"gw{BLOCKS - 1}").removeprefix("gw")
    if not worker.isdigit() or int(worker) >= BLOCKS:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    first = PORTS_FROM + int(worker) * PORTS_PER_WORKER
    for _ in range(PORTS_PER_WORKER):
        port = first + next(_ports) % PORTS_PER_WORKER
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{first + PORTS_PER_WORKER - 1}")


def postgres_reason(server: str = POSTGRES) -> str | None:
    """Why the PostgreSQL at `server` cannot be used (None when it answers)."""
    try:
        with psycopg.connect(server + "/postgres", connect_timeout=3):
            return None
    except psycopg.Error as e:
        return f"no PostgreSQL answers at {server}: {e}"


def create_database(server: str = POSTGRES, prefix: str = "hotline_test_") -> tuple[str, str]:
    """Create a fresh database on `server`; return its name and its SQLAlchemy URL."""
    name = prefix + secrets.token_hex(4)
    with psycopg.connect(server + "/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, server.replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server + "/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """Compute X-Twilio-Signature as Twilio does."""
    payload = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def twiml_messages(xml: str) -> list[str]:
    """The texts of the <Message>s of a TwiML answer (the root must be <Response>)."""
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return [(m.findtext("Body") or m.text or "").strip() for m in root.iter("Message")]


def numbers_in(text: str) -> list[int]:
    """Request numbers as SMS write them: `#457`."""
    return [int(n) for n in re.findall(r"#(\d+)(?!\d)", text)]


class Phone:
    """A handset that texts the hotline through signed webhooks."""

    def __init__(self, app, client, number: str):
        self.app, self.client, self.number = app, client, number
        self.last_response = None

    def form(self, body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
        """A Twilio-shaped SMS webhook form, with the unknown extra fields Twilio sends."""
        sid = sid or "SM" + secrets.token_hex(16)
        params = {
            "ToCountry": "US",
            "ToState": "CA",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "SAN FRANCISCO",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "CN",
            "To": HOTLINE_NUMBER,
            "ToZip": "94105",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": self.number,
            "ApiVersion": "2010-04-01",
        }
        params.update(extra)
        return params

    def text(self, body: str, sid: str | None = None, **extra: str) -> list[str]:
        """Send one SMS; return the texts of the TwiML reply."""
        params = self.form(body, sid, **extra)
        response = self.client.post(
            "/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(BASE + "/twilio/sms", params)}
        )
        self.last_response = response
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        return twiml_messages(response.get_data(as_text=True))

    def reply(self, body: str) -> str:
        """Send one SMS and return its single reply."""
        replies = self.text(body)
        assert len(replies) == 1, replies
        return replies[0]

    def inbox(self) -> list[str]:
        """Everything queued or sent to this phone by REST (not the TwiML replies), oldest first."""
        with self.app.app_context():
            rows = db.session.scalars(
                select(Outbox)
                .where(Outbox.to == self.number, Outbox.delivery_status.is_distinct_from("twiml"))
                .order_by(Outbox.id)
            )
            return [row.body for row in rows]

    def last(self) -> str:
        """The newest message queued to this phone."""
        inbox = self.inbox()
        assert inbox, f"nothing was sent to {self.number}"
        return inbox[-1]


VOLUNTEERS_CSV = """name,phone,buildings,languages,role
Li Wei,+86 139 0000 0121,12,zh,volunteer
Zhang Min,13900000122,12;13,zh;en,volunteer
Chen Jie,+8613900000071,7,zh;en,volunteer
Wang Fang,+8613900000051,5,zh,volunteer
Sun Hong,+8613900000001,,zh;en,coordinator
"""
RESIDENTS_CSV = """name,phone,building,room,language,flags
Tom Baker,+86 139 1234 5678,7,1101,en,
刘伯伯,138 0013 8000,5,1201,zh,elderly;chronic
王阿姨,+86 21 6000 1234,12,302,zh,elderly;alone
"""
TOM, LIU, WANG_LANDLINE = "+8613912345678", "+8613800138000", "+862160001234"
LI_WEI, ZHANG_MIN, CHEN_JIE, WANG_FANG, SUN_HONG = (
    "+8613900000121",
    "+8613900000122",
    "+8613900000071",
    "+8613900000051",
    "+8613900000001",
)


def load_roster(app, volunteers: str = VOLUNTEERS_CSV, residents: str = RESIDENTS_CSV) -> None:
    """Import the test compound's volunteers and residents (into a database that has nothing else, the rows of
    the same import made before in this test process, copied: see `RosterCopies`)."""
    with app.app_context():
        policy = Policy.from_config(app.config)
        key = ROSTERS.key(db.session, app.extensions["clock"], policy, volunteers, residents)
        if ROSTERS.restore(db.session, key, app.extensions["clock"]):
            return
        for importer, data in ((roster.import_volunteers, volunteers), (roster.import_residents, residents)):
            report = importer(db.session, policy, data.encode())
            assert not report.errors, report.errors
        db.session.commit()
        ROSTERS.save(db.session, key, app.extensions["clock"])


class RosterCopies:
    """What a roster import wrote into an otherwise empty database, kept per test process and written again
    as new rows into the next empty database that imports the same files: hundreds of tests import the
    compound's roster, and the import (a few dozen statements, each flushed) costs three times the CPU of a copy.

    A copy is taken only where the import's outcome is fixed by what the key holds: the database has its
    buildings (those of the policy) and nothing else, no sequence has been drawn from, and the app reads a
    stepping clock, whose instant and step are part of the key (the rows' times come from it; after a copy
    the clock stands where the import left it). Every other import runs as it is."""

    def __init__(self):
        self.copies: dict[tuple, tuple[list[tuple], list[tuple], datetime]] = {}

    def key(self, session, clock, policy: Policy, volunteers: str, residents: str) -> tuple | None:
        """The key of this import, or None where the database or the clock leaves its outcome open."""
        if type(clock) is not SteppingClock or not self._empty(session, policy):
            return None
        dialect = session.get_bind().dialect.name
        return dialect, volunteers, residents, policy.region, policy.buildings, clock.at, clock.step

    TABLES = [table for table in Base.metadata.sorted_tables if table is not Building.__table__]
    ROWS = select(sum((select(func.count()).select_from(table).scalar_subquery() for table in TABLES),
                      start=literal(0)))  # in every table but the buildings, made once

    def _empty(self, session, policy: Policy) -> bool:
        if session.scalar(self.ROWS) or set(session.scalars(select(Building.number))) != set(policy.buildings):
            return False
        if session.get_bind().dialect.name == "postgresql":
            drawn = text("SELECT count(*) FROM pg_sequences WHERE schemaname = current_schema() "
                         "AND last_value IS NOT NULL")
        else:
            drawn = text("SELECT count(*) FROM sqlite_sequence")
        return not session.scalar(drawn)

    def save(self, session, key: tuple | None, clock) -> None:
        """Keep what the import wrote under `key`."""
        if key is None or key in self.copies:
            return
        rows = [(table, [dict(row._mapping) for row in session.execute(
                    select(table).order_by(*table.primary_key.columns))]) for table in self.TABLES]
        if key[0] == "postgresql":
            sequences = session.execute(text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL")).all()
        else:
            sequences = session.execute(text("SELECT name, seq FROM sqlite_sequence")).all()
        session.rollback()
        self.copies[key] = ([(table, found) for table, found in rows if found], [tuple(s) for s in sequences],
                            clock.at)

    def restore(self, session, key: tuple | None, clock) -> bool:
        """Write the rows kept under `key` as new rows of this database; False when none are kept."""
        if key not in self.copies:
            return False
        rows, sequences, after = self.copies[key]
        for table, found in rows:
            session.execute(table.insert(), found)
        for name, value in sequences:
            if key[0] == "postgresql":
                session.execute(text("SELECT setval(CAST(:name AS regclass), :value)"), {"name": name, "value": value})
            else:
                session.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :value)"),
                                {"name": name, "value": value})
        session.commit()
        clock.at = after
        return True


ROSTERS = RosterCopies()


def get_request(app, number: int) -> Request:
    """Load a request (detached, with what tests read of it)."""
    with app.app_context():
        r = db.session.get(Request, number)
        assert r is not None, f"no request #{number}"
        _ = (r.household, r.volunteer, r.events, r.resident)
        db.session.expunge_all()
        return r


def coordinator_on_page(session, username: str = "sun") -> Actor:
    """A coordinator's user of the admin page (added now), as the actor of what they change there."""
    user = User(username=username, password_hash="-", role=UserRole.COORDINATOR)
    session.add(user)
    session.flush()
    return transitions.on_page(user.id)
