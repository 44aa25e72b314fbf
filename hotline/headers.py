"""The security headers every page people read carries (admin pages, home page, simulator)."""

from __future__ import annotations

from flask import Response, request

CSP = (  # the pages' own scripts, styles and media only
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def secure(response: Response) -> Response:
    """Add the security headers; pages with personal data (everything but static files) are not cached.

    For a blueprint's `after_request`: its static files are its `<name>.static` endpoint."""
    static = (request.endpoint or "").endswith(".static")
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if not static:
        response.headers["Cache-Control"] = "no-store"
    return response
