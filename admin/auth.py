"""Who may see and do what: login (argon2id, rate-limited), roles denied by default, session timeouts,
sessions that end on the server at logout, CSRF on every form, and the security headers of every admin page."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import TooManyRequests

from admin import bp
from admin.forms import LoginForm
from admin.throttle import DEVICE_COOKIE, LoginThrottle
from hotline import clock
from hotline.domain import transitions
from hotline.domain.parsing import whole_number
from hotline.domain.transitions import Actor
from hotline.extensions import db
from hotline.headers import secure
from hotline.models import User, UserRole, new_session_stamp

log = logging.getLogger(__name__)
login_manager = LoginManager()
csrf = CSRFProtect()
hasher = PasswordHasher()  # argon2id with argon2-cffi's recommended parameters
RANK = {UserRole.VIEWER: 0, UserRole.COORDINATOR: 1, UserRole.ADMIN: 2}
PUBLIC = "public"


@dataclass(frozen=True)
class AdminUser:
    """The logged-in user as Flask-Login sees it: a snapshot of the `User` row, loaded per request."""

    id: int
    username: str
    role: UserRole
    language: str
    stamp: str
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        """Return what the session keeps: the id and the user's session stamp, `12:3f9a…`."""
        return f"{self.id}:{self.stamp}"

    @classmethod
    def of(cls, user: User) -> AdminUser:
        """Take a snapshot of a user row."""
        return cls(user.id, user.username, UserRole(user.role), user.language or "zh", user.session_stamp)

    def may(self, role: UserRole) -> bool:
        """Tell whether this user has `role` or a higher one."""
        return RANK[self.role] >= RANK[role]


def init_app(app: Flask) -> None:
    """Bind login, CSRF and the count of failed logins to the app."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only the admin pages are forms; webhooks are not
    login_manager.init_app(app)
    csrf.init_app(app)
    # the counts only (the `limits` library, which Flask-Limiter is built on): no request of any other page
    # is weighed against a limit, so none pays for a check
    strategy = FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
    app.extensions["login_throttle"] = LoginThrottle(strategy, app.config["RATELIMIT_KEY_PREFIX"])


def _throttle() -> LoginThrottle:
    return current_app.extensions["login_throttle"]


@login_manager.user_loader
def load_user(session_id: str) -> AdminUser | None:
    """Load the session's user; a deactivated or deleted user, or a session whose stamp is no longer the
    user's (they logged out, or the password changed), is logged out at once."""
    user_id, _, stamp = session_id.partition(":")
    number = whole_number(user_id)
    if number is None:
        return None
    user = db.session.get(User, number)
    if user is None or not user.active or not stamp or stamp != user.session_stamp:
        return None
    return AdminUser.of(user)


# --- roles, denied by default ----------------------------------------------------------------


def requires(role: UserRole) -> Callable:
    """Let in users with `role` or a higher one; an admin view without this decorator lets nobody in."""

    def mark(view):
        view.admin_role = role
        return view

    return mark


def public(view):
    """Let anybody in (the login page only)."""
    view.admin_role = PUBLIC
    return view


def passive(view):
    """Mark a view that pages poll by themselves: it does not count as activity for the idle timeout."""
    view.admin_passive = True
    return view


def json_view(view):
    """Mark a view that answers JSON, so refusals are JSON too."""
    view.admin_json = True
    return view


def _now() -> float:
    return clock.now().timestamp()


def _expired() -> bool:
    now, config = _now(), current_app.config
    login_at, seen_at = session.get("admin_login_at"), session.get("admin_seen_at")
    if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
        return True
    return now - seen_at > config["ADMIN_IDLE_TIMEOUT"] or now - login_at > config["ADMIN_ABSOLUTE_TIMEOUT"]


def _refuse_anonymous(view):
    if getattr(view, "admin_json", False):
        return jsonify({"error": "login required"}), 401
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("admin.login", next=target.rstrip("?") if target else None))


@bp.before_request
def guard():
    """Check, before any admin view: the language asked for, the login and its age, the role, and CSRF."""
    from admin import i18n

    i18n.remember_language()
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None  # a 404 or 405 follows
    role = PUBLIC if request.endpoint == "admin.static" else getattr(view, "admin_role", None)
    if role != PUBLIC:
        if not current_user.is_authenticated:
            return _refuse_anonymous(view)
        if _expired():
            _end_session()
            flash(_("You were logged out after a while without activity. Please log in again."), "info")
            return _refuse_anonymous(view)
        if role is None or not current_user.may(role):
            abort(403)
        if not getattr(view, "admin_passive", False):
            session["admin_seen_at"] = _now()
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    return None


@bp.after_request
def security_headers(response):
    """Add the security headers to every admin response; pages with personal data are not cached."""
    return secure(response)


@bp.errorhandler(CSRFError)
def csrf_error(e):
    """Explain an expired or missing form token instead of a bare 400."""
    return _error(400, _("This form has expired. Please go back, reload the page and try again."))


@bp.errorhandler(400)
def bad_request(e):
    """Say, in the page's language, that what was sent cannot be taken (a NUL in a search, a broken form)."""
    if e.description and e.description != type(e).description:  # said by the hotline itself, already translated
        return _error(400, e.description)
    return _error(400, _("The page could not take what was sent. Please go back, reload the page and try again."))


