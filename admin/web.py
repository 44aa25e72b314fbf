"""What every admin view shares: the policy, query arguments, pages of results, CSV answers."""

from __future__ import annotations

from flask import Response, current_app, request

from hotline import clock
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy

MAX_INT = 2_147_483_647  # the largest id PostgreSQL's integer holds


def policy() -> Policy:
    """Return the installation's policy."""
    return Policy.from_config(current_app.config)


def int_arg(name: str) -> int | None:
    """Read a whole-number query argument; anything else reads as absent."""
    value = request.args.get(name, "").strip()
    return whole_number(value)


def page_arg() -> int:
    """Read `?page=`, 1 when absent or wrong."""
    return int_arg("page") or 1


def buildings() -> list[int]:
    """Return the compound's buildings in order."""
    return sorted(current_app.config["HOTLINE_BUILDINGS"])


def local_date() -> str:
    """Today where the compound is, for file names (`20220412`): not the server's day, nor UTC's."""
    return clock.now().astimezone(policy().timezone).strftime("%Y%m%d")


def csv_response(text: str, filename: str) -> Response:
    """Answer a CSV download, UTF-8 with a BOM so spreadsheet programs read Chinese right."""
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def page_args(**changes) -> dict:
    """Return this page's query arguments with some changed (for pagination links)."""
    args = {k: [v for v in values if v] for k, values in request.args.lists()}  # a list for `?flag=a&flag=b`
    args.update(changes)
    return args
