"""`/admin/volunteers` and `/admin/residents`: list, search, edit, on duty and load; CSV import and export."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from admin import bp
from admin.auth import actor, requires, safe_next, shows_phones
from admin.forms import ActionForm, ImportForm, ResidentForm, RoundForm, VolunteerForm, options
from admin.i18n import FLAG, column_headers, headers_read
from admin.web import MAX_INT, buildings, csv_response, local_date, page_arg, page_args, policy
from hotline.domain import lists, phones, requests, roster, steering
from hotline.domain.parsing import whole_number
from hotline.domain.requests import household
from hotline.extensions import db
from hotline.models import Resident, Role, UserRole, Volunteer, VolunteerBuilding

MAX_UPLOAD = 5 * 1024 * 1024  # a compound's roster is far smaller
IMPORTED = "imported"  # the session's note of the last import, shown once after the redirect
MAX_SILENT_DAYS = 365
ERRORS_SHOWN = 30  # bad rows listed after an import (the session is a cookie); the rest are counted


def _import(importer, page: str):
    """Import the posted file, keep what it did for the page, and go back to it (a refresh posts nothing)."""
    form = ImportForm()
    if not form.validate_on_submit():
        return None, form
    data = form.file.data.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        form.file.errors = [_("The file is larger than 5 MB.")]
        return None, form
    report = importer(db.session, policy(), data, headers_read())
    db.session.commit()
    session[IMPORTED] = {
        "page": page, "added": report.added, "updated": report.updated, "rejected": len(report.errors),
        "errors": [(line, reason.code, {k: str(v)[:60] for k, v in reason.params.items()})
                   for line, reason in report.errors[:ERRORS_SHOWN]],
    }
    return redirect(url_for(page)), form


def _imported(page: str) -> dict | None:
    """What the last import on this page did, shown once."""
    done = session.get(IMPORTED)
    if not done or done.get("page") != page:
        return None
    session.pop(IMPORTED)
    return done


# --- volunteers ------------------------------------------------------------------------------


def _volunteers_page(import_form=None, status=200):
    q = request.args.get("q", "")
    page = lists.paginate(db.session, lists.volunteer_query(q, search_phones=shows_phones()), page_arg())
    return render_template(
        "admin/volunteers.html", q=q, page=page, page_args=page_args,
        loads=requests.open_loads(db.session, [v.id for v in page.items]),
        report=_imported("admin.volunteers"), import_form=import_form or ImportForm(), duty_form=ActionForm(),
    ), status


@bp.get("/volunteers")
@requires(UserRole.VIEWER)
def volunteers():
    """List volunteers and coordinators with their buildings, duty and load."""
    return _volunteers_page()


@bp.post("/volunteers/import")
@requires(UserRole.COORDINATOR)
def volunteers_import():
    """Import volunteers from CSV; bad rows are reported by line, good ones imported."""
    done, form = _import(roster.import_volunteers, "admin.volunteers")
    return done or _volunteers_page(form, 400)


@bp.get("/volunteers.csv")
@requires(UserRole.COORDINATOR)
def volunteers_export():
    """Download the volunteers as CSV, in the import's columns."""
    return csv_response(lists.volunteers_csv(db.session, column_headers()), f"volunteers-{local_date()}.csv")


def _volunteer(vid: int) -> Volunteer:
    volunteer = db.session.get(Volunteer, vid)
    if volunteer is None:
        abort(404)
    return volunteer


VID = f"<int(min=1, max={MAX_INT}):vid>"


@bp.post(f"/volunteers/{VID}/duty")
@requires(UserRole.COORDINATOR)
def volunteer_duty(vid: int):
    """Put a volunteer on or off duty; going off hands their open requests on. They are told by SMS."""
    volunteer = _volunteer(vid)
    if not ActionForm().validate_on_submit():
        abort(400)
    on = request.form.get("on_duty") == "1"
    moved = steering.set_on_duty(db.session, policy(), volunteer, on, actor())
    db.session.commit()
    if on:
        flash(_("%(name)s is on duty.", name=volunteer.name), "success")
    else:
        flash(_("%(name)s is off duty; %(count)s open request(s) handed on.", name=volunteer.name,
                count=len(moved)), "success")
    return redirect(safe_next(request.form.get("back"), "admin.volunteers"))


@bp.route(f"/volunteers/{VID}", methods=["GET", "POST"])
@requires(UserRole.COORDINATOR)
def volunteer_edit(vid: int):
    """Edit a volunteer's name, number, buildings, languages and role."""
    volunteer = _volunteer(vid)
    form = VolunteerForm(obj=None if request.method == "POST" else volunteer)
    if request.method == "GET":
        form.buildings.data = ";".join(str(b.building) for b in volunteer.buildings)
        form.languages.data = volunteer.languages.split(";")
        form.role.data = volunteer.role.value
    if form.validate_on_submit():
        compound = policy()
        number = phones.valid(form.phone.data, compound.region)
        try:
            chosen = roster.parse_buildings((form.buildings.data or "").replace("，", ";"), compound)
        except roster.BadRow:
            chosen = None
        taken = db.session.scalar(select(Volunteer.id).where(Volunteer.phone == number, Volunteer.id != vid))
        if number is None:
            form.phone.errors = [_("This is not a phone number.")]
        elif taken:
            form.phone.errors = [_("Another volunteer has this number.")]
        elif chosen is None:
            form.buildings.errors = [_("Write building numbers of the compound, separated by ;")]
        elif form.role.data == "volunteer" and not chosen:
            form.buildings.errors = [_("A volunteer needs at least one building.")]
        else:
            roster.ensure_buildings(db.session, chosen)
            volunteer.name, volunteer.phone, volunteer.role = form.name.data.strip(), number, Role(form.role.data)
            volunteer.languages = ";".join(form.languages.data or ["zh"])
            volunteer.buildings = [VolunteerBuilding(building=b) for b in chosen]
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.volunteers", q=volunteer.name))
    return render_template("admin/volunteer_edit.html", form=form, volunteer=volunteer,
                           load=requests.open_loads(db.session, [vid]).get(vid, 0),
                           duty_form=ActionForm()), 400 if form.errors else 200


