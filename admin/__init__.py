"""The coordinators' web pages under `/admin`: server-rendered, in Chinese and English, for phones too."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")


def init_admin(app: Flask) -> None:
    """Add the admin pages to the app: language, login and roles, the views, and the commands."""
    from admin import auth, cli, i18n, views  # noqa: F401 - views add their routes

    app.config.setdefault("ADMIN_IDLE_TIMEOUT", 30 * 60)  # seconds without a click before logging out
    app.config.setdefault("ADMIN_ABSOLUTE_TIMEOUT", 8 * 60 * 60)  # seconds after login, whatever happens
    app.config.setdefault("ADMIN_LOGIN_LIMIT", "5 per minute; 30 per hour")  # failed logins per address (IPv6: /64)
    app.config.setdefault("ADMIN_LOGIN_NAME_LIMIT", "10 per hour")  # per name: a ceiling only a known device passes
    app.config.setdefault("ADMIN_LOGIN_DEVICE_LIMIT", "5 per minute; 30 per hour")  # per known device
    app.config.setdefault("ADMIN_POLL_SECONDS", 5)  # how often live pages ask for changes
    i18n.init_app(app)
    app.register_blueprint(bp)
    auth.init_app(app)
    cli.init_app(app)
