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
