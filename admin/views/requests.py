"""`/admin/requests`: the list with filters and search, one request with its timeline and actions, and a
form for a request made at the gate or on the phone."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.validators import ValidationError

from admin import bp
from admin.auth import actor, json_view, passive, requires, shows_phones
from admin.forms import (
    DetailsForm,
    NewRequestForm,
    NoteForm,
    ReassignForm,
    StatusForm,
    UrgentForm,
    check_phone,
    options,
)
from admin.i18n import STATUS, phone, private
from admin.web import MAX_INT, buildings, int_arg, page_arg, page_args, policy
from hotline import clock
from hotline.api import request_json
from hotline.channels.voice import voice_message_token
from hotline.domain import dashboard, lists, steering
from hotline.domain.requests import NotAllowed
from hotline.extensions import db
from hotline.models import Category, Outbox, Request, Status, UserRole, Volunteer

NUMBER = f"<int(min=1, max={MAX_INT}):number>"


def _filter() -> lists.RequestFilter:
    return lists.RequestFilter(
        status=request.args.get("status", "open"),
        category=request.args.get("category", ""),
        building=int_arg("building"),
        urgent=request.args.get("urgent") == "1",
        channel=request.args.get("channel", ""),
        q=request.args.get("q", ""),
        volunteer=int_arg("volunteer"),
    )


def _page(f: lists.RequestFilter) -> lists.Page:
    query = lists.request_query(f, policy(), clock.now(), search_phones=shows_phones())
    return lists.paginate(db.session, query, page_arg())


@bp.get("/requests")
@requires(UserRole.VIEWER)
def requests_list():
    """List requests, newest first, filtered and searched."""
    f = _filter()
    page = _page(f)
    return render_template("admin/requests.html", f=f, page=page, page_args=page_args,
                           buildings=buildings(), stamp=dashboard.live_stamp(db.session))


@bp.get("/requests.json")
@requires(UserRole.VIEWER)
@passive
@json_view
def requests_json():
    """Answer the list's current page as JSON (numbers masked for viewers)."""
    f = _filter()
    page = _page(f)
    rows = []
    for r in page.items:
        data = request_json(r)
        data["requester_phone"] = phone(data["requester_phone"]) if data["requester_phone"] else None
        data["details"] = private(data["details"])  # as the page shows them: numbers written in them masked too
        if data["volunteer"]:
            data["volunteer"]["phone"] = phone(data["volunteer"]["phone"])
        rows.append(data)
    return {"stamp": dashboard.live_stamp(db.session), "total": page.total, "page": page.number,
            "pages": page.pages, "requests": rows}


def _load(number: int) -> Request:
    r = db.session.get(Request, number)
    if r is None or r.purged_at is not None:
        abort(404)
    return r


def _reassign_form(r: Request) -> ReassignForm:
    reassign = ReassignForm(prefix="reassign")
    coordinator, off_duty = _("Coordinator"), _("off duty")

    def label(v: Volunteer) -> str:
        where = ", ".join(str(b.building) for b in v.buildings) or coordinator
        return f"{v.name} · {where}" + ("" if v.on_duty else f" · {off_duty}")

    reassign.volunteer.choices = options([("", _("Next volunteer, as routing picks"))] + [
        (str(v.id), label(v)) for v in steering.candidates(db.session, r) if v.id != r.volunteer_id
    ])
    return reassign


def _status_form(r: Request) -> StatusForm:
    status = StatusForm(prefix="status")
    status.status.choices = options([("", _("Choose…"))] + [(s.value, STATUS[s]) for s in steering.status_choices(r)])
    return status


def _forms(r: Request, given: dict) -> dict:
    """The request page's forms: those `given` (with what was typed in them), the others new."""
    details = given.get("details_form")
    if details is None:
        details = DetailsForm(prefix="details")
        if not details.details.data:
            details.details.data = r.details
    return {"reassign_form": given.get("reassign_form") or _reassign_form(r),
            "status_form": given.get("status_form") or _status_form(r),
            "note_form": given.get("note_form") or NoteForm(prefix="note"),
            "urgent_form": given.get("urgent_form") or UrgentForm(prefix="urgent"), "details_form": details}


def voice_message_url(r: Request) -> str | None:
    """Return the hotline's own (signed, expiring) link to the request's voice message, on this site; never a
    Twilio link."""
    return url_for("voice.voice_message", token=voice_message_token(r.number)) if r.recording_sid else None


