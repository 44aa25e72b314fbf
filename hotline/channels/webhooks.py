"""What every Twilio webhook shares: the signature check and the TwiML answer."""

from __future__ import annotations

import functools
import ipaddress
import logging

from flask import Response, abort, current_app, request

from hotline.channels import twilio

log = logging.getLogger(__name__)


def signed_url() -> str:
    """Rebuild the URL Twilio signed: PUBLIC_BASE_URL + path + query."""
    query = request.query_string.decode("utf-8", "replace")
    return current_app.config["PUBLIC_BASE_URL"] + request.path + (f"?{query}" if query else "")


def from_loopback() -> bool:
    """Tell whether the request comes from this machine."""
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def twilio_webhook(view):
    """Refuse (403, nothing touched) a request Twilio did not sign; unsigned only from loopback
    when no auth token is configured."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        token = current_app.config["TWILIO_AUTH_TOKEN"]
        if token:
            params = request.form.to_dict(flat=True) if request.method == "POST" else {}
            signature = request.headers.get("X-Twilio-Signature", "")
            if not signature or not twilio.validate_signature(token, signed_url(), params, signature):
                log.warning("refused an unsigned or forged request to %s", request.path)
                abort(403)
        elif not from_loopback():
            log.warning("refused an unsigned request from outside to %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked


def field(name: str, limit: int = 1600) -> str:
    """A form field as text a database can hold: no NUL, no lone surrogates, at most `limit` long."""
    value = request.form.get(name) or ""
    value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value[:limit]


def twiml(xml: str, status: int = 200) -> Response:
    """Answer with TwiML."""
    return Response(xml, status=status, mimetype="text/xml")
