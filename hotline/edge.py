"""What every request must be before a view reads it: addressed to this hotline by one of its own
names, not too large, and no NUL in what it carries.

A `Host` that is not one of the hotline's names is refused (400) for the whole app: a page whose own
name an attacker rebound to 127.0.0.1 (DNS rebinding) sends that name, and must reach neither the
admin pages nor the simulator nor the webhooks. The names are this machine's (`localhost`,
`127.0.0.1`, `[::1]`, any port) and, with Twilio credentials or the phone gateway, the host of `PUBLIC_BASE_URL`;
`/healthz` answers any name (it tells whether the database answers, nothing else), so a health
check by a container's or a balancer's address keeps working. This is Flask's `TRUSTED_HOSTS` done
here because Werkzeug 3.1 cannot match an IPv6 literal such as `[::1]` against its list.

A body over the limit is refused (413) from its Content-Length, before a byte of it is read: an
unsigned 200 MB POST costs nothing. A body sent in chunks, without a Content-Length, is read here up to
one byte past the limit and refused (413) when it goes past: Werkzeug alone would stop reading at the
limit and parse what it had as if it were the whole, an SMS cut short or a roster missing its end.

A NUL is nothing a person types, and PostgreSQL can neither store nor compare a text holding one: a
query or form carrying it is refused (400) here, once, rather than failing in whichever view reads it.
Twilio's own fields are read through `webhooks.field`, which drops a NUL instead, so an SMS is never
lost over one.
"""

from __future__ import annotations

import io
import logging
import re
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request
from flask_babel import gettext as _

log = logging.getLogger(__name__)

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})  # this machine, by any port
ANY_HOST = ("/healthz",)  # answers whatever name it is asked by
HOST = re.compile(r"(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::[0-9]{1,5})?")  # a name or [IPv6], and a port
MAX_BODY = 8 * 1024 * 1024  # the largest thing anyone sends: a roster CSV (5 MB at most, admin/views/people.py)
MAX_WEBHOOK_BODY = 64 * 1024  # a Twilio webhook: 1,600 characters of SMS, percent-encoded, and Twilio's fields
TWILIO_FORMS = "/twilio/"  # Twilio's webhooks: their fields are read through `webhooks.field`
GATEWAY_EVENTS = "/gateway/"  # the phone gateway's signed JSON events
SMALL_BODIES = (TWILIO_FORMS, GATEWAY_EVENTS, "/simulator/api/")  # webhooks, and the simulator's JSON that posts them


def init_app(app: Flask) -> None:
    """Name the hosts the hotline answers, cap every request's body, and check each request before
    anything else reads it."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config.setdefault("HOTLINE_HOSTS", hotline_hosts(app.config))
    app.before_request(check_request)


def hotline_hosts(config) -> frozenset[str]:
    """The names the hotline answers by: this machine's, and with Twilio credentials the host of
    `PUBLIC_BASE_URL` (where Twilio and the coordinators reach it), as with the phone gateway's."""
    names = set(LOOPBACK_NAMES)
    signed = (config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")) or config.get("SMS_GATEWAY_URL")
    if signed and config.get("PUBLIC_BASE_URL"):
        public = urlsplit(config["PUBLIC_BASE_URL"]).hostname
        if public:
            names.add(public.lower())
    return frozenset(names)


def host_name(host: str) -> str:
    """The name in a `Host` value, without its port or an IPv6 literal's brackets: `[::1]:5000` -> `::1`;
    "" when it is no host at all."""
    m = HOST.fullmatch(host.lower())
    return (m.group(1) or m.group(2)) if m else ""


def check_request() -> Response | None:
    """Refuse another name in `Host` (400), a body over its limit (413) and a NUL in the query or a
    form (400)."""
    if request.path not in ANY_HOST and host_name(request.host) not in current_app.config["HOTLINE_HOSTS"]:
        log.warning("refused a request to %s addressed to %r, not to one of the hotline's names",
                    request.path, request.host[:80])
        return Response("400 Bad Request: this is not a name of this hotline.\n", 400, mimetype="text/plain")
    if request.path.startswith(SMALL_BODIES):
        request.max_content_length = MAX_WEBHOOK_BODY  # also bounds a body sent without a Content-Length
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        abort(413)
    if limit is not None and request.content_length is None and "wsgi.input_terminated" in request.environ:
        _take_streamed_body(limit)
    if _has_nul(request.args) or (not request.path.startswith(TWILIO_FORMS) and _has_nul(request.form)):
        abort(400, _("The address or the form holds a character nobody types (NUL). Remove it and try again."))


def _take_streamed_body(limit: int) -> None:
    """Read a body sent without a Content-Length (chunked) to its end, or refuse it (413) once it
    passes `limit`; the views then read it from memory."""
    stream, parts, size = request.environ["wsgi.input"], [], 0
    while size <= limit:
        part = stream.read(min(64 * 1024, limit + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        abort(413)
    request.environ["wsgi.input"] = io.BytesIO(b"".join(parts))


def _has_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))
