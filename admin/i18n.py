"""Chinese (default) and English for the admin pages: `?lang=zh|en`, remembered in the session and on the
user; times in HOTLINE_TIMEZONE; phone numbers masked for viewers; the names of statuses and events."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import Flask, current_app, has_request_context, request, session, url_for
from flask_babel import Babel, force_locale, format_datetime, format_timedelta, gettext, ngettext, refresh
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin import bp
from admin.auth import may_edit, shows_phones
from hotline import clock
from hotline.domain import phones
from hotline.extensions import db
from hotline.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    CheckInStatus,
    EventKind,
    Lane,
    OutStatus,
    Purpose,
    Status,
    User,
    UserRole,
    Via,
)
from hotline.texts import LOCALE_DIR, LOCALES, supported

babel = Babel()


def init_app(app: Flask) -> None:
    """Bind Flask-Babel: the `messages` domain under locales/, Chinese by default, the hotline's time zone."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(LOCALE_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LOCALES["zh"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config.get("HOTLINE_TIMEZONE") or "Asia/Shanghai")
    if "babel" not in app.extensions:
        babel.init_app(app, locale_selector=select_locale)


def current_lang() -> str:
    """Return `zh` or `en`: what the session chose, else the user's language, else Chinese."""
    if not has_request_context():
        return "zh"
    lang = session.get("lang")
    if lang not in LOCALES and current_user and current_user.is_authenticated:
        lang = current_user.language
    return supported(lang)


def select_locale() -> str:
    """Tell Flask-Babel the locale of this request."""
    return LOCALES[current_lang()]


def remember_language() -> None:
    """Take `?lang=zh|en` and keep it in the session (and on the user, for the next login)."""
    lang = request.args.get("lang")
    if lang not in LOCALES or session.get("lang") == lang:
        return
    session["lang"] = lang
    refresh()
    if current_user and current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        if user is not None and user.language != lang:
            user.language = lang
            db.session.commit()


def lang_url(lang: str) -> str:
    """Return this page's address in another language."""
    rule = request.url_rule
    if rule is None or "GET" not in (rule.methods or ()):
        return url_for("admin.dashboard", lang=lang)  # a page shown after a form: back to the start
    args = {k: v for k, v in request.args.items() if k != "lang"} if request.method == "GET" else {}
    return url_for(request.endpoint, **(request.view_args or {}), **args, lang=lang)


# --- showing things --------------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"\+?\d[\d\s\-()]{5,}\d")


def phone(number: str | None) -> str:
    """Show a phone number: in full to coordinators, masked to viewers."""
    if not number:
        return "-"
    return number if shows_phones() else phones.mask(number)


