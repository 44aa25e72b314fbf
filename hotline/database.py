"""Engine settings per database: SQLite must behave under several processes too."""

from __future__ import annotations

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Engine

# What a database that does not answer raises: refused or dropped connections, a full pool.
DATABASE_DOWN = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


def rollback_quietly(session) -> None:
    """Roll back what a database that stopped answering left open (it may not answer that either)."""
    try:
        session.rollback()
    except DATABASE_DOWN:
        pass


def engine_options(url: str) -> dict:
    """Return engine options for `url`."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5, "pool_timeout": 10,
            "connect_args": {"connect_timeout": 5}}


def tune(engine: Engine) -> None:
    """On SQLite: WAL, and every transaction takes the write lock up front (BEGIN IMMEDIATE).

    Without it, two processes that both read and then write deadlock into `database is locked`
    (a deferred transaction cannot be upgraded once another writer committed).
    """
    if engine.dialect.name != "sqlite" or getattr(engine, "_hotline_tuned", False):
        return
    engine._hotline_tuned = True

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's events take over BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


SENDER_LOCKS = 0x534D53  # the advisory-lock space of "one sender at a time" ("SMS")
SENDER_LOCK_TIMEOUT_MS = 5000  # well within Twilio's 15 seconds; a holder stuck longer is an outage


def hold_sender(session, phone: str) -> None:
    """Take the messages of one sender one at a time, until this transaction ends.

    Two SMS from one number at the same moment (the halves of one request) both read and write
    that number's conversation and counts; taken side by side, one conflicts on the conversation
    key and the limits count neither. PostgreSQL: a transaction-level advisory lock on the number,
    as RapidPro's mailroom locks a contact. SQLite: every transaction already holds the write
    lock from its first statement (`BEGIN IMMEDIATE`), which serialises all senders.

    The wait is bounded: `lock_timeout`, set for the rest of this transaction (`SET LOCAL`), turns a
    holder stuck past `SENDER_LOCK_TIMEOUT_MS` into an OperationalError, one of DATABASE_DOWN, so the
    webhook spools the SMS and answers in time instead of waiting for ever.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = {int(SENDER_LOCK_TIMEOUT_MS)}"))  # milliseconds
        session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:phone))"),
                        {"space": SENDER_LOCKS, "phone": phone})
