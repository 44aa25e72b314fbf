"""Phone numbers as people write them, stored in E.164."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType


def normalize(raw: str, region: str) -> str | None:
    """Return the number in E.164, or None when it is not a possible phone number."""
    if not raw or len(raw) > 40:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# What Twilio puts in `From` when the caller's number is withheld: words, or these stand-in numbers
# (anonymous, restricted, blocked, unknown, unavailable). Nobody can be called back on them.
HIDDEN = {"anonymous", "restricted", "blocked", "unknown", "unavailable", "private",
          "+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}


def caller(raw: str, region: str) -> str:
    """The caller's number in E.164; "" when it is withheld or is no phone number (no callback, no
    requests read out to them)."""
    raw = raw.strip()
    if raw.lower() in HIDDEN:
        return ""
    number = normalize(raw, region)
    return "" if number is None or number in HIDDEN else number


def is_landline(e164: str) -> bool:
    """Tell whether a number cannot receive SMS (a fixed line, as phonenumbers knows it)."""
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False
    return kind == PhoneNumberType.FIXED_LINE


def mask(number: str | None) -> str:
    """Hide all but the country code and the last four digits: `+86*******8000`."""
    if not number:
        return "-"
    digits = number.lstrip("+")
    if len(digits) <= 6:
        return "*" * len(number)
    try:
        country = str(phonenumbers.parse(number, None).country_code)
    except phonenumbers.NumberParseException:
        country = digits[:2]
    hidden = len(digits) - len(country) - 4
    return f"+{country}{'*' * hidden}{digits[-4:]}"
