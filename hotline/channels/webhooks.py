"""What every Twilio webhook shares: the signature check and the TwiML answer."""

from __future__ import annotations

import functools
import ipaddress
import logging

from flask import Response, abort, current_app, request

from hotline.channels import twilio
from hotline.domain import phones

log = logging.getLogger(__name__)


def signed_url() -> str:
    """Rebuild the URL Twilio signed: PUBLIC_BASE_URL + path + query."""
    query = request.query_string.decode("utf-8", "replace")
    return current_app.config["PUBLIC_BASE_URL"] + request.path + (f"?{query}" if query else "")


def from_loopback() -> bool:
    """Tell whether the request comes from this machine and names it: a loopback address, and a loopback
    `Host` (a page whose own name was rebound to 127.0.0.1 sends that name, not ours)."""
    return _loopback_address() and _loopback_host()


def from_another_site() -> bool:
    """Tell whether a browser says another site's page sent the request (a form posted to 127.0.0.1
    from elsewhere): an `Origin` not ours, or a `Sec-Fetch-Site` other than same-origin or none."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        return True
    return request.headers.get("Sec-Fetch-Site", "none") not in ("same-origin", "none")


def _loopback_address() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _loopback_host() -> bool:
    host = request.host.lower()
    name = host[1:].partition("]")[0] if host.startswith("[") else host.rpartition(":")[0] or host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def twilio_webhook(view):
    """Refuse (403, nothing touched) a request Twilio did not sign; without an auth token, unsigned
    only from this machine, by its own name, and not from another site's page in its browser."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        token = current_app.config["TWILIO_AUTH_TOKEN"]
        if token:
            params = request.form.to_dict(flat=True) if request.method == "POST" else {}
            signature = request.headers.get("X-Twilio-Signature", "")
            if not signature or not twilio.validate_signature(token, signed_url(), params, signature):
                log.warning("refused an unsigned or forged request to %s", request.path)
                abort(403)
        elif not from_loopback() or from_another_site():
            log.warning("refused an unsigned request from outside or from another site to %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked


def field(name: str, limit: int = 1600) -> str:
    """A form field as text a database can hold: no NUL, no lone surrogates, at most `limit` long."""
    value = request.form.get(name) or ""
    value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value[:limit]


def phone_from(raw: str) -> str | None:
    """`From` as a phone number in E.164; None, logged by its kind only, when it is another channel's
    address (`client:alice`, `whatsapp:+86…`, `sip:…`), a sender ID or garbage: nobody to answer by SMS."""
    number = phones.sender(raw, current_app.config["HOTLINE_DEFAULT_REGION"])
    if number is None:
        scheme, colon, _ = raw.partition(":")
        kind = f"a {scheme[:16]}: address" if colon and scheme.isalpha() else "no phone number"
        log.warning("not taken: %s from %s", request.path, kind)
    return number


def twiml(xml: str, status: int = 200) -> Response:
    """Answer with TwiML."""
    return Response(xml, status=status, mimetype="text/xml")
