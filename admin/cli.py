"""`flask --app hotline create-user NAME --role ROLE`, `set-password NAME`, and the demo login `make run` prints."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from admin.auth import authenticate, create_user, set_password
from hotline.extensions import db
from hotline.models import User, UserRole

MIN_PASSWORD = 10


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(create_user_command)
    app.cli.add_command(set_password_command)
    app.cli.add_command(demo_login)


@click.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in UserRole]), default=UserRole.VIEWER.value,
              show_default=True, help="admin, coordinator or viewer")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@with_appcontext
def create_user_command(name: str, role: str, language: str):
    """Create an admin-page user; the password comes from HOTLINE_PASSWORD or a prompt."""
    name = name.strip()
    if not name or len(name) > 80:
        raise click.UsageError("NAME must be 1 to 80 characters")
    if db.session.scalar(select(User).filter_by(username=name)) is not None:
        click.echo(f"a user named {name!r} exists already", err=True)
        sys.exit(1)
    create_user(db.session, name, _password(name), UserRole(role), language)
    db.session.commit()
    click.echo(f"user {name} created with role {role}")


@click.command("set-password")
@click.argument("name")
@with_appcontext
def set_password_command(name: str):
    """Give a user a new password (from HOTLINE_PASSWORD or a prompt); their sessions end."""
    user = db.session.scalar(select(User).filter_by(username=name.strip()))
    if user is None:
        click.echo(f"no user is named {name!r}", err=True)
        sys.exit(1)
    set_password(user, _password(user.username))
    db.session.commit()
    click.echo(f"password of {user.username} changed; their sessions have ended")


def _password(name: str) -> str:
    password = os.environ.get("HOTLINE_PASSWORD") or click.prompt(
        f"Password for {name}", hide_input=True, confirmation_prompt=True
    )
    if len(password) < MIN_PASSWORD:
        click.echo(f"the password must have at least {MIN_PASSWORD} characters", err=True)
        sys.exit(1)
    return password


@click.command("demo-login")
@click.option("--url", default="/admin/", show_default=True, help="where the admin page is, to print with it")
@with_appcontext
def demo_login(url: str):
    """Create the demo coordinator login when nobody can log in yet, and print it.

    Its password is this installation's own (`demo.demo_password`); a demo login still holding the
    public password of older versions gets it now, and its sessions end."""
    from hotline.domain.demo import DEMO_USER, OLD_DEMO_PASSWORD, demo_password

    password = demo_password(current_app.config["SECRET_KEY"])
    if not db.session.scalar(select(func.count(User.id))):
        create_user(db.session, DEMO_USER, password, UserRole.COORDINATOR)
        db.session.commit()
    elif (old := authenticate(db.session, DEMO_USER, OLD_DEMO_PASSWORD)) is not None:
        set_password(old, password)
        db.session.commit()
    elif authenticate(db.session, DEMO_USER, password) is None:
        return  # real users exist, and the demo login is not (or no longer) one of them
    click.echo(f"  Admin page: {url}   login: {DEMO_USER}   password: {password}")
