"""The home page (`/`) and the phone simulator (`/simulator`): try the hotline without a Twilio number.

The simulator plays Twilio's part for phones in a browser: it posts the same webhooks Twilio would,
Twilio-shaped, to the app itself, walks the TwiML that comes back, and shows every phone's messages
and calls from the outbox. It exists only with the console transport (no Twilio credentials), and
answers only this machine (loopback), as unsigned webhooks do.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app

from hotline.headers import secure

bp = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder="templates")
home = Blueprint("home", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")

def init_simulator(app: Flask) -> None:
    """Add the home page and the phone simulator (which answers 404 unless the transport is the console)."""
    from simulator import views  # noqa: F401 - the views add their routes

    app.register_blueprint(home)
    app.register_blueprint(bp)


def enabled(app: Flask | None = None) -> bool:
    """Tell whether the simulator runs: only without Twilio credentials, with the console transport."""
    from hotline.channels.twilio import ConsoleTransport

    app = app or current_app
    credentials = app.config.get("TWILIO_ACCOUNT_SID") and app.config.get("TWILIO_AUTH_TOKEN")
    return not credentials and isinstance(app.extensions.get("transport"), ConsoleTransport)


@home.after_request
@bp.after_request
def security_headers(response):
    """Give the home page and the simulator the admin pages' security headers (no inline script)."""
    return secure(response)
