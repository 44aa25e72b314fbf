"""`/admin/numbers`: the numbers that run the response, per building and per volunteer, over the last day
and the last week (hotline/domain/numbers.py)."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from admin import bp
from admin.auth import requires
from admin.web import policy
from hotline import clock
from hotline.domain import numbers as figures
from hotline.extensions import db
from hotline.models import UserRole

WINDOW = {"day": _l("Last 24 hours"), "week": _l("Last 7 days")}


@bp.get("/numbers")
@requires(UserRole.VIEWER)
def numbers():
    """Show the last day's and the last week's numbers, per building and per volunteer."""
    pol, now = policy(), clock.now()
    windows = [(name, figures.numbers(db.session, pol, now, span)) for name, span in figures.WINDOWS.items()]
    return render_template("admin/numbers.html", windows=windows, WINDOW=WINDOW,
                           accept_timeout=pol.accept_timeout.total_seconds(),
                           delivery_timeout=pol.delivery_timeout.total_seconds())
