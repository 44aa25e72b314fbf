"""`flask --app hotline create-user NAME --role ROLE`, and the demo login `make run` prints."""

from __future__ import annotations

from sqlalchemy import select

from admin.auth import create_user
from hotline.domain.demo import DEMO_USER, OLD_DEMO_PASSWORD, demo_password
from hotline.extensions import db
from hotline.models import User, UserRole
from tests.admin.actions import PASSWORDS, AdminActions


def test_create_user_takes_the_password_from_the_environment(app):
    result = app.test_cli_runner().invoke(args=["create-user", "li", "--role", "coordinator"],
                                          env={"HOTLINE_PASSWORD": "a long password"})
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(username="li")).one()
        assert user.role == UserRole.COORDINATOR and user.password_hash.startswith("$argon2id$")
    assert AdminActions(app.test_client()).login("li", "a long password").status_code == 302


def test_create_user_asks_for_the_password_and_refuses_short_ones_and_twins(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "wang", "--role", "viewer"], input="secret-enough\nsecret-enough\n",
                           env={"HOTLINE_PASSWORD": ""})
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["create-user", "wang"], env={"HOTLINE_PASSWORD": "another password"}).exit_code == 1
    assert runner.invoke(args=["create-user", "zhao"], env={"HOTLINE_PASSWORD": "short"}).exit_code == 1
    assert runner.invoke(args=["create-user", "zhao", "--role", "boss"],
                         env={"HOTLINE_PASSWORD": "long enough password"}).exit_code == 2


def test_the_demo_login_is_made_only_when_nobody_can_log_in(app):
    runner = app.test_cli_runner()
    password = demo_password(app.config["SECRET_KEY"])
    first = runner.invoke(args=["demo-login"])
    assert f"login: {DEMO_USER}   password: {password}" in first.output
    assert password in runner.invoke(args=["demo-login"]).output  # still the demo login: shown again
    assert AdminActions(app.test_client()).login(DEMO_USER, password).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(User)).one().role == UserRole.COORDINATOR
        db.session.scalars(select(User)).one().password_hash = "changed"
        db.session.commit()
    assert runner.invoke(args=["demo-login"]).output == ""


def test_each_installation_has_its_own_demo_password_and_the_old_public_one_is_replaced(app):
    password = demo_password(app.config["SECRET_KEY"])
    assert password != OLD_DEMO_PASSWORD and len(password) >= 16
    assert demo_password("another installation's secret key") != password
    with app.app_context():  # an installation made before: the demo login with the password everyone knew
        create_user(db.session, DEMO_USER, OLD_DEMO_PASSWORD, UserRole.COORDINATOR)
        db.session.commit()
    old_session = AdminActions(app.test_client())
    assert old_session.login(DEMO_USER, OLD_DEMO_PASSWORD).status_code == 302
    assert password in app.test_cli_runner().invoke(args=["demo-login"]).output
    assert old_session.get("/admin/").status_code == 302  # its sessions ended
    assert AdminActions(app.test_client()).login(DEMO_USER, OLD_DEMO_PASSWORD).status_code == 200  # refused
    assert AdminActions(app.test_client()).login(DEMO_USER, password).status_code == 302


def test_set_password_changes_it_and_ends_the_user_s_sessions(app, coordinator, viewer):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["set-password", "sun"], env={"HOTLINE_PASSWORD": "a new long password"})
    assert result.exit_code == 0, result.output
    assert coordinator.get("/admin/").status_code == 302  # logged out wherever sun was logged in
    assert viewer.get("/admin/").status_code == 200  # other users are not
    assert coordinator.login("sun", PASSWORDS["sun"]).status_code == 200
    assert coordinator.login("sun", "a new long password").status_code == 302


def test_set_password_refuses_unknown_names_and_short_passwords(app, users):
    runner = app.test_cli_runner()
    for name, password in (("nobody", "long enough password"), ("sun", "short")):
        assert runner.invoke(args=["set-password", name], env={"HOTLINE_PASSWORD": password}).exit_code == 1
    assert AdminActions(app.test_client()).login("sun").status_code == 302
