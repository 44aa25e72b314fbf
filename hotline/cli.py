"""`flask --app hotline …`: the command line of SPEC "Command line"."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from hotline.api import create_token, revoke_tokens
from hotline.domain import roster
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import Building


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (init_db, create_token_command, revoke_token_command, demo, worker, tick, purge_command, check_ins,
                    gateway_webhooks):
        app.cli.add_command(command)
    app.cli.add_command(import_group)


def sync_buildings() -> None:
    """Add the buildings of HOTLINE_BUILDINGS that the database does not have yet."""
    have = set(db.session.scalars(db.select(Building.number)))
    for number in sorted(current_app.config["HOTLINE_BUILDINGS"] - have):
        db.session.add(Building(number=number))
    db.session.commit()


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or migrate the schema; safe to run again."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    sync_buildings()
    click.echo("database is up to date")


import_group = AppGroup("import", help="Import volunteers or residents from a CSV file.")


def _import(kind: str, path: Path) -> None:
    importer = roster.import_volunteers if kind == "volunteers" else roster.import_residents
    policy = Policy.from_config(current_app.config)
    report = importer(db.session, policy, path.read_bytes())
    db.session.commit()
    for line in report.lines():
        click.echo(line)
    if report.errors and not (report.added or report.updated):
        sys.exit(1)


@import_group.command("volunteers")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_volunteers(path: Path):
    """Add or update volunteers from name,phone,buildings,languages,role."""
    _import("volunteers", path)


@import_group.command("residents")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_residents(path: Path):
    """Add or update residents from name,phone,building,room,language,flags."""
    _import("residents", path)


@click.command("create-token")
@with_appcontext
@click.argument("name")
def create_token_command(name: str):
    """Create an API token and print it as the last line."""
    token = create_token(db.session, name)
    db.session.commit()
    click.echo(f"API token for {name} (shown once):")
    click.echo(token)


@click.command("revoke-token")
@with_appcontext
@click.argument("name")
def revoke_token_command(name: str):
    """Revoke the API tokens of that name: calls with them are refused from now on."""
    count = revoke_tokens(db.session, name)
    db.session.commit()
    if not count:
        click.echo(f"no API token is named {name!r}", err=True)
        sys.exit(1)
    click.echo(f"{count} token{'s' if count > 1 else ''} named {name} revoked")


def texts_through_a_real_phone(config) -> bool:
    """Tell whether the SMS go through a phone that is not on this machine (the phone stand-in of
    `make run PHONE=standin` listens on loopback; a real phone on the LAN or the cloud relay do not)."""
    from urllib.parse import urlsplit

    gateway = config["SMS_GATEWAY_URL"]
    return bool(gateway) and urlsplit(gateway).hostname not in ("127.0.0.1", "localhost", "::1")


@click.command("demo")
@with_appcontext
def demo():
    """Load the demo compound into an empty database (only where no real carrier would text its made-up numbers)."""
    from hotline.domain import demo as demo_data

    if texts_through_a_real_phone(current_app.config):
        click.echo("an SMS phone is configured (SMS_GATEWAY_URL, not on this machine): demo not loaded, its SIM"
                   " would text the demo's made-up numbers, which may be someone's")
        return
    if not demo_data.load(db.session, Policy.from_config(current_app.config)):
        click.echo("the database already has people in it; demo not loaded")
        return
    db.session.commit()
    click.echo("demo compound loaded")


@click.command("worker")
@with_appcontext
def worker():
    """Send the outbox, retry, run timers; stop cleanly on SIGTERM."""
    from hotline.worker import Worker

    Worker(current_app._get_current_object()).run()


@click.command("tick")
@with_appcontext
def tick():
    """Run everything that is due once, then exit."""
    from hotline.worker import Worker

    done = Worker(current_app._get_current_object()).tick()
    click.echo(f"{done['timers']} timers run, {done['sent']} messages sent")


@click.command("gateway-webhooks")
@with_appcontext
def gateway_webhooks():
    """Point the gateway phone's webhooks (received, sent, delivered, failed, ping) at this hotline."""
    from hotline.channels.twilio import SendError

    phone = current_app.extensions["sms_transport"]
    if not hasattr(phone, "register_webhooks"):
        raise click.ClickException("no gateway phone is configured: set SMS_GATEWAY_URL (see docs/android-gateway.md)")
    url = current_app.config["PUBLIC_BASE_URL"] + "/gateway/events"
    try:
        events = phone.register_webhooks(url)
    except SendError as e:
        raise click.ClickException(f"the phone at {phone.url} did not take them: {e}") from e
    click.echo(f"{len(events)} webhooks ({', '.join(events)}) now post to {url}")


