"""`/admin/broadcast`: an announcement per language to chosen buildings, by SMS and/or voice call, previewed,
then sent through the outbox's bulk lane, with its progress and ETA."""

from __future__ import annotations

from datetime import UTC

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from admin import bp
from admin.auth import json_view, passive, requires
from admin.forms import BroadcastForm, options
from admin.i18n import duration
from admin.web import buildings, policy
from hotline import texts
from hotline.domain import broadcast as bc
from hotline.domain import offers
from hotline.extensions import db
from hotline.models import Broadcast, UserRole


def _rate() -> float:
    return current_app.config["HOTLINE_SEND_RATE"]


def _announcement(form: BroadcastForm) -> bc.Announcement:
    return bc.Announcement(
        texts={"zh": (form.text_zh.data or "").strip(), "en": (form.text_en.data or "").strip()},
        buildings=frozenset(form.buildings.data or ()),
        by_sms=bool(form.by_sms.data),
        by_call=bool(form.by_call.data),
    )


@bp.route("/broadcast", methods=["GET", "POST"])
@requires(UserRole.COORDINATOR)
def broadcast():
    """Write an announcement, preview who it reaches, and send it."""
    form = BroadcastForm()
    form.buildings.choices = options((b, str(b)) for b in buildings())
    if not form.broadcast_id.data or not bc.is_id(form.broadcast_id.data):
        form.broadcast_id.data = bc.new_id()
    preview = None
    if form.validate_on_submit():
        announcement = _announcement(form)
        if request.form.get("action") == "send":
            sent = bc.send(db.session, announcement, form.broadcast_id.data, sent_by=current_user.id)
            _attach_offer(form, sent)
            db.session.commit()
            flash(_("The announcement is queued."), "success")
            return redirect(url_for("admin.broadcast_progress", broadcast_id=form.broadcast_id.data))
        preview = bc.plan(db.session, announcement)
    return render_template("admin/broadcast.html", form=form, preview=preview,
                           recent=bc.recent(db.session, _rate()), segments=texts.segments,
                           announcement=_announcement(form) if preview else None), 400 if form.errors else 200


def _attach_offer(form: BroadcastForm, broadcast: Broadcast) -> None:
    """A broadcast that offers a group buy gets its offer (once, whatever the form is sent twice)."""
    item = (form.offer_item.data or "").strip()
    if not item or broadcast.offer is not None:
        return
    deadline = form.offer_deadline.data.replace(tzinfo=policy().timezone)  # typed in local time
    offers.create(db.session, broadcast, item, deadline.astimezone(UTC))


def _progress(broadcast_id: str) -> bc.Progress:
    progress = bc.progress(db.session, broadcast_id, _rate()) if bc.is_id(broadcast_id) else None
    if progress is None:
        abort(404)
    return progress


@bp.get("/broadcast/<broadcast_id>")
@requires(UserRole.COORDINATOR)
def broadcast_progress(broadcast_id: str):
    """Show how far a broadcast has gone; the page follows it live."""
    return render_template("admin/broadcast_progress.html", p=_progress(broadcast_id))


@bp.get("/broadcast/<broadcast_id>.json")
@requires(UserRole.COORDINATOR)
@passive
@json_view
def broadcast_progress_json(broadcast_id: str):
    """Answer a broadcast's progress as JSON."""
    p = _progress(broadcast_id)
    return {"id": p.id, "total": p.total, "done": p.done, "sent": p.sent, "failed": p.failed, "skipped": p.skipped,
            "waiting": p.waiting, "eta_seconds": p.eta_seconds, "eta": duration(p.eta_seconds),
            "finished": p.finished}
