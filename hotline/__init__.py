"""The neighbour hotline: one number for a compound's needs, by SMS and by voice.

Importing the package loads no web framework: the domain (`hotline.domain`, `hotline.models`) stands
alone, and Flask, Twilio, the admin and the simulator come in only when `create_app` builds the app.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from hotline.clock import Clock


def create_app(config: dict | None = None, clock: Clock | None = None) -> Flask:
    """Build the app: configuration, database, transport, blueprints and commands.

    `clock` is where the app's time comes from (the real UTC clock unless given): `clock.now()` reads it
    in the app's requests, its worker's steps and its CLI commands."""
    from admin import init_admin
    from hotline import clock as clocks
    from hotline.application import Hotline
    from hotline.config import from_environment
    from simulator import init_simulator

    app = Hotline(__name__, instance_path=str(Path.cwd() / "instance"), instance_relative_config=True)
    app.extensions["clock"] = clock or clocks.real
    init_instance(app)
    env = None
    if config and "ENV" in config:  # tests pass a whole environment in
        env = config.pop("ENV")
    app.config.update(from_environment(Path(app.instance_path), env))
    app.config.update(config or {})
    init_logging(app)
    init_proxies(app)
    init_edge(app)
    init_spool(app)
    init_database(app)
    init_transport(app)
    init_blueprints(app)
    init_commands(app)
    init_admin(app)
    init_simulator(app)
    return app


INSTANCE_MODE = 0o700


def init_instance(app: Flask) -> None:
    """Make the instance folder only the hotline's own user can enter (0700), or close one open to others:
    it holds the SQLite database with its -wal and -shm files, the secret key and the spool."""
    from hotline.config import ConfigError

    instance = Path(app.instance_path)
    try:
        instance.mkdir(mode=INSTANCE_MODE, parents=True, exist_ok=True)
        if instance.stat().st_mode & 0o077:
            os.chmod(instance, INSTANCE_MODE)
    except OSError as e:
        raise ConfigError(f"the instance folder {instance} cannot be made private: {e}") from e


def init_logging(app: Flask) -> None:
    """Log to stderr at INFO, with every phone number masked and tagged."""
    from hotline import logs

    logs.install(app.config["SECRET_KEY"])
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def init_proxies(app: Flask) -> None:
    """Behind N trusted reverse proxies, read the client's address and scheme from their headers
    (the admin login limit counts per client address)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = app.config["HOTLINE_TRUSTED_PROXIES"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def init_edge(app: Flask) -> None:
    """Refuse oversized bodies and NUL characters before any view or extension reads a request."""
    from hotline import edge

    edge.init_app(app)


def init_spool(app: Flask) -> None:
    """Open the folder that keeps inbound webhooks while the database is down; refuse to start
    without it."""
    from hotline.spool import Spool

    app.extensions["spool"] = Spool(Path(app.config["HOTLINE_SPOOL_DIR"]))


def init_database(app: Flask) -> None:
    """Bind SQLAlchemy and Alembic; SQLite gets WAL, a busy timeout and write-ahead locking."""
    from hotline import database
    from hotline.extensions import db, migrate

    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", database.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    db.init_app(app)
    migrations = Path(__file__).resolve().parent.parent / "migrations"
    migrate.init_app(app, db, directory=str(migrations), render_as_batch=True)
    with app.app_context():
        database.tune(db.engine)


def init_transport(app: Flask) -> None:
    """Pick the carriers: Twilio when credentials are set, else the console transport, for calls and
    recordings (`transport`); the gateway phone for SMS when SMS_GATEWAY_URL is set, else the same
    (`sms_transport`)."""
    from flask import appcontext_pushed

    from hotline.channels import gateway, twilio

    if app.config["TWILIO_ACCOUNT_SID"] and app.config["TWILIO_AUTH_TOKEN"]:
        transport = twilio.TwilioTransport(
            app.config["TWILIO_ACCOUNT_SID"],
            app.config["TWILIO_AUTH_TOKEN"],
            app.config["TWILIO_PHONE_NUMBER"],
            api_url=app.config["TWILIO_API_URL"],
            timeout=app.config["TWILIO_HTTP_TIMEOUT"],
        )
    else:
        # beside the spool (instance/ by default): the recordings the phone simulator leaves
        transport = twilio.ConsoleTransport(Path(app.config["HOTLINE_SPOOL_DIR"]).parent / "recordings")
    app.extensions["transport"] = transport
    app.extensions["sms_transport"] = transport
    if app.config["SMS_GATEWAY_URL"]:
        app.extensions["sms_transport"] = gateway.GatewayTransport(
            app.config["SMS_GATEWAY_URL"], app.config["SMS_GATEWAY_CREDENTIALS"],
            timeout=app.config["SMS_GATEWAY_HTTP_TIMEOUT"], health_timeout=app.config["SMS_GATEWAY_HEALTH_TIMEOUT"],
        )
    # The phone alone places no calls, and the console would only pretend to: calls become a person's.
    places_calls = isinstance(transport, twilio.TwilioTransport) or not app.config["SMS_GATEWAY_URL"]
    app.config["HOTLINE_PLACES_CALLS"] = places_calls
    appcontext_pushed.connect(tell_sessions, app, weak=False)


def tell_sessions(app: Flask, **_) -> None:
    """Tell the session of each app context what the domain reads from it: whether calls are placed."""
    from hotline.domain import outbox
    from hotline.extensions import db

    db.session.info[outbox.CALLS] = app.config["HOTLINE_PLACES_CALLS"]


def init_blueprints(app: Flask) -> None:
    """Register one blueprint per channel."""
    from hotline import api, health
    from hotline.channels import gateway_events, sms, status, voice

    app.register_blueprint(health.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(gateway_events.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(api.bp)
    voice.init_app(app)  # validates the flows of ivr_flows/ first: a broken flow stops the start


def init_commands(app: Flask) -> None:
    """Add the `flask --app hotline …` commands."""
    from hotline import cli

    cli.init_app(app)