# --- residents -------------------------------------------------------------------------------


def resident_filter(source) -> tuple[lists.ResidentFilter, str | None]:
    """Read the residents list's filter from the query, or from a form that carries it on (the one-tap
    actions); anything that is not a flag, a building or a number of days does not narrow. Return it and,
    if the days are not a number from 1 to 365, what to tell the coordinator. Health flags only for roles
    that see them."""
    flags = tuple(f for f in lists.FLAGS if f in source.getlist("flag") and (f != "chronic" or shows_phones()))
    building = whole_number(source.get("building", "").strip(), 4)
    days = source.get("silent", "").strip()
    silent = whole_number(days, 3)
    error = None
    if days and (silent is None or not 1 <= silent <= MAX_SILENT_DAYS):
        silent, error = None, _("Write a number of days from 1 to %(most)s.", most=MAX_SILENT_DAYS)
    return lists.ResidentFilter(q=source.get("q", "")[:100], flags=flags,
                                building=building if building in buildings() else None, silent_days=silent), error


def filter_args(f: lists.ResidentFilter) -> dict:
    """The query arguments that show the list `f` narrows to."""
    args = {"q": f.q, "flag": list(f.flags), "building": f.building, "silent": f.silent_days}
    return {k: v for k, v in args.items() if v not in ("", [], None)}


def _residents_page(import_form=None, status=200):
    f, error = resident_filter(request.args)
    page = lists.paginate(db.session, lists.resident_query(f, search_phones=shows_phones()), page_arg())
    return render_template(
        "admin/residents.html", f=f, filter_error=error, filter_args=filter_args(f), page=page, page_args=page_args,
        report=_imported("admin.residents"), import_form=import_form or ImportForm(), round_form=RoundForm(),
        flags_of=lambda r: lists.resident_flags(r, shows_phones()), buildings=buildings(),
        flag_choices=[x for x in lists.FLAGS if x != "chronic" or shows_phones()], MAX_SILENT_DAYS=MAX_SILENT_DAYS,
    ), 400 if error else status


@bp.get("/residents")
@requires(UserRole.VIEWER)
def residents():
    """List residents with their household, language and flags (health flags for coordinators only)."""
    return _residents_page()


@bp.post("/residents/import")
@requires(UserRole.COORDINATOR)
def residents_import():
    """Import residents from CSV; bad rows are reported by line, good ones imported."""
    done, form = _import(roster.import_residents, "admin.residents")
    return done or _residents_page(form, 400)


@bp.get("/residents.csv")
@requires(UserRole.COORDINATOR)
def residents_export():
    """Download the residents as CSV, in the import's columns."""
    return csv_response(lists.residents_csv(db.session, column_headers()), f"residents-{local_date()}.csv")


RID = f"<int(min=1, max={MAX_INT}):rid>"


@bp.route(f"/residents/{RID}", methods=["GET", "POST"])
@requires(UserRole.COORDINATOR)
def resident_edit(rid: int):
    """Edit a resident's name, number, household, language and flags."""
    resident = db.session.get(Resident, rid)
    if resident is None:
        abort(404)
    form = ResidentForm(obj=None if request.method == "POST" else resident)
    form.building.choices = options((b, str(b)) for b in buildings())
    form.flags.choices = options((f, FLAG[f]) for f in lists.FLAGS)
    if request.method == "GET":
        form.flags.data = lists.resident_flags(resident, include_health=True)
        form.check_in.data = {None: "", True: "yes", False: "no"}[resident.check_in]
        if resident.household:
            form.building.data, form.room.data = resident.household.building, resident.household.room
    if form.validate_on_submit():
        number = phones.valid(form.phone.data, policy().region)
        taken = db.session.scalar(select(Resident.id).where(Resident.phone == number, Resident.id != rid))
        if number is None:
            form.phone.errors = [_("This is not a phone number.")]
        elif taken:
            form.phone.errors = [_("Another resident has this number.")]
        else:
            resident.name, resident.phone, resident.language = form.name.data.strip(), number, form.language.data
            resident.household = household(db.session, form.building.data, form.room.data.strip())
            for flag in lists.FLAGS:
                setattr(resident, flag, flag in (form.flags.data or []))
            resident.prefers_voice = form.prefers_voice.data
            resident.check_in = {"yes": True, "no": False}.get(form.check_in.data or "")
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.residents", q=resident.name))
    return render_template("admin/resident_edit.html", form=form, resident=resident), 400 if form.errors else 200
