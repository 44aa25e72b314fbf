"""Phone numbers as people write them, stored in E.164."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

# How a phone number is written: digits, a leading `+`, spaces, dashes, dots and brackets. Anything
# else in Twilio's `From` is another channel's address (`client:alice`, `whatsapp:+86…`, `sip:…`)
# or a sender ID, which phonenumbers would otherwise read a number out of.
DIALLED = re.compile(r"\+?[\d\s().-]+")


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


def valid(raw: str, region: str) -> str | None:
    """Return the number in E.164 when it is a number someone can have (`12345` is possible in
    length, not a number anyone is given); else None. For numbers a coordinator writes down."""
    number = normalize(raw, region)
    return number if number and phonenumbers.is_valid_number(phonenumbers.parse(number)) else None


def sender(raw: str, region: str) -> str | None:
    """Return the number a message or call came from in E.164; None when `From` is no phone number
    (another channel's address, a sender ID, garbage)."""
    raw = raw.strip()
    return normalize(raw, region) if DIALLED.fullmatch(raw) else None


# What Twilio puts in `From` when the caller's number is withheld: words, or these stand-in numbers
# (anonymous, restricted, blocked, unknown, unavailable). Nobody can be called back on them.
HIDDEN = {"anonymous", "restricted", "blocked", "unknown", "unavailable", "private",
          "+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}


def caller(raw: str, region: str) -> str:
    """The caller's number in E.164; "" when it is withheld or is no phone number, as a `client:` or
    `sip:` caller's is (no callback, no requests read out to them)."""
    raw = raw.strip()
    if raw.lower() in HIDDEN:
        return ""
    number = sender(raw, region)
    return "" if number is None or number in HIDDEN else number


def is_landline(e164: str) -> bool:
    """Tell whether a number cannot receive SMS (a fixed line, as phonenumbers knows it)."""
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False
    return kind == PhoneNumberType.FIXED_LINE


def mask(number: str | None) -> str:
    """Hide all but the country code and the last four digits: `+86*******8000`, for logs and for
    those who may not see numbers (`-` for none; a number too short to show its country code too
    shows the last four digits alone: `+**1234`)."""
    number = (number or "").strip()
    if not number:
        return "-"
    plus = number.startswith("+")
    digits = number[1:] if plus else number
    if len(digits) <= 4:
        return "*" * len(number)
    country = 0
    if plus and digits.isdigit():
        # Country codes are prefix-free, 1 to 3 digits long: the first known prefix is the one.
        country = next((n for n in (1, 2, 3) if int(digits[:n]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE), 0)
        if len(digits) - country <= 4:
            country = 0
    return number[: int(plus) + country] + "*" * (len(digits) - country - 4) + digits[-4:]
