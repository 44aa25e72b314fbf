"""The admin pages' forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from hotline.domain import phones
from hotline.domain.parsing import whole_number

REQUIRED = _l("Please fill this in.")


def options(pairs) -> list[SelectChoice]:
    """Make a field's choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


ANSWER_MAX = 300  # characters of an answer to a question: at most five Chinese SMS segments


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


NO_TIME = "Not a valid datetime value."  # WTForms' own answer to a time it cannot read, in its own catalogs


class LocalTimeField(DateTimeLocalField):
    """A time typed in the compound's local time, as a browser's date-and-time box writes it. A year
    outside 2000-9998 is no time: the first and last days Python's calendar holds have none in UTC
    east (or west) of the compound, and no hotline acts before 2000."""

    def __init__(self, label, **kwargs):
        super().__init__(label, validators=[Optional()], format="%Y-%m-%dT%H:%M", **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not 2000 <= self.data.year <= 9998:
            self.data = None
            raise ValueError(self.invalid_value_message or self.gettext(NO_TIME))


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=256)])


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (log out, retry, on duty)."""


class AnswerForm(FlaskForm):
    """A coordinator's answer to a resident's question, sent by SMS (empty: answered another way)."""

    reply = TextAreaField(_l("Answer by SMS"), validators=[Optional(), Length(max=ANSWER_MAX)])


def phone_field(label):
    """A phone number as people write it, optional."""
    return StringField(label, validators=[Optional(), Length(max=40)])


def check_phone(field, region: str) -> str | None:
    """Normalise a phone field to E.164, or raise a validation error."""
    if not field.data or not field.data.strip():
        return None
    number = phones.valid(field.data.strip(), region)
    if number is None:
        raise ValidationError(_l("This is not a phone number."))
    return number


def number_or_none(value) -> int | None:
    """Read a numbered choice (a building): its number, or None for the empty "choose" option."""
    return whole_number(str(value)) if value not in (None, "") else None


LANGUAGE_CHOICES = options([("zh", "中文"), ("en", "English")])
CATEGORY_CHOICES = options([("food", _l("Food")), ("medicine", _l("Medicine")), ("help", _l("Other help")),
                            ("welfare", _l("Welfare check"))])


class NewRequestForm(FlaskForm):
    """A request for someone at the gate or on the phone."""

    building = SelectField(_l("Building"), coerce=number_or_none, validators=[InputRequired(REQUIRED)])
    room = StringField(_l("Room"), validators=[DataRequired(REQUIRED), Length(max=32)])
    category = SelectField(_l("What is needed"), choices=CATEGORY_CHOICES)
    details = TextAreaField(_l("Details"), validators=[Optional(), Length(max=4000)])
    drug = StringField(_l("Medicine name"), validators=[Optional(), Length(max=120)])
    runs_out = StringField(_l("Runs out"), validators=[Optional(), Length(max=60)])
    urgent = BooleanField(_l("Urgent"))
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    phone = phone_field(_l("Phone number (to confirm the request number)"))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class ReassignForm(FlaskForm):
    """Give a request to another volunteer (or to whoever routing picks)."""

    volunteer = SelectField(_l("Give it to"), coerce=str)
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class StatusForm(FlaskForm):
    """Move a request to another status, for a reason."""

    status = SelectField(_l("New status"), validators=[DataRequired(REQUIRED)])
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=500)])


class NoteForm(FlaskForm):
    """A note on the timeline."""

    note = TextAreaField(_l("Note"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class PaidForm(FlaskForm):
    """Mark paid or not."""

    paid = HiddenField(validators=[DataRequired()])


class UrgentForm(FlaskForm):
    """Mark urgent or not."""

    urgent = HiddenField(validators=[DataRequired()])


class DetailsForm(FlaskForm):
    """What the request asks for, as text (e.g. typed from the voice message)."""

    details = TextAreaField(_l("Details"), validators=[Optional(), Length(max=4000)])


class VolunteerForm(FlaskForm):
    """A volunteer's or coordinator's record."""

    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    phone = StringField(_l("Phone number"), validators=[DataRequired(REQUIRED), Length(max=40)])
    buildings = StringField(_l("Buildings (e.g. 12;13)"), validators=[Optional(), Length(max=200)])
    languages = MultiCheckboxField(_l("Languages"), choices=LANGUAGE_CHOICES)
    role = SelectField(_l("Role"), choices=options([("volunteer", _l("Volunteer")),
                                                            ("coordinator", _l("Coordinator"))]))


class ResidentForm(FlaskForm):
    """A resident's record."""

    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    phone = StringField(_l("Phone number"), validators=[DataRequired(REQUIRED), Length(max=40)])
    building = SelectField(_l("Building"), coerce=int, validators=[InputRequired(REQUIRED)])
    room = StringField(_l("Room"), validators=[DataRequired(REQUIRED), Length(max=32)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    flags = MultiCheckboxField(_l("Flags"))
    prefers_voice = BooleanField(_l("Prefers calls to SMS"))
    check_in = SelectField(
        _l("Daily check-in call"),
        choices=options([("", _l("If elderly and living alone")), ("yes", _l("Yes")), ("no", _l("No"))]),
        validators=[Optional()],
    )


class ImportForm(FlaskForm):
    """A CSV file to import."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Please choose a file."))])


def _words_and_a_way(form) -> bool:
    """Ask an announcement's form for some text and a way to send; False, with the fields' errors, without them."""
    ok = True
    if not (form.text_zh.data or "").strip() and not (form.text_en.data or "").strip():
        form.text_zh.errors = [*form.text_zh.errors, _l("Write the announcement in at least one language.")]
        ok = False
    if not (form.by_sms.data or form.by_call.data):
        form.by_sms.errors = [*form.by_sms.errors, _l("Choose SMS, voice call, or both.")]
        ok = False
    return ok


class BroadcastForm(FlaskForm):
    """An announcement to chosen buildings."""

    broadcast_id = HiddenField()
    text_zh = TextAreaField(_l("Text in Chinese"), validators=[Optional(), Length(max=1600)])
    text_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=1600)])
    buildings = MultiCheckboxField(_l("Buildings"), coerce=int)
    by_sms = BooleanField(_l("By SMS"), default=True)
    by_call = BooleanField(_l("By voice call"))
    offer_item = StringField(_l("Group buy: what is offered (optional)"), validators=[Optional(), Length(max=120)])
    offer_deadline = LocalTimeField(_l("Joins close at"))
    send_at = LocalTimeField(_l("Send at (empty: now)"))

    now: datetime | None = None  # the compound's local time, naive as the fields are: set by the view

    def validate(self, extra_validators=None) -> bool:
        """Also ask for some text, a building, and a way to send; an offer needs its deadline; a time to send at
        must be to come, and before joins close."""
        ok = super().validate(extra_validators)
        if self.now is not None and self.send_at.data is not None:
            if self.send_at.data <= self.now:
                later = _l("Choose a time to come, or leave it empty to send now.")
                self.send_at.errors = [*self.send_at.errors, later]
                ok = False
            elif self.offer_deadline.data is not None and self.offer_deadline.data <= self.send_at.data:
                self.offer_deadline.errors = [*self.offer_deadline.errors, _l("Joins must close after it is sent.")]
                ok = False
        if (self.offer_item.data or "").strip() and not self.offer_deadline.data:
            self.offer_deadline.errors = [*self.offer_deadline.errors, _l("Say when joins close.")]
            ok = False
        if not self.buildings.data:
            self.buildings.errors = [*self.buildings.errors, _l("Choose at least one building.")]
            ok = False
        return _words_and_a_way(self) and ok


WEEKDAYS = options([("1", _l("Mon")), ("2", _l("Tue")), ("3", _l("Wed")), ("4", _l("Thu")), ("5", _l("Fri")),
                    ("6", _l("Sat")), ("7", _l("Sun"))])


def _minute_of_day(field) -> int | None:
    """Read `09:30` as minutes after midnight; None (and the field's error) for anything else."""
    hours, _, minutes = (field.data or "").strip().partition(":")
    h, m = whole_number(hours, 2), whole_number(minutes, 2)
    if h is None or m is None or h > 23 or m > 59:
        field.errors = [*field.errors, _l("Write a time as 09:30.")]
        return None
    return h * 60 + m


def _bounded(field, low: int, high: int) -> int | None:
    """Read a whole number from `low` to `high`; None (and the field's error) for anything else."""
    number = whole_number((field.data or "").strip(), 4)
    if number is None or not low <= number <= high:
        field.errors = [*field.errors, _l("Write a whole number from %(low)s to %(high)s.", low=low, high=high)]
        return None
    return number


class CheckInPlanForm(FlaskForm):
    """When the daily check-in calls go out, and when someone counts as not heard from."""

    enabled = BooleanField(_l("Place the daily check-in calls"))
    start = StringField(_l("From (local time)"), validators=[Length(max=5)])
    end = StringField(_l("Until"), validators=[Length(max=5)])
    days = MultiCheckboxField(_l("On these days"), choices=WEEKDAYS, validate_choice=False)  # read() checks
    retry_minutes = StringField(_l("Minutes before the second call"), validators=[Length(max=4)])
    silent_days = StringField(_l("Days before someone living alone counts as not heard from"),
                              validators=[Length(max=4)])

    def read(self) -> dict | None:
        """Validate and return the plan's values (minutes of the day, ISO weekdays); None with the errors."""
        if not self.validate():
            return None
        values = {"start_minute": _minute_of_day(self.start), "end_minute": _minute_of_day(self.end),
                  "retry_minutes": _bounded(self.retry_minutes, 1, 720),
                  "silent_days": _bounded(self.silent_days, 1, 60)}
        if None in values.values():
            return None
        if values["start_minute"] >= values["end_minute"]:
            self.end.errors = [*self.end.errors, _l("The calls end after they start.")]
            return None
        days = set(self.days.data or ())
        if not days or not days <= {c.value for c in WEEKDAYS}:
            self.days.errors = [*self.days.errors, _l("Choose at least one day.")]
            return None
        return {**values, "enabled": bool(self.enabled.data), "days": "".join(sorted(days))}


class RoundForm(FlaskForm):
    """A round of check-in calls to the residents of a filtered list, now or at a chosen time."""

    when = LocalTimeField(_l("When (empty: now)"))


class ListBroadcastForm(FlaskForm):
    """An announcement to the residents of a filtered list."""

    broadcast_id = HiddenField()
    text_zh = TextAreaField(_l("Text in Chinese"), validators=[Optional(), Length(max=1600)])
    text_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=1600)])
    by_sms = BooleanField(_l("By SMS"), default=True)
    by_call = BooleanField(_l("By voice call"))

    def validate(self, extra_validators=None) -> bool:
        """Also ask for some text and a way to send."""
        ok = super().validate(extra_validators)
        return _words_and_a_way(self) and ok
