"""SQLite's one writer at a time: writers queue on the lock file beside the database (never in SQLite's
sleeping busy handler), read-only transactions take no lock, and a writer stuck past the timeout
turns into the error the webhooks spool on."""

from __future__ import annotations

import fcntl
import multiprocessing
import os

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hotline import database

WRITERS, INCREMENTS = 3, 40


def make_engine(path) -> sa.Engine:
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url, **database.engine_options(url))
    database.tune(engine)
    return engine


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "hotline.db"
    engine = make_engine(path)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (1, 0)")
    engine.dispose()
    return path


def lock_is_free(path) -> bool:
    """Try the lock file from a descriptor of our own, as another process would."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_write_transaction_holds_the_lock_until_it_ends(db_path):
    engine = make_engine(db_path)
    with Session(engine) as session:
        session.execute(sa.text("SELECT value FROM counter"))
        assert not lock_is_free(db_path)  # from its first statement: it reads, then writes
        session.execute(sa.text("UPDATE counter SET value = value + 1"))
        session.commit()
        assert lock_is_free(db_path)
        session.execute(sa.text("UPDATE counter SET value = value + 1"))
        session.rollback()
        assert lock_is_free(db_path)
    engine.dispose()


def test_a_read_only_transaction_reads_beside_a_writer(db_path):
    engine = make_engine(db_path)
    with Session(engine) as writer:
        writer.execute(sa.text("UPDATE counter SET value = 41"))  # holds the lock, not committed
        with database.reads_only(), Session(engine) as reader:
            assert reader.scalar(sa.text("SELECT value FROM counter")) == 0  # the last committed state
            assert not lock_is_free(db_path)  # still the writer's
        writer.commit()
    engine.dispose()


def _increment(path, times: int) -> None:
    engine = make_engine(path)
    for _ in range(times):
        with Session(engine) as session:  # read, then write what was read: a lost update if two overlap
            value = session.scalar(sa.text("SELECT value FROM counter WHERE id = 1"))
            session.execute(sa.text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1})
            session.commit()
    engine.dispose()


def test_writers_in_several_processes_take_turns_and_lose_nothing(db_path):
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_increment, args=(db_path, INCREMENTS)) for _ in range(WRITERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    assert [p.exitcode for p in processes] == [0] * WRITERS
    engine = make_engine(db_path)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT value FROM counter")) == WRITERS * INCREMENTS
    engine.dispose()


def test_a_writer_stuck_past_the_timeout_is_the_error_a_webhook_spools_on(db_path, monkeypatch):
    monkeypatch.setattr(database, "WRITE_LOCK_TIMEOUT_MS", 50)
    engine = make_engine(db_path)
    fd = os.open(f"{db_path}.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process that never lets go
    try:
        with Session(engine) as session, pytest.raises(database.DATABASE_DOWN) as raised:
            session.execute(sa.text("UPDATE counter SET value = 1"))
        assert "database is locked" in str(raised.value)
    finally:
        os.close(fd)
    with Session(engine) as session:  # and the next writer goes once it is free
        session.execute(sa.text("UPDATE counter SET value = 7"))
        session.commit()
        assert session.scalar(sa.text("SELECT value FROM counter")) == 7
    engine.dispose()

