"""What every request must be before a view reads it: not too large, and no NUL in what it carries.

A body over the limit is refused (413) from its Content-Length, before a byte of it is read: an
unsigned 200 MB POST costs nothing. A NUL is nothing a person types, and PostgreSQL can neither
store nor compare a text holding one: a query or form carrying it is refused (400) here, once,
rather than failing in whichever view reads it. Twilio's own fields are read through
`webhooks.field`, which drops a NUL instead, so an SMS is never lost over one.
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _

MAX_BODY = 8 * 1024 * 1024  # the largest thing anyone sends: a roster CSV (5 MB at most, admin/views/people.py)
MAX_WEBHOOK_BODY = 64 * 1024  # a Twilio webhook: 1,600 characters of SMS, percent-encoded, and Twilio's fields
SMALL_BODIES = ("/twilio/", "/simulator/api/")  # Twilio's webhooks, and the simulator's JSON that posts them
TWILIO_FORMS = "/twilio/"


def init_app(app: Flask) -> None:
    """Cap every request's body, and check each request before anything else reads it."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.before_request(check_request)


def check_request() -> None:
    """Refuse a body over its limit (413) and a NUL in the query or a form (400)."""
    if request.path.startswith(SMALL_BODIES):
        request.max_content_length = MAX_WEBHOOK_BODY  # also bounds a body sent without a Content-Length
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        abort(413)
    if _has_nul(request.args) or (not request.path.startswith(TWILIO_FORMS) and _has_nul(request.form)):
        abort(400, _("The address or the form holds a character nobody types (NUL). Remove it and try again."))


def _has_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))
