"""The people who never ask: `/admin/check-ins` (the daily plan, and every check-in call with when it goes and how
it ended), and the one-tap actions on a filtered residents list: a round of check-in calls, or an announcement."""

from __future__ import annotations

from datetime import UTC, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from admin import bp
from admin.auth import requires, shows_phones
from admin.forms import CheckInPlanForm, ListBroadcastForm, RoundForm
from admin.views.people import filter_args, resident_filter
from admin.web import page_arg, page_args, policy
from hotline import clock, texts
from hotline.domain import broadcast as bc
from hotline.domain import checkins, lists
from hotline.extensions import db
from hotline.models import UserRole

ROUND_AHEAD = timedelta(days=7)  # a round set further ahead is more likely a typo than a plan


def _plan_form() -> CheckInPlanForm:
    settings = checkins.plan(db.session)
    form = CheckInPlanForm()
    if request.method == "GET":
        form.enabled.data = settings.enabled
        form.start.data = f"{settings.start_minute // 60:02d}:{settings.start_minute % 60:02d}"
        form.end.data = f"{settings.end_minute // 60:02d}:{settings.end_minute % 60:02d}"
        form.days.data = list(settings.days)
        form.retry_minutes.data, form.silent_days.data = str(settings.retry_minutes), str(settings.silent_days)
    return form


def _check_ins_page(form: CheckInPlanForm, status: int = 200):
    page = lists.paginate(db.session, checkins.calls_query(), page_arg())
    return render_template(
        "admin/check_ins.html", form=form, page=page, page_args=page_args,
        who=db.session.scalar(db.select(db.func.count()).select_from(checkins.eligible(db.session).subquery())),
    ), status


@bp.get("/check-ins")
@requires(UserRole.VIEWER)
def check_ins():
    """Show the daily check-in plan and every check-in call: who, when, how it ended."""
    return _check_ins_page(_plan_form())


@bp.post("/check-ins")
@requires(UserRole.COORDINATOR)
def check_ins_plan():
    """Set when the daily check-in calls go out."""
    form = _plan_form()
    values = form.read()
    if values is None:
        return _check_ins_page(form, 400)
    settings = checkins.plan(db.session)
    for name, value in values.items():
        setattr(settings, name, value)
    db.session.commit()
    flash(_("The check-in plan is saved."), "success")
    return redirect(url_for("admin.check_ins"))


def _chosen():
    """The residents of the filtered list a one-tap action was sent with (the whole list, not one page)."""
    f, _error = resident_filter(request.form if request.method == "POST" else request.args)
    return f, list(db.session.scalars(lists.resident_query(f, search_phones=shows_phones())))


@bp.post("/residents/check-in-round")
@requires(UserRole.COORDINATOR)
def check_in_round():
    """Call every resident of the filtered list for a check-in, now or at the chosen time."""
    f, residents = _chosen()
    form = RoundForm()
    if not form.validate_on_submit():
        flash(_("Write the time as the field shows it, or leave it empty for now."), "error")
        return redirect(url_for("admin.residents", **filter_args(f)))
    when = form.when.data.replace(tzinfo=policy().timezone).astimezone(UTC) if form.when.data else None
    if when is not None and when > clock.now() + ROUND_AHEAD:
        flash(_("A round can be set at most a week ahead."), "error")
        return redirect(url_for("admin.residents", **filter_args(f)))
    done = checkins.start_round(db.session, policy(), residents, when)
    db.session.commit()
    message = ngettext("%(num)s check-in call queued.", "%(num)s check-in calls queued.", done.placed)
    if done.already:
        message += " " + ngettext("%(num)s resident already had one that day.",
                                  "%(num)s residents already had one that day.", done.already)
    if done.no_home:
        message += " " + ngettext("%(num)s resident has no flat on record and was left out.",
                                  "%(num)s residents have no flat on record and were left out.", done.no_home)
    flash(message, "success")
    return redirect(url_for("admin.check_ins"))


@bp.route("/residents/broadcast", methods=["GET", "POST"])
@requires(UserRole.COORDINATOR)
def residents_broadcast():
    """Write an announcement to the residents of the filtered list, preview it, and send it."""
    f, residents = _chosen()
    form = ListBroadcastForm()
    if not form.broadcast_id.data or not bc.is_id(form.broadcast_id.data):
        form.broadcast_id.data = bc.new_id()
    written = {"zh": (form.text_zh.data or "").strip(), "en": (form.text_en.data or "").strip()}
    announcement, people = bc.to_residents(
        residents, bc.Announcement(written, frozenset(), bool(form.by_sms.data), bool(form.by_call.data)))
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "send" and people:
            sent = bc.send(db.session, announcement, form.broadcast_id.data, sent_by=current_user.id, people=people)
            db.session.commit()
            flash(_("The announcement is queued."), "success")
            return redirect(url_for("admin.broadcast_progress", broadcast_id=sent.key))
        preview = bc.plan(db.session, announcement, people)
    return render_template(
        "admin/residents_broadcast.html", form=form, f=f, filter_args=filter_args(f), people=people,
        preview=preview, segments=texts.segments, announcement=announcement,
    ), 400 if form.errors else 200
