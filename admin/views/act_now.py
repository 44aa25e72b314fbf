"""`/admin/act-now`: what needs a coordinator now, and the one-tap actions on it (deliver, reassign,
escalate, cancel, called with no answer, merge a repeat, a question answered, a call made by hand),
each confirmed in the browser and written on the timeline as done on the web."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _

from admin import bp
from admin.auth import actor, requires, safe_next
from admin.forms import ANSWER_MAX, ActionForm, AnswerForm
from admin.web import MAX_INT, policy
from hotline import clock
from hotline.domain import act_now as desk
from hotline.domain import by_hand, dashboard, questions, steering
from hotline.domain.parsing import whole_number
from hotline.domain.requests import NotAllowed
from hotline.extensions import db
from hotline.models import Question, Request, UserRole, Volunteer

NUMBER = f"<int(min=1, max={MAX_INT}):number>"
QID = f"<int(min=1, max={MAX_INT}):qid>"
ROW = f"<int(min=1, max={MAX_INT}):row>"
BY_HAND_SHOWN = 50  # calls for a person to make, listed at once


def desk_state(shown: int | None = None) -> dict:
    """What the act-now list shows: its `shown` most urgent items (desk.SHOWN unless told), and for each
    request whom a one-tap reassign gives it to."""
    listed = desk.act_now(db.session, policy(), clock.now(), shown or desk.SHOWN)
    volunteers = steering.everyone(db.session)
    mates = {item.request.id: steering.building_volunteer(volunteers, item.request)
             for group in listed.groups for item in group if item.request is not None}
    return {"act": listed, "mates": mates, "by_hand": by_hand.waiting(db.session, BY_HAND_SHOWN),
            "by_hand_total": by_hand.count(db.session)}


@bp.get("/act-now")
@requires(UserRole.VIEWER)
def act_now():
    """Show everything that needs a coordinator now, most urgent first."""
    return render_template("admin/act_now.html", stamp=dashboard.live_stamp(db.session), **desk_state())


def _request(number: int) -> Request:
    found = db.session.get(Request, number)
    if found is None or found.purged_at is not None:
        abort(404)
    return found


def _row(model, field: str):
    """Load the row a form field names by its id; None for anything else."""
    number = whole_number(request.form.get(field, "").strip())
    return db.session.get(model, number) if number is not None else None


def _back():
    return redirect(safe_next(request.form.get("back"), "admin.act_now"))


def _refused():
    db.session.rollback()
    flash(_("This change is not possible in the request's current state."), "error")
    return _back()


def _one_tap(r: Request, action: str) -> str:
    """Do one action on the request; return what the coordinator reads afterwards."""
    who = actor()
    if action == "deliver":
        steering.deliver(db.session, policy(), r, who)
        return _("#%(number)s is delivered.", number=r.number)
    if action == "reassign":
        volunteer = _row(Volunteer, "to")
        if volunteer is None:
            raise NotAllowed("volunteer.not_yours")
        now_with = steering.reassign(db.session, policy(), r, volunteer, who)
        return _("#%(number)s is now with %(name)s, who was sent an SMS.", number=r.number, name=now_with.name)
    if action == "escalate":
        steering.escalate(db.session, policy(), r, who)
        return _("#%(number)s is urgent now, and the coordinators were alerted.", number=r.number)
    if action == "cancel":
        steering.cancel(db.session, r, who)
        return _("#%(number)s is cancelled.", number=r.number)
    if action == "no_answer":
        steering.called_no_answer(r, who)
        return _("Written on #%(number)s: called, no answer.", number=r.number)
    abort(400)


@bp.post(f"/requests/{NUMBER}/act")
@requires(UserRole.COORDINATOR)
def request_act(number: int):
    """One tap on a request: deliver, reassign, escalate, cancel, or called with no answer."""
    r = _request(number)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        message = _one_tap(r, request.form.get("action", ""))
    except NotAllowed:
        return _refused()
    db.session.commit()
    flash(message, "success")
    return _back()


@bp.post(f"/requests/{NUMBER}/merge")
@requires(UserRole.COORDINATOR)
def request_merge(number: int):
    """Fold this request into the earlier one of its flat that it repeats."""
    r = _request(number)
    into = _row(Request, "into")
    if not ActionForm().validate_on_submit() or into is None:
        abort(400)
    try:
        steering.merge(db.session, r, into, actor())
    except NotAllowed:
        return _refused()
    db.session.commit()
    flash(_("#%(number)s is merged into #%(into)s.", number=r.number, into=into.number), "success")
    return _back()


@bp.post(f"/calls/{ROW}/phoned")
@requires(UserRole.COORDINATOR)
def call_phoned(row: int):
    """A person made a call the hotline could not place: write it down (its request's timeline says so)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    made = by_hand.phoned(db.session, row, actor(), clock.now())
    if made is None:
        db.session.rollback()
        flash(_("Someone had already written down this call."), "info")
        return _back()
    db.session.commit()
    flash(_("Written down: you phoned them."), "success")
    return _back()


@bp.post(f"/questions/{QID}/answered")
@requires(UserRole.COORDINATOR)
def question_answered(qid: int):
    """Answer a resident's question by SMS, or mark it answered (a coordinator called or went round)."""
    question = db.session.get(Question, qid)
    if question is None:
        abort(404)
    form = AnswerForm()
    if not form.validate_on_submit():
        if form.reply.errors:
            flash(_("An answer may be at most %(count)s characters.", count=ANSWER_MAX), "error")
            return _back()
        abort(400)
    reply = form.reply.data or ""
    if questions.answer(db.session, question, actor(), reply):
        db.session.commit()
        sent = reply.strip() and question.phone
        flash(_("The answer is on its way by SMS.") if sent else _("The question is marked answered."), "success")
    else:
        flash(_("Another coordinator had already answered it."), "info")
    return _back()
