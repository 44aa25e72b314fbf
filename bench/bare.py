"""The bare endpoints the bench compares ours with: `GET /`, `POST /insert` (one row) and `POST /floor`.

    DATABASE_URL=... [TWILIO_AUTH_TOKEN=... HOTLINE_BUILDINGS=...] \
        gunicorn --preload -w 2 -b 127.0.0.1:PORT bench.bare:app

The insert goes to the same database as the hotline, through SQLAlchemy with the hotline's own
engine settings (hotline.database: on SQLite WAL, a busy timeout and BEGIN IMMEDIATE), so the two
pay the same price for a transaction.

`/floor` is the least an SMS's answer needs whatever the design, as the contract asks it (SPEC: the answer
to an incoming SMS is its TwiML reply, in the sender's language, with the number of the request it made):
the signature checked, the words read by the hotline's own reader (the flat, the need, the language and the
kind of message), the one-row insert of a request, and the reply rendered from the catalog as TwiML. No
sender read, no conversation, no routing, no timeline, no message kept: nothing the hotline answers
from. An SMS cannot cost less than this; how far the hotline is above it is what its design costs.
"""

from __future__ import annotations

import gc
import os
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, request

from hotline import database, texts
from hotline.channels.twilio import render_sms, validate_signature
from hotline.config import parse_buildings
from hotline.domain import message, reading, requests
from hotline.domain.replies import Message
from hotline.models import Category

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


BUILDINGS = frozenset(parse_buildings(os.environ.get("HOTLINE_BUILDINGS", "1-36")))
# The floor's reader loads as the module does: with --preload (as bench/run.py starts it) in gunicorn's master, before
# it forks, and out of the collector's reach, as hotline.serving has the hotline's.
reading.prepare()
gc.freeze()


@app.post("/floor")
def floor():
    form = request.form.to_dict()
    if not validate_signature(os.environ.get("TWILIO_AUTH_TOKEN", ""), request.base_url, form,
                              request.headers.get("X-Twilio-Signature", "")):
        return "", 403
    said = message.read(message.normalise(form.get("Body", "")), BUILDINGS)
    need, lang = said.parsed, texts.supported(said.reply_language)
    text = f"{said.likeliest} {need.category} {need.building}-{need.room}: {said.text}"[:1600]
    with engine.begin() as conn:
        number = conn.execute(rows.insert().values(text=text, created_at=datetime.now(UTC))
                              .returning(rows.c.id)).scalar_one()
    category = requests.category_label(lang, need.category or Category.HELP)
    text = texts.t(lang, "sms.created", number=number, category=category, home=f"{need.building}-{need.room}")
    return render_sms((Message(text, lang, number),)), {"Content-Type": "text/xml"}


@app.post("/insert")
def insert_one():
    with engine.begin() as conn:
        conn.execute(rows.insert().values(text=request.form.get("text", "")[:1600], created_at=datetime.now(UTC)))
    return "ok"
