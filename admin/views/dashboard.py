"""`/admin/`: open, overdue and urgent requests at a glance, by building, with the outbox and the last days."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from flask import current_app, render_template

from admin import bp
from admin.auth import json_view, passive, requires
from admin.views.act_now import desk_state
from admin.web import policy
from hotline import clock
from hotline.domain import carriers, checkins, outbox
from hotline.domain import dashboard as board
from hotline.domain import numbers as figures
from hotline.extensions import db
from hotline.models import UserRole

CHART_WIDTH, CHART_HEIGHT, CHART_DAYS = 420, 120, 14
ACT_NOW_ON_DASHBOARD = 8  # items of the act-now list shown first; the rest on its own page


def bar_chart(columns: list[tuple[str, tuple[tuple[str, int], ...]]], label_every: int = 1) -> dict:
    """Lay out grouped SVG bars: one group per column (`label`, its series' `(kind, value)`), with the scale;
    every `label_every`-th column's label is written under it, counted from the last."""
    top = max([1] + [value for _label, series in columns for _kind, value in series])
    slot = CHART_WIDTH / max(len(columns), 1)
    bar = slot * 0.76 / max([1] + [len(series) for _label, series in columns])
    bars = []
    for i, (label, series) in enumerate(columns):
        x = i * slot + slot * 0.1
        for j, (kind, value) in enumerate(series):
            height = round(value / top * (CHART_HEIGHT - 20), 1)
            bars.append({"kind": kind, "x": round(x + j * bar, 1), "y": round(CHART_HEIGHT - height, 1),
                         "width": round(bar - 1, 1), "height": height, "value": value, "label": label})
    last = len(columns) - 1
    labels = [{"x": round(i * slot + slot / 2, 1), "label": label} for i, (label, _series) in enumerate(columns)
              if (last - i) % label_every == 0]
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bars": bars, "labels": labels, "top": top}


def chart(days: list[board.DayCount]) -> dict:
    """Lay out the requests-and-deliveries chart as SVG bars (two per day), with its scale."""
    columns = [(d.day.strftime("%m-%d"), (("created", d.created), ("delivered", d.delivered))) for d in days]
    return {**bar_chart(columns, label_every=3),
            "created": sum(d.created for d in days), "delivered": sum(d.delivered for d in days)}


def numbers_chart(day: figures.Numbers) -> dict:
    """Lay out the last day's requests and deliveries within the promise per building as SVG bars."""
    columns = [(str(b), (("created", f.requests), ("on-time", f.on_time))) for b, f in day.buildings.items()]
    return {**bar_chart(columns), "numbers": day}


def _carriers(now) -> dict:
    """Each carrier's queue, last hour and last success, and those that are off line too long."""
    sms, voice = current_app.extensions["sms_transport"].name, current_app.extensions["transport"].name
    down_after = timedelta(seconds=current_app.config["HOTLINE_GATEWAY_DOWN_AFTER"])
    return {"carriers": carriers.per_carrier(db.session, sms, voice, now),
            "carriers_down": carriers.down(db.session, now, down_after)}


def _state() -> dict:
    pol, now = policy(), clock.now()
    counts, grid = board.overview(db.session, pol, now)
    return {
        **_carriers(now),
        "counts": counts,
        "grid": grid,
        "backlog": outbox.stats(db.session, current_app.config["HOTLINE_SEND_RATE"]),  # as the JSON API says it
        "stamp": board.live_stamp(db.session),
    }


@bp.get("/")
@requires(UserRole.VIEWER)
def dashboard():
    """Show the dashboard."""
    pol = policy()
    now = clock.now()
    days = board.per_day(db.session, pol.timezone, now, CHART_DAYS)
    return render_template("admin/dashboard.html", oldest=board.oldest_waiting(db.session), chart=chart(days),
                           days=days, checkins=checkins.today(db.session, pol),
                           silent=checkins.not_heard_from(db.session, pol), **desk_state(ACT_NOW_ON_DASHBOARD),
                           **_state())


@bp.get("/numbers/day")
@requires(UserRole.VIEWER)
@passive
def numbers_day():
    """Answer the dashboard's chart and table of the last day per building, a part of the page that it fetches
    right after itself: counting the day's timelines takes as long as the rest of the page, which need not wait
    for it (without JavaScript, the page links to the numbers page)."""
    pol = policy()
    day = figures.numbers(db.session, pol, clock.now(), figures.WINDOWS["day"], volunteers=False)
    return render_template("admin/_numbers_day.html", numbers_chart=numbers_chart(day))


@bp.get("/live.json")
@requires(UserRole.VIEWER)
@passive
@json_view
def live_json():
    """Answer what the live pages poll: a stamp that changes when a request or the outbox does."""
    return {"stamp": board.live_stamp(db.session)}


@bp.get("/dashboard.json")
@requires(UserRole.VIEWER)
@passive
@json_view
def dashboard_json():
    """Answer the dashboard's numbers (the page itself polls `live.json`)."""
    state = _state()
    return {
        "stamp": state["stamp"],
        "counts": asdict(state["counts"]),
        "grid": [asdict(cell) for cell in state["grid"] if cell.open],
        "backlog": {"messages": state["backlog"]["backlog"], "eta_seconds": state["backlog"]["eta_seconds"]},
        "carriers": [asdict(c) for c in state["carriers"]],
        "carriers_down": [asdict(d) for d in state["carriers_down"]],
    }