@click.command("purge")
@click.option("--older-than", "older_than", required=True, help="age of closed requests to forget: 30d, 12h, 2w")
@with_appcontext
def purge_command(older_than: str):
    """Remove the personal data of closed requests older than that (recordings at Twilio too)."""
    from hotline import clock
    from hotline.channels.twilio import SendError
    from hotline.domain.purge import parse_age, purge

    try:
        age = parse_age(older_than)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--older-than") from e
    transport = current_app.extensions["transport"]

    def delete_recording(sid: str) -> bool:
        try:
            transport.delete_recording(sid)
        except SendError:
            return False
        return True

    now = clock.now()
    report = purge(db.session, now, age, delete_recording)
    db.session.commit()
    set_aside = current_app.extensions["spool"].purge(now - age)  # spooled messages the worker could not replay
    click.echo(
        f"{report.requests} requests purged, {report.recordings_deleted} recordings deleted at Twilio"
        f" ({report.recordings_kept} to retry), {report.messages} messages about no request forgotten,"
        f" {report.inbound} inbound messages, {report.questions} questions, {report.check_ins} check-in calls,"
        f" {report.conversations}"
        f" conversations and {set_aside} spool files set aside removed"
    )


@click.command("check-ins")
@click.option("--on/--off", "enabled", default=None, help="switch the daily check-in calls on or off")
@click.option("--window", help="local hours the calls go out, e.g. 09:00-11:00")
@click.option("--days", help="ISO weekdays, Monday = 1: 1234567 for every day, 12345 for weekdays")
@click.option("--retry", "retry_minutes", type=click.IntRange(1, 720), help="minutes before the second call")
@click.option("--silent-days", type=click.IntRange(1, 60), help="days before someone alone is 'not heard from'")
@with_appcontext
def check_ins(enabled, window, days, retry_minutes, silent_days):
    """Show or set the daily check-in calls (who: residents flagged elderly and alone, or chosen)."""
    from hotline.config import ConfigError, parse_quiet_hours
    from hotline.domain import checkins

    settings = checkins.plan(db.session)
    if window is not None:
        try:
            span = parse_quiet_hours(window)
        except ConfigError as e:
            raise click.BadParameter("write it as 09:00-11:00", param_hint="--window") from e
        if span is None or span[0] >= span[1]:
            raise click.BadParameter("write it as 09:00-11:00, start before end", param_hint="--window")
        settings.start_minute, settings.end_minute = span
    if days is not None:
        if not days or not set(days) <= set("1234567"):
            raise click.BadParameter("ISO weekdays 1-7, e.g. 12345", param_hint="--days")
        settings.days = "".join(sorted(set(days)))
    for name, value in (("enabled", enabled), ("retry_minutes", retry_minutes), ("silent_days", silent_days)):
        if value is not None:
            setattr(settings, name, value)
    db.session.commit()
    who = db.session.scalar(db.select(db.func.count()).select_from(checkins.eligible(db.session).subquery()))
    click.echo(
        f"check-in calls {'on' if settings.enabled else 'off'}: "
        f"{settings.start_minute // 60:02d}:{settings.start_minute % 60:02d}-"
        f"{settings.end_minute // 60:02d}:{settings.end_minute % 60:02d} on days {settings.days}, "
        f"second call after {settings.retry_minutes} min, 'not heard from' after {settings.silent_days} days; "
        f"{who} residents called"
    )