@bp.errorhandler(413)
def too_large(e):
    """Say, in the page's language, that what was sent is larger than the admin pages take."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return _error(413, _("What was sent is too large (at most %(size)s MB). Please send a smaller file.",
                         size=max(1, limit // (1024 * 1024))))


@bp.errorhandler(403)
def forbidden(e):
    """Say plainly that this user's role does not allow it."""
    return _error(403, _("Your role does not allow this. Ask an administrator if you need it."))


@bp.errorhandler(404)
def not_found(e):
    """Say that there is nothing here."""
    return _error(404, _("There is nothing here."))


@bp.errorhandler(429)
def too_many(e):
    """Slow down password guessing, in words a person understands: how long to wait."""
    minutes = _minutes_to_wait(e)
    if request.endpoint == "admin.login":
        form = LoginForm()
        form.password.errors = [ngettext("Too many failed attempts. Please wait %(num)s minute and try again.",
                                         "Too many failed attempts. Please wait %(num)s minutes and try again.",
                                         minutes or 1)]
        response = make_response(render_template("admin/login.html", form=form), 429)
    elif minutes:
        response = make_response(_error(429, ngettext("Too many attempts. Please wait %(num)s minute and try again.",
                                                      "Too many attempts. Please wait %(num)s minutes and try again.",
                                                      minutes)))
    else:
        response = make_response(_error(429, _("Too many attempts. Please try again later.")))
    if minutes:
        response.headers["Retry-After"] = str(e.retry_after)
    return response


def _minutes_to_wait(e) -> int | None:
    """The whole minutes a 429 says to wait (rounded up), when it says."""
    seconds = getattr(e, "retry_after", None)
    return math.ceil(seconds / 60) if isinstance(seconds, int) and seconds > 0 else None


def _error(code: int, message: str):
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "admin_json", False):
        return jsonify({"error": message}), code
    return render_template("admin/error.html", code=code, message=message), code


# --- logging in and out ----------------------------------------------------------------------


def authenticate(session_: Session, username: str, password: str) -> User | None:
    """Return the active user with this name and password, else None (taking the same time either way)."""
    user = session_.scalar(select(User).filter_by(username=username.strip()[:80]))
    if user is None or not user.active:
        try:
            hasher.verify(_dummy_hash(), password)
        except VerificationError:
            pass
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


@functools.cache
def _dummy_hash() -> str:
    """A hash to check an unknown name's password against, so it takes as long as a wrong password."""
    return hasher.hash("not a password anyone has")


def create_user(session_: Session, username: str, password: str, role: UserRole, language: str = "zh") -> User:
    """Add a user with an argon2id hash of `password`."""
    user = User(username=username, password_hash=hasher.hash(password), role=role, active=True, language=language,
                created_at=clock.now(), session_stamp=new_session_stamp())
    session_.add(user)
    return user


def set_password(user: User, password: str) -> None:
    """Give the user a new password; every session they have ends (whoever knew the old one is out)."""
    user.password_hash = hasher.hash(password)
    user.session_stamp = new_session_stamp()


def safe_next(target: str | None, default: str = "admin.dashboard") -> str:
    """Follow `next` (or `back`) only to an admin page of this site; else go to the `default` page.

    A target with a character nobody types (a line break would split the Location header) or that
    is no URL at all goes to the `default` page too, never to a 500."""
    if target and target.isprintable():
        try:
            parts = urlsplit(target)
        except ValueError:  # e.g. `http://[::1`, an unclosed IPv6 address
            return url_for(default)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/admin") and "\\" not in target:
            return target
    return url_for(default)


def _end_session() -> None:
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Log in with a username and password."""
    if current_user.is_authenticated and not _expired():
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    address = request.remote_addr or "127.0.0.1"  # the client's, where HOTLINE_TRUSTED_PROXIES says who told it
    attempt = None
    if request.method == "POST":
        attempt = _throttle().attempt(address, request.form.get("username") or "", request.cookies.get(DEVICE_COOKIE))
        if attempt.wait:
            raise TooManyRequests(retry_after=attempt.wait)
    if form.validate_on_submit():
        user = authenticate(db.session, form.username.data, form.password.data)
        if user is not None:
            lang = session.get("lang") or user.language
            session.clear()  # a new session for the new login: nothing carried over from before
            login_user(AdminUser.of(user))
            session["admin_login_at"] = session["admin_seen_at"] = _now()
            session["lang"] = lang
            user.last_login_at = clock.now()
            db.session.commit()
            log.info("user %s logged in", user.id)
            response = redirect(safe_next(request.args.get("next")))
            _throttle().remember_device(response, request.cookies.get(DEVICE_COOKIE), user.username)
            return response
        db.session.commit()  # a rehash may have happened; nothing else changed
        if attempt is not None:
            attempt.failed()
        log.warning("failed login from %s", address)
        form.password.errors = [_("Wrong username or password.")]
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
@requires(UserRole.VIEWER)
def logout():
    """Log out (a form with its CSRF token, so no other site can log anyone out).

    The user's session stamp changes, so every copy of this session cookie (and the user's sessions in
    other browsers) stops working now, not when it would have expired."""
    user = db.session.get(User, current_user.id)
    if user is not None:
        user.session_stamp = new_session_stamp()
        db.session.commit()
    _end_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("admin.login"))


def actor() -> Actor:
    """The logged-in user as the actor of what they change on a request."""
    return transitions.on_page(current_user.id)


def shows_phones() -> bool:
    """Tell whether the logged-in user may see phone numbers in full (not a viewer)."""
    return current_user.is_authenticated and current_user.may(UserRole.COORDINATOR)


def may_edit() -> bool:
    """Tell whether the logged-in user may change things (a coordinator or an admin)."""
    return shows_phones()

