"""The security headers every page people read carries (admin pages, home page, simulator)."""

from __future__ import annotations

from flask import Response


def secure(response: Response, csp: str, static: bool) -> Response:
    """Add the security headers; pages with personal data (everything but static files) are not cached."""
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if not static:
        response.headers["Cache-Control"] = "no-store"
    return response
