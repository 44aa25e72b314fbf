"""`/admin/outbox`: every message and call with its delivery status, failures with their reason, retry."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _

from admin import bp
from admin.auth import actor, requires, safe_next, shows_phones
from admin.forms import ActionForm
from admin.web import MAX_INT, page_arg, page_args
from hotline.domain import dashboard, lists, steering
from hotline.domain import outbox as sending
from hotline.extensions import db
from hotline.models import Lane, Outbox, OutStatus, UserRole


def _stats() -> dict:
    return sending.stats(db.session, current_app.config["HOTLINE_SEND_RATE"])


@bp.get("/outbox")
@requires(UserRole.VIEWER)
def outbox():
    """List what went out and what waits, newest first."""
    args = {k: request.args.get(k, "") for k in ("status", "kind", "lane", "q")}
    query = lists.outbox_query(**args, search_phones=shows_phones())
    page = lists.paginate(db.session, query, page_arg())
    return render_template("admin/outbox.html", page=page, page_args=page_args, args=args, stats=_stats(),
                           statuses=list(OutStatus), lanes=list(Lane), retry_form=ActionForm(),
                           stamp=dashboard.live_stamp(db.session))


@bp.post(f"/outbox/<int(min=1, max={MAX_INT}):message_id>/retry")
@requires(UserRole.COORDINATOR)
def outbox_retry(message_id: int):
    """Send a failed message again."""
    row = db.session.get(Outbox, message_id)
    if row is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if steering.retry_message(db.session, row, actor()):
        db.session.commit()
        flash(_("Message %(id)s is queued again.", id=row.id), "success")
    else:
        db.session.rollback()
        flash(_("Message %(id)s cannot be sent again (it did not fail, or the number opted out).", id=row.id),
              "error")
    return redirect(safe_next(request.form.get("back"), "admin.outbox"))
