"""Fixtures for the admin pages: users of every role, and a logged-in test client."""

from __future__ import annotations

import pytest

from tests.admin.actions import AdminActions, add_users


@pytest.fixture
def users(app):
    """An admin `boss`, a coordinator `sun` and a viewer `wu`."""
    add_users(app)


@pytest.fixture
def admin(client, users):
    """Admin-page actions on the test client (not logged in yet)."""
    return AdminActions(client)


@pytest.fixture
def coordinator(admin, clock):
    """The coordinator `sun`, logged in."""
    assert admin.login("sun").status_code == 302
    return admin


@pytest.fixture
def viewer(app, users, clock):
    """The viewer `wu`, logged in, on a client of their own."""
    actions = AdminActions(app.test_client())
    assert actions.login("wu").status_code == 302
    return actions
