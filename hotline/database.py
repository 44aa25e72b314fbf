"""Engine settings per database: SQLite must behave under several processes too."""

from __future__ import annotations

import fcntl
import functools
import itertools
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event, exc, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import MANYTOONE, Session, scoped_session

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
        return {"connect_args": {"timeout": WRITE_LOCK_TIMEOUT_MS / 1000, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5, "pool_timeout": 10,
            "connect_args": {"connect_timeout": 5}}


def tune(engine: Engine) -> None:
    """On SQLite: WAL, and one writer at a time, handed on the moment it is done.

    A transaction that may write takes the write lock up front (`BEGIN IMMEDIATE`): two processes
    that both read and then write would otherwise deadlock into `database is locked` (a deferred
    transaction cannot be upgraded once another writer committed). Writers queue on `WriteLock`
    before SQLite sees them, so none waits in SQLite's busy handler, which sleeps in growing steps
    (up to 100 ms) and let several processes fall far below what one does alone. A transaction
    begun under `reads_only` takes no lock: it reads the last committed state beside the writer.
    """
    if engine.dialect.name != "sqlite" or getattr(engine, "_hotline_tuned", False):
        return
    engine._hotline_tuned = True
    path = _lock_path(engine.url.database)
    lock = write_lock(path) if path else WriteLock(None)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's events take over BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={WRITE_LOCK_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        if _reading.get():
            connection.exec_driver_sql("BEGIN")
            return
        info = connection.connection.info
        if info.get(HELD) is None:
            info[HELD] = lock.acquire()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            lock.release(info.pop(HELD))
            raise

    def _done(_dbapi_connection, record, *_):
        if record is not None and (held := record.info.pop(HELD, None)) is not None:
            lock.release(held)

    for name in ("checkin", "invalidate", "close", "detach"):  # the transaction is over: the connection is back
        event.listen(engine.pool, name, _done)


HELD = "hotline_write_lock"
# The write-ahead log is copied into the database file by the worker (`checkpoint`, every CHECKPOINT_EVERY
# seconds), not by whichever webhook's commit finds it past SQLite's 1,000 pages: that copy (with its fsync)
# took 15-20 ms of the SMS that drew it. Past this many pages (about 40 MB), with no worker running, a
# commit still copies it.
WAL_AUTOCHECKPOINT_PAGES = 10_000
CHECKPOINT_EVERY = 1.0  # seconds
WRITE_LOCK_TIMEOUT_MS = 10_000  # within Twilio's 15 seconds: a writer stuck longer is an outage, and the SMS is spooled
_reading: ContextVar[bool] = ContextVar("reading", default=False)


def checkpoint(engine: Engine) -> None:
    """On SQLite, copy the write-ahead log into the database file now, as far as the readers of the moment
    allow (`PASSIVE`: it waits for nobody, and writers go on meanwhile); on PostgreSQL, nothing."""
    if engine.dialect.name != "sqlite":
        return
    connection = engine.raw_connection()  # outside any transaction: the connection is in autocommit
    try:
        connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        connection.close()


@contextmanager
def reads_only() -> Iterator[None]:
    """Begin the transactions of this block without the SQLite write lock (they must not write):
    a health check or a page that only reads does not queue behind the webhooks' writes."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def _lock_path(database: str | None) -> str | None:
    """The lock file beside a SQLite file (`hotline.db.lock`); None for a database in memory."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database + ".lock"


@functools.cache
def write_lock(path: str) -> WriteLock:
    """The one WriteLock of this process for the SQLite file whose lock file is `path` (every engine on
    the file shares it)."""
    return WriteLock(path)


class WriteLock:
    """One writer at a time on one SQLite file, across threads and processes (gunicorn's workers,
    the worker, a command): a thread lock, then an exclusive `flock` on the lock file.

    The file is opened for each hold (a descriptor inherited through `fork` would be shared), and
    closing it lets go. Waiting is bounded by WRITE_LOCK_TIMEOUT_MS, then OperationalError says
    `database is locked`, as SQLite would: one of DATABASE_DOWN, so a webhook spools and answers.
    """

    POLL = (0.0002, 0.0005, 0.001)  # seconds between tries of a held file lock: the next writer starts within 1 ms

    def __init__(self, path: str | None):
        self.path = path
        self.threads = threading.Lock()
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self.threads = threading.Lock()  # a thread of the parent that held it does not exist here

    def acquire(self) -> int:
        """Wait for the lock; return what `release` takes (the lock file's descriptor, or -1)."""
        deadline = time.monotonic() + WRITE_LOCK_TIMEOUT_MS / 1000
        if not self.threads.acquire(timeout=WRITE_LOCK_TIMEOUT_MS / 1000):
            raise _locked()
        if self.path is None:
            return -1
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            self.threads.release()
            raise
        for attempt in itertools.count():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    self.threads.release()
                    raise _locked() from None
                time.sleep(self.POLL[min(attempt, len(self.POLL) - 1)])
        raise AssertionError("unreachable")

    def release(self, held: int) -> None:
        """Let the next writer in."""
        if held >= 0:
            os.close(held)
        self.threads.release()


def _locked() -> exc.OperationalError:
    return exc.OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


SENDER_LOCKS = 0x534D53  # the advisory-lock space of "one sender at a time" ("SMS")
SENDER_LOCK_TIMEOUT_MS = 5000  # well within Twilio's 15 seconds; a holder stuck longer is an outage


def hold_sender(session, phone: str) -> None:
    """Take the messages of one sender one at a time, until this transaction ends.

    Two SMS from one number at the same moment (the halves of one request) both read and write
    that number's conversation and counts; taken side by side, one conflicts on the conversation
    key and the limits count neither. PostgreSQL: a transaction-level advisory lock on the number,
    as RapidPro's mailroom locks a contact. SQLite: every transaction already holds the write
    lock from its first statement (`BEGIN IMMEDIATE`), which serialises all senders.

    The wait is bounded: `lock_timeout`, set for the rest of this transaction (`set_config(…, true)`,
    which is `SET LOCAL`, in the same statement, before the lock is asked for), turns a holder stuck
    past `SENDER_LOCK_TIMEOUT_MS` into an OperationalError, one of DATABASE_DOWN, so the webhook
    spools the SMS and answers in time instead of waiting for ever.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:phone)) "
                             "FROM (SELECT set_config('lock_timeout', :timeout, true)) AS bounded"),
                        {"space": SENDER_LOCKS, "phone": phone, "timeout": f"{int(SENDER_LOCK_TIMEOUT_MS)}ms"})


def insert_added(session: Session, *models: type) -> None:
    """Write the rows of `models` that this transaction added, in one INSERT per table (and set of columns
    given), the tables in the order of `models`, and let the session forget them: for the last rows of a
    transaction that nothing reads back as objects (a webhook's answer and the messages it queued, written
    as it commits).

    The unit of work would insert them one by one and read each id back; this sends what a flush would:
    the values each row was given, the keys of the rows it refers to, NULL for a column with no default,
    and the columns' defaults for the rest. A row that refers to one not written yet (it has no key)
    leaves them all to the unit of work.
    """
    added = sorted((row for row in session.new if isinstance(row, models)), key=lambda row: inspect(row).insert_order)
    batches: dict[tuple[_Plan, tuple[str, ...]], list[dict]] = {}
    for row in added:
        values = _column_values(row)
        if values is None:
            return
        batches.setdefault((_Plan.of(inspect(row).mapper), tuple(sorted(values))), []).append(values)
    for row in added:
        session.expunge(row)
    tables = [model.__table__ for model in models]  # in the order given: what came first is stamped first
    for (plan, _), rows in sorted(batches.items(), key=lambda batch: tables.index(batch[0][0].table)):
        session.connection().execute(plan.insert, rows)


class _Plan:
    """What writing a row of one mapped class needs, read off its mapper once per process: each column's
    attribute, the columns a flush leaves to the database (a default, the key), and the keys the row
    takes from the rows it refers to."""

    def __init__(self, mapper):
        table = mapper.local_table
        self.table = table
        self.attributes = [(column, mapper.get_property_by_column(column).key) for column in table.columns]
        self.defaulted = {column.key for column in table.columns
                          if column.default is not None or column.server_default is not None or column.primary_key}
        self.key_of = dict(self.attributes)  # a column's attribute
        self.insert = table.insert()  # the statements, made once: their cache keys are not made again
        self.insert_returning = table.insert().returning(*table.c, sort_by_parameter_order=True)
        self.references = [(relation.key, [(local.key, remote) for local, remote in relation.local_remote_pairs])
                           for relation in mapper.relationships if relation.direction is MANYTOONE]

    @staticmethod
    @functools.cache
    def of(mapper) -> _Plan:
        return _Plan(mapper)


def _column_values(row) -> dict | None:
    """The values a flush would insert for `row` (a column with a default and no value is left out, for
    the INSERT to fill); None when it refers to a row with no key yet."""
    plan, given = _Plan.of(inspect(row).mapper), row.__dict__
    values = {}
    for column, key in plan.attributes:
        if key in given:
            values[column.key] = given[key]
        elif column.key not in plan.defaulted:
            values[column.key] = None
    for relation, pairs in plan.references:
        if relation not in given:
            continue
        target = given[relation]
        for local, remote in pairs:
            if target is None:
                values[local] = None
                continue
            values[local] = target.__dict__.get(_Plan.of(inspect(target).mapper).key_of[remote])
            if values[local] is None:
                return None
    return values


def write_new(session: Session, row, children: str) -> None:
    """Write `row`, added in this transaction, and the new rows of its collection `children` (a request
    and its timeline) in one INSERT per table, and leave them in the session as a flush would: persistent,
    every column as the database has it, nothing left to write, and forgotten again if the transaction
    rolls back.

    The unit of work would plan the flush, insert the children one by one and read each id back; this
    sends one statement for the row and one for its children, each returning every column (the defaults
    and keys the database gave), then registers them as the unit of work does at the end of a flush
    (`Session._register_persistent`). Where a row refers to one not written yet, or other rows wait to be
    written that this one may depend on, it leaves all to the unit of work (a flush)."""
    state = inspect(row)
    kids = [inspect(kid) for kid in getattr(row, children)]
    values = _column_values(row)
    if values is None or not state.pending or not all(kid.pending for kid in kids) \
            or len(session.new) != 1 + len(kids):
        session.flush()
        return
    connection = session.connection()  # no autoflush: these statements are the flush
    plan = _Plan.of(state.mapper)
    _written(plan, state, connection.execute(plan.insert_returning, values).one())
    if kids:
        kid_plan = _Plan.of(kids[0].mapper)
        found = connection.execute(kid_plan.insert_returning, [_column_values(kid.obj()) for kid in kids]).all()
        for kid, columns in zip(kids, found, strict=True):
            _written(kid_plan, kid, columns)
    actual = session() if isinstance(session, scoped_session) else session  # Flask-SQLAlchemy's is scoped
    actual._register_persistent({state, *kids})


def _written(plan: _Plan, state, columns) -> None:
    """Put the columns the database returned for a row into its state, as a flush does (`_postfetch`)."""
    given = state.dict
    for (_, key), value in zip(plan.attributes, columns, strict=True):
        given[key] = value
