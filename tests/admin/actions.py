"""Acting on the admin pages as a coordinator would, through the test client (flaskr's AuthActions)."""

from __future__ import annotations

import re
from functools import cache

from admin import auth
from hotline.extensions import db
from hotline.models import User, UserRole

PASSWORDS = {"boss": "admin-password-1", "sun": "coordinator-pw-1", "wu": "viewer-password-1"}
ROLES = {"boss": UserRole.ADMIN, "sun": UserRole.COORDINATOR, "wu": UserRole.VIEWER}
_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@cache
def password_hash(username: str) -> str:
    """The argon2id hash of a test user's password, computed once per test run."""
    return auth.hasher.hash(PASSWORDS[username])


def add_users(app, language: str = "zh") -> None:
    """Create an admin (`boss`), a coordinator (`sun`) and a viewer (`wu`)."""
    with app.app_context():
        for name in PASSWORDS:
            db.session.add(User(username=name, password_hash=password_hash(name), role=ROLES[name], language=language))
        db.session.commit()


def csrf_token_in(html: str) -> str:
    """Read the CSRF token every admin page carries in its <meta>."""
    m = _META.search(html)
    assert m, "no csrf-token meta on the page"
    return m.group(1)


class AdminActions:
    """A browser-less coordinator: logs in, reads pages, and posts forms with their CSRF token."""

    def __init__(self, client):
        self.client = client
        self._token: str | None = None

    def token(self) -> str:
        """A CSRF token for this session, read from the login page, or once logged in from the outbox: every
        admin page carries the session's one token, and the outbox, which every role may read, renders in a
        fifth of the dashboard's time (the dashboard's own tests read the dashboard)."""
        if self._token is None:
            page = self.client.get("/admin/login")
            if page.status_code == 302:
                page = self.client.get("/admin/outbox")
            self._token = csrf_token_in(page.get_data(as_text=True))
        return self._token

    def login(self, username: str = "sun", password: str | None = None, **kwargs):
        """Log in; returns the response of the login POST."""
        response = self.client.post(
            "/admin/login",
            data={"username": username, "password": password or PASSWORDS[username], "csrf_token": self.token()},
            **kwargs,
        )
        self._token = None  # a login starts a new session, with a new token
        return response

    def logout(self):
        """Log out with the form."""
        response = self.client.post("/admin/logout", data={"csrf_token": self.token()})
        self._token = None
        return response

    def get(self, path: str, **kwargs):
        """GET a page."""
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs):
        """POST a form, with the session's CSRF token unless `csrf` is False."""
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token())
        return self.client.post(path, data=data, **kwargs)
