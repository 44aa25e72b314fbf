"""`/admin/broadcast`: an announcement per language to chosen buildings, by SMS and/or voice call, previewed,
then sent through the outbox's bulk lane now or at a chosen local time, with its progress and ETA, what
became of it per building, and a button that stops it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from admin import bp
from admin.auth import json_view, passive, requires
from admin.forms import BroadcastForm, options
from admin.i18n import duration, when
from admin.web import buildings, policy
from hotline import clock, texts
from hotline.domain import broadcast as bc
from hotline.extensions import db
from hotline.models import UserRole


def _rate() -> float:
    return current_app.config["HOTLINE_SEND_RATE"]


def _utc(local: datetime | None) -> datetime | None:
    """A time typed in the compound's local time, in UTC."""
    return local.replace(tzinfo=policy().timezone).astimezone(UTC) if local is not None else None


def _announcement(form: BroadcastForm) -> bc.Announcement:
    return bc.Announcement(
        texts={"zh": (form.text_zh.data or "").strip(), "en": (form.text_en.data or "").strip()},
        buildings=frozenset(form.buildings.data or ()),
        by_sms=bool(form.by_sms.data),
        by_call=bool(form.by_call.data),
        send_at=_utc(form.send_at.data),
        offer_item=(form.offer_item.data or "").strip(),
        offer_deadline=_utc(form.offer_deadline.data),
    )


@bp.route("/broadcast", methods=["GET", "POST"])
@requires(UserRole.COORDINATOR)
def broadcast():
    """Write an announcement, preview who it reaches, and send it."""
    form = BroadcastForm()
    form.now = clock.now().astimezone(policy().timezone).replace(tzinfo=None)
    form.buildings.choices = options((b, str(b)) for b in buildings())
    if not form.broadcast_id.data or not bc.is_id(form.broadcast_id.data):
        form.broadcast_id.data = bc.new_id()
    preview = None
    if form.validate_on_submit():
        announcement = _announcement(form)
        if request.form.get("action") == "send":
            bc.send(db.session, announcement, form.broadcast_id.data, sent_by=current_user.id)
            db.session.commit()
            if announcement.send_at is not None:
                flash(_("The announcement will go at %(time)s.", time=when(announcement.send_at)), "success")
            else:
                flash(_("The announcement is queued."), "success")
            return redirect(url_for("admin.broadcast_progress", broadcast_id=form.broadcast_id.data))
        preview = bc.plan(db.session, announcement)
    return render_template("admin/broadcast.html", form=form, preview=preview,
                           recent=bc.recent(db.session, _rate()), segments=texts.segments,
                           announcement=_announcement(form) if preview else None), 400 if form.errors else 200


def _progress(broadcast_id: str) -> bc.Progress:
    progress = bc.progress(db.session, broadcast_id, _rate()) if bc.is_id(broadcast_id) else None
    if progress is None:
        abort(404)
    return progress


@bp.get("/broadcast/<broadcast_id>")
@requires(UserRole.COORDINATOR)
def broadcast_progress(broadcast_id: str):
    """Show how far a broadcast has gone; the page follows it live."""
    p = _progress(broadcast_id)
    return render_template("admin/broadcast_progress.html", p=p, reach=bc.reach_by_building(db.session, broadcast_id))


@bp.post("/broadcast/<broadcast_id>/stop")
@requires(UserRole.COORDINATOR)
def broadcast_stop(broadcast_id: str):
    """Stop a broadcast: what went stays sent, the rest is cancelled and counted."""
    p = _progress(broadcast_id)
    if p.stopped_at is None:
        cancelled = bc.stop(db.session, broadcast_id, stopped_by=current_user.username)
        db.session.commit()
        flash(ngettext("Stopped: %(num)s message will not be sent.", "Stopped: %(num)s messages will not be sent.",
                       cancelled), "success")
    return redirect(url_for("admin.broadcast_progress", broadcast_id=broadcast_id))


@bp.get("/broadcast/<broadcast_id>.json")
@requires(UserRole.COORDINATOR)
@passive
@json_view
def broadcast_progress_json(broadcast_id: str):
    """Answer a broadcast's progress as JSON."""
    p = _progress(broadcast_id)
    return {"id": p.id, "total": p.total, "done": p.done, "sent": p.sent, "failed": p.failed, "skipped": p.skipped,
            "waiting": p.waiting, "eta_seconds": p.eta_seconds, "eta": duration(p.eta_seconds),
            "cancelled": p.cancelled, "finished": p.finished, "stopped": p.stopped_at is not None}
