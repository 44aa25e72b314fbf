"""`/admin/manifest`: per building, what was asked for, added up for group buying; printable, and as CSV."""

from __future__ import annotations

from flask import render_template, request

from admin import bp
from admin.auth import requires
from admin.i18n import column_headers, current_lang
from admin.web import buildings, csv_response, int_arg, local_date
from hotline import clock
from hotline.domain import manifest as items
from hotline.domain.spreadsheet import to_csv
from hotline.extensions import db
from hotline.models import OPEN_STATUSES, Status, UserRole

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
                           offer_total=items.offer_totals(manifests),
                           scope=scope, building=building, buildings=buildings(), now=clock.now())


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