def private(text: str | None) -> str:
    """Show free text; for viewers, every phone-like run of digits in it is masked."""
    if not text or shows_phones():
        return text or ""

    def hide(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "*" * (len(digits) - 4) + digits[-4:] if len(digits) > 6 else m.group(0)

    return _DIGIT_RUN.sub(hide, text)


_STATUS_CHANGE = re.compile(r"(\w+) → (\w+): (.*)", re.DOTALL)
_OFF_DUTY_BY = re.compile(r"off duty \(admin:(.+)\)")
_CALLS = re.compile(r"(\d+) calls, no answer")
_OUTBOX = re.compile(r"outbox (\d+)")


def event_note(kind: str, note: str) -> str:
    """Show an event's note in the page's language: the hotline's own words translated, a person's as written."""
    values = {s.value: s for s in Status}
    if kind == "status_changed" and (m := _STATUS_CHANGE.fullmatch(note)) and {m[1], m[2]} <= values.keys():
        shown = f"{STATUS[values[m[1]]]} → {STATUS[values[m[2]]]}"
        return f"{shown}: {private(m[3])}" if m[3].strip() else shown
    if m := _OFF_DUTY_BY.fullmatch(note):
        return gettext("%(name)s put the volunteer off duty", name=m[1])
    if m := _CALLS.fullmatch(note):
        return ngettext("%(num)s call, no answer", "%(num)s calls, no answer", int(m[1]))
    if m := _OUTBOX.fullmatch(note):
        return gettext("message %(id)s", id=m[1])
    return str(NOTE[note]) if note in NOTE else private(note)


def when(value: datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    """Show a time in the hotline's time zone."""
    return format_datetime(value, pattern) if value else "-"


def waited(value: datetime | None) -> str:
    """Show how long ago `value` was, in words ("3 hours")."""
    if not value:
        return "-"
    return format_timedelta(max(clock.now() - value, timedelta(0)), granularity="minute", threshold=1.5)


def duration(seconds: float | None) -> str:
    """Show a number of seconds as words ("5 minutes"); a dash for none."""
    if not seconds:
        return "-"
    return format_timedelta(timedelta(seconds=seconds), granularity="second", threshold=1.5)


STATUS = {
    Status.NEW: _l("Waiting"),
    Status.ASSIGNED: _l("With a volunteer"),
    Status.ACCEPTED: _l("Accepted"),
    Status.DELIVERED: _l("Delivered"),
    Status.CANCELLED: _l("Cancelled"),
}
CATEGORY = {Category.FOOD: _l("Food"), Category.MEDICINE: _l("Medicine"), Category.HELP: _l("Other help"),
            Category.WELFARE: _l("Welfare check")}
CHANNEL = {Channel.SMS: _l("SMS"), Channel.VOICE: _l("Phone call"), Channel.ADMIN: _l("Entered by a coordinator")}
EVENT = {
    EventKind.CREATED: _l("Request made"),
    EventKind.ASSIGNED: _l("Sent to a volunteer"),
    EventKind.ACCEPTED: _l("Accepted"),
    EventKind.DELIVERED: _l("Delivered"),
    EventKind.DECLINED: _l("Volunteer could not take it"),
    EventKind.TIMED_OUT: _l("No answer in time"),
    EventKind.HANDED_ON: _l("Handed on"),
    EventKind.UNASSIGNED: _l("No volunteer available"),
    EventKind.CANCELLED: _l("Cancelled"),
    EventKind.REOPENED: _l("Not received: opened again"),
    EventKind.RESTORED: _l("Cancelled request opened again"),
    EventKind.REMINDED: _l("Volunteer reminded"),
    EventKind.ESCALATED: _l("Coordinators alerted"),
    EventKind.NOTE: _l("Note"),
    EventKind.STATUS_CHANGED: _l("Status changed"),
    EventKind.MARKED_URGENT: _l("Marked urgent"),
    EventKind.MARKED_NOT_URGENT: _l("Marked not urgent"),
    EventKind.DETAILS_EDITED: _l("Details written down"),
    EventKind.MESSAGE_RETRIED: _l("Message sent again"),
    EventKind.RECORDING: _l("Voice message"),
    EventKind.JOINED_OFFER: _l("Joined a group buy"),
    EventKind.QUANTITY_CHANGED: _l("Quantity changed"),
    EventKind.CHECK_IN_UNREACHED: _l("Check-in call not answered"),
    EventKind.CHECK_IN_HELP: _l("Asked for help on the check-in call"),
    EventKind.CALLED_NO_ANSWER: _l("Called, no answer"),
    EventKind.MERGED: _l("Merged into another request"),
    EventKind.MERGED_IN: _l("A repeat of it was merged in"),
    EventKind.NUDGED: _l("Asked after it"),
    EventKind.PHONED: _l("Phoned by a person"),
    EventKind.MARKED_PAID: _l("Marked paid"),
    EventKind.MARKED_NOT_PAID: _l("Marked not paid"),
}
NOTE = {  # what the hotline itself writes as an event's note
    "nobody on duty": _l("nobody on duty"),
    "no answer in time": _l("no answer in time"),
    "could not take it": _l("no volunteer could take it"),
    "reassigned": _l("reassigned"),
    "not received": _l("the resident says nothing arrived"),
    "off duty": _l("the volunteer went off duty"),
    "opted out": _l("the volunteer's number opted out of SMS"),
    "the call ended before the need was said": _l("the call ended before the need was said"),
}
ACT_KIND = {
    "emergency": _l("Emergency"),
    "welfare": _l("Welfare check"),
    "urgent": _l("Urgent"),
    "overdue": _l("Overdue"),
    "unassigned": _l("Nobody has it"),
    "question": _l("Question"),
    "unreached": _l("Check-in not reached"),
}
OUTBOX = {
    OutStatus.QUEUED: _l("Queued"),
    OutStatus.SENDING: _l("Sending"),
    OutStatus.SENT: _l("Sent"),
    OutStatus.FAILED: _l("Failed"),
    OutStatus.SKIPPED: _l("Skipped"),
    OutStatus.CANCELLED: _l("Cancelled"),
    OutStatus.BY_HAND: _l("To phone by hand"),
}
LANE = {Lane.URGENT: _l("Urgent"), Lane.NORMAL: _l("Normal"), Lane.BULK: _l("Broadcast")}
KIND = {"sms": _l("SMS"), "call": _l("Call")}
CARRIER = {"twilio": "Twilio", "gateway": _l("SMS phone"), "console": _l("Console (nothing sent)"),
           "person": _l("a person's phone")}
PURPOSE = {  # what a call for a person to make is about
    Purpose.RECEIPT: _l("Their request"), Purpose.CHECK_IN: _l("Daily check-in"),
    Purpose.BROADCAST: _l("Announcement"), Purpose.QUESTION: _l("Answer to their question"),
}
VIA = {Via.SMS: _l("by SMS"), Via.VOICE: _l("by phone"), Via.ADMIN: _l("on the web"), Via.SYSTEM: _l("automatically")}
DELIVERY = {  # Twilio's message and call statuses, as status callbacks report them
    "queued": _l("queued at the carrier"), "accepted": _l("queued at the carrier"), "sending": _l("being sent"),
    "sent": _l("sent by the carrier"), "delivered": _l("delivered to the phone"), "read": _l("read"),
    "undelivered": _l("not delivered"), "failed": _l("failed"), "initiated": _l("calling"), "ringing": _l("ringing"),
    "in-progress": _l("call in progress"), "answered": _l("answered"), "completed": _l("call finished"),
    "busy": _l("busy"), "no-answer": _l("no answer"), "canceled": _l("cancelled"), "twiml": _l("reply"),
}
ROLE = {UserRole.ADMIN: _l("Administrator"), UserRole.COORDINATOR: _l("Coordinator"), UserRole.VIEWER: _l("Viewer")}
VOLUNTEER_ROLE = {"volunteer": _l("Volunteer"), "coordinator": _l("Coordinator")}
FLAG = {"elderly": _l("Elderly"), "alone": _l("Lives alone"), "mobility": _l("Limited mobility"),
        "chronic": _l("Chronic illness"), "no_phone": _l("No phone of their own")}
CHECK_IN = {  # how a check-in call ended, or where it stands
    CheckInStatus.CALLING: _l("Calling"),
    CheckInStatus.FINE: _l("All is well"),
    CheckInStatus.HELP: _l("Asked for something"),
    CheckInStatus.UNREACHED: _l("Not reached: a volunteer knocks"),
}
LANGUAGE = {"zh": "中文", "en": "English"}
COLUMN = {  # the headers of the CSV files, in the page's language; an import reads them in either
    "name": _l("name"), "phone": _l("phone"), "buildings": _l("buildings"), "languages": _l("languages"),
    "role": _l("role"), "on_duty": _l("on duty"), "building": _l("building"), "room": _l("room"),
    "language": _l("language"), "flags": _l("flags"), "item": _l("item"), "quantity": _l("quantity"),
    "requests": _l("request numbers"),
}
IMPORT_REASON = {  # why an imported row was refused (hotline.domain.roster.REASONS)
    "columns": _l("missing column(s): %(columns)s"),
    "too_many": _l("more than %(max)s rows; the rest was not read"),
    "fields": _l("wrong number of fields"),
    "phone": _l("phone “%(value)s” is not a valid phone number"),
    "phone_twice": _l("phone already on line %(line)s"),
    "name_empty": _l("name is empty"),
    "name_long": _l("name is longer than 120 characters"),
    "building": _l("building “%(value)s” is not one of the compound's"),
    "role": _l("role “%(value)s” is not volunteer or coordinator"),
    "no_building": _l("a volunteer needs at least one building"),
    "language": _l("language “%(value)s” is not zh or en"),
    "room_empty": _l("room is empty"),
    "room_long": _l("room is longer than 32 characters"),
    "flag": _l("flag “%(value)s” is not one of %(flags)s"),
}


def column_headers() -> dict[str, str]:
    """Name the CSV columns in the page's language."""
    return {column: str(label) for column, label in COLUMN.items()}


def headers_read() -> dict[str, str]:
    """Every language's name of each CSV column, as an import reads them."""
    names = {}
    for locale in LOCALES.values():
        with force_locale(locale):
            names.update({str(label): column for column, label in COLUMN.items()})
    return names


def import_reason(code: str, params: dict) -> str:
    """Say why an imported row was refused, in the page's language."""
    return str(IMPORT_REASON[code]) % params if code in IMPORT_REASON else code


@bp.context_processor
def helpers() -> dict:
    """Give every admin template the language, the masking and time helpers, and the labels."""
    return {
        "OPEN_STATUSES": OPEN_STATUSES,
        "lang": current_lang(),
        "lang_url": lang_url,
        "phone": phone,
        "private": private,
        "when": when,
        "waited": waited,
        "duration": duration,
        "may_edit": may_edit(),
        "shows_phones": shows_phones(),
        "places_calls": current_app.config.get("HOTLINE_PLACES_CALLS", True),
        "poll_seconds": current_app.config["ADMIN_POLL_SECONDS"],
        "STATUS": STATUS,
        "CATEGORY": CATEGORY,
        "CHANNEL": CHANNEL,
        "EVENT": EVENT,
        "event_note": event_note,
        "ACT_KIND": ACT_KIND,
        "OUTBOX": OUTBOX,
        "LANE": LANE,
        "KIND": KIND,
        "CARRIER": CARRIER,
        "PURPOSE": PURPOSE,
        "VIA": VIA,
        "DELIVERY": DELIVERY,
        "ROLE": ROLE,
        "VOLUNTEER_ROLE": VOLUNTEER_ROLE,
        "FLAG": FLAG,
        "CHECK_IN": CHECK_IN,
        "LANGUAGE": LANGUAGE,
        "import_reason": import_reason,
    }
