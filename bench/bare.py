"""The bare endpoints the bench compares ours with: `GET /` and `POST /insert` (one row).

    DATABASE_URL=... gunicorn -w 2 -b 127.0.0.1:PORT bench.bare:app

The insert goes to the same database as the hotline, through SQLAlchemy with the hotline's own
engine settings (hotline.database: on SQLite WAL, a busy timeout and BEGIN IMMEDIATE), so the two
pay the same price for a transaction.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, request

from hotline import database

metadata = sa.MetaData()
rows = sa.Table(
    "bench_row",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def make_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, **database.engine_options(url))
    database.tune(engine)
    return engine


def create_table(url: str) -> None:
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


app = Flask(__name__)
engine = make_engine(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None


@app.get("/")
def bare():
    return "ok"


@app.post("/insert")
def insert_one():
    with engine.begin() as conn:
        conn.execute(rows.insert().values(text=request.form.get("text", "")[:1600], created_at=datetime.now(UTC)))
    return "ok"