def _show(r: Request, status: int = 200, **forms):
    shown = _forms(r, forms)
    messages = list(db.session.scalars(select(Outbox).where(Outbox.request_id == r.id).order_by(Outbox.id)))
    desk = {"mate": steering.building_volunteer(steering.everyone(db.session), r),
            "flat": steering.household_requests(db.session, r),
            "repeats": {d.id for d in steering.duplicates_of(db.session, r)}}
    return render_template("admin/request.html", r=r, timeline=steering.timeline(db.session, r), messages=messages,
                           voice_url=voice_message_url(r), **desk, **shown), status


@bp.get(f"/requests/{NUMBER}")
@requires(UserRole.VIEWER)
def request_detail(number: int):
    """Show one request: what, who, its whole timeline, the messages it caused, and the actions."""
    return _show(_load(number))


def _done(r: Request, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.request_detail", number=r.number))


def _refused(r: Request):
    db.session.rollback()
    flash(_("This change is not possible in the request's current state."), "error")
    return redirect(url_for("admin.request_detail", number=r.number))


@bp.post(f"/requests/{NUMBER}/reassign")
@requires(UserRole.COORDINATOR)
def request_reassign(number: int):
    """Give the request to another volunteer; both are told by SMS."""
    r = _load(number)
    form = _reassign_form(r)
    if not form.validate_on_submit():
        return _show(r, 400, reassign_form=form)
    volunteer = db.session.get(Volunteer, int(form.volunteer.data)) if form.volunteer.data else None
    try:
        now_with = steering.reassign(db.session, policy(), r, volunteer, actor(), form.reason.data or "")
    except NotAllowed:
        return _refused(r)
    if now_with is None:
        return _done(r, _("Nobody else is on duty for this building; the coordinators were alerted."))
    return _done(r, _("#%(number)s is now with %(name)s, who was sent an SMS.", number=r.number, name=now_with.name))


@bp.post(f"/requests/{NUMBER}/status")
@requires(UserRole.COORDINATOR)
def request_status(number: int):
    """Move the request to another status, with a reason; whoever it concerns is told."""
    r = _load(number)
    form = _status_form(r)
    if not form.validate_on_submit():
        return _show(r, 400, status_form=form)
    try:
        steering.change_status(db.session, policy(), r, Status(form.status.data), actor(), form.reason.data.strip())
    except NotAllowed:
        return _refused(r)
    return _done(r, _("#%(number)s is now: %(status)s.", number=r.number, status=STATUS[r.status]))


@bp.post(f"/requests/{NUMBER}/note")
@requires(UserRole.COORDINATOR)
def request_note(number: int):
    """Add a note to the timeline."""
    r = _load(number)
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return _show(r, 400, note_form=form)
    steering.add_note(r, actor(), form.note.data)
    return _done(r, _("Note added."))


@bp.post(f"/requests/{NUMBER}/urgent")
@requires(UserRole.COORDINATOR)
def request_urgent(number: int):
    """Mark the request urgent (its volunteer is alerted again) or not urgent."""
    r = _load(number)
    form = UrgentForm(prefix="urgent")
    if not form.validate_on_submit() or form.urgent.data not in ("1", "0"):
        return _show(r, 400)
    steering.mark_urgent(db.session, policy(), r, form.urgent.data == "1", actor())
    return _done(r, _("Marked urgent.") if r.urgent else _("Marked not urgent."))


@bp.post(f"/requests/{NUMBER}/details")
@requires(UserRole.COORDINATOR)
def request_details(number: int):
    """Write down what the request asks for (e.g. what the voice message says), so the manifest counts it."""
    r = _load(number)
    form = DetailsForm(prefix="details")
    if not form.validate_on_submit():
        return _show(r, 400, details_form=form)
    steering.set_details(r, actor(), form.details.data or "")
    return _done(r, _("Details saved."))


@bp.route("/requests/new", methods=["GET", "POST"])
@requires(UserRole.COORDINATOR)
def request_new():
    """Enter a request for someone who came to the gate or phoned a coordinator."""
    form = NewRequestForm()
    form.building.choices = options([("", _("Choose the building"))] + [(b, str(b)) for b in buildings()])
    if form.validate_on_submit():
        try:
            number = check_phone(form.phone, policy().region)
        except ValidationError as e:
            form.phone.errors = [str(e)]
        else:
            new = steering.NewRequest(
                building=form.building.data, room=form.room.data.strip(), category=Category(form.category.data),
                details=form.details.data or "", urgent=form.urgent.data, phone=number,
                name=(form.name.data or "").strip() or None, language=form.language.data,
                drug=(form.drug.data or "").strip() or None, runs_out=(form.runs_out.data or "").strip() or None,
            )
            r = steering.create_request(db.session, policy(), new, actor())
            db.session.commit()
            flash(_("Request #%(number)s was made and sent on.", number=r.number), "success")
            return redirect(url_for("admin.request_detail", number=r.number))
    return render_template("admin/request_new.html", form=form), 400 if form.errors else 200
