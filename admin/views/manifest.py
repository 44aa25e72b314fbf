"""`/admin/manifest`: per building, what was asked for, added up for group buying; printable, and as CSV."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _

from admin import bp
from admin.auth import actor, requires, safe_next, shows_phones
from admin.forms import PaidForm
from admin.i18n import column_headers, current_lang
from admin.web import MAX_INT, buildings, csv_response, int_arg, local_date
from hotline import clock
from hotline.domain import manifest as items
from hotline.domain import spoken, steering
from hotline.domain.spreadsheet import to_csv
from hotline.extensions import db
from hotline.models import OPEN_STATUSES, Request, Status, UserRole

SCOPES = {"open": OPEN_STATUSES, "all": (*OPEN_STATUSES, Status.DELIVERED)}


def _build():
    scope = request.args.get("scope", "open")
    building = int_arg("building")
    manifests = items.build(db.session, SCOPES.get(scope, OPEN_STATUSES), {building} if building else None)
    return scope if scope in SCOPES else "open", building, manifests


@bp.get("/manifest")
@requires(UserRole.VIEWER)
def manifest():
    """Show the manifest per building, with the grand total on top."""
    scope, building, manifests = _build()
    return render_template("admin/manifest.html", manifests=manifests, total=items.grand_total(manifests),
                           offer_total=items.offer_totals(manifests), name_of=name_of, paid_form=PaidForm(),
                           scope=scope, building=building, buildings=buildings(), now=clock.now())


def name_of(r: Request) -> str:
    """Name who asked as the user's role may see it: in full for coordinators, the first name (as the
    volunteer's SMS has it) for viewers."""
    if shows_phones():
        return r.requester_name or (r.resident.name if r.resident else "")
    return spoken.person(r.resident.name if r.resident else r.requester_name or "", current_lang())


@bp.post(f"/manifest/paid/<int(min=1, max={MAX_INT}):number>")
@requires(UserRole.COORDINATOR)
def manifest_paid(number: int):
    """Tick a request paid on the manifest (or take the tick back); the timeline says who did."""
    r = db.session.get(Request, number)
    if r is None or r.purged_at is not None:
        abort(404)
    form = PaidForm()
    back = safe_next(request.form.get("back"), "admin.manifest")
    if not form.validate_on_submit() or form.paid.data not in ("1", "0"):
        flash(_("The page could not take what was sent. Please go back, reload the page and try again."), "error")
        return redirect(back)
    steering.mark_paid(r, form.paid.data == "1", actor())
    db.session.commit()
    flash(_("#%(number)s marked paid.", number=r.number) if r.paid else
          _("#%(number)s marked not paid.", number=r.number), "success")
    return redirect(back)


@bp.get("/manifest.csv")
@requires(UserRole.VIEWER)
def manifest_csv():
    """Download the manifest: one row per building and item, in the page's language."""
    _scope, _building, manifests = _build()
    lang = current_lang()
    rows = []
    for m in manifests:
        for item, quantity in m.items():
            numbers = m.asking_for(item.key)
            rows.append((m.building, item.label(lang), quantity, " ".join(f"#{n}" for n in numbers)))
        for drug, count in m.other_drugs.items():
            rows.append((m.building, drug, count, ""))
        for offered, quantity in m.offers.items():
            rows.append((m.building, offered, quantity, " ".join(f"#{n}" for n in m.joined(offered))))
    headers = column_headers()
    text = to_csv(tuple(headers[c] for c in ("building", "item", "quantity", "requests")), rows)
    return csv_response(text, f"manifest-{local_date()}.csv")
