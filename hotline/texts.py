"""Every sentence a resident, relative or volunteer reads or hears, in their language.

Sentences are message ids (`sms.created`) in the `hotline` domain of the Babel catalogs under
`locales/`, rendered with `babel.support.Translations`; `{name}` placeholders are filled with
`str.format`, so what people write can never be read as a format.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"
LOCALES = {"zh": "zh_Hans", "en": "en"}
LANGUAGES = tuple(LOCALES)
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


@cache
def catalog(lang: str) -> Translations:
    """Load the compiled catalog of `zh` or `en`; a missing one is an installation error."""
    locale = LOCALES[lang]
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "hotline.mo"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make catalogs`")
    return Translations.load(LOCALE_DIR, [locale], domain="hotline")


def supported(lang: str | None) -> str:
    """`lang` if the hotline speaks it, else the compound's own language, Chinese."""
    return lang if lang in LOCALES else "zh"


def t(lang: str, msgid: str, **params: object) -> str:
    """Render message `msgid` in `lang` (`zh` or `en`, anything else reads as `zh`)."""
    text = catalog(supported(lang)).gettext(msgid)
    return text.format(**params) if params else text


def language_name(lang: str, code: str) -> str:
    """The name in `lang` of the language whose ISO 639-1 code is `code` (`TR`: "土耳其语", "Turkish"), as the
    coordinators read which language a message came in; the code itself where Babel names none."""
    try:
        return Locale.parse(code.lower()).get_language_name(LOCALES[supported(lang)]) or code
    except (ValueError, UnknownLocaleError):
        return code


def segments(text: str) -> int:
    """Count the SMS segments `text` takes (GSM-7: 160/153 characters, else UCS-2: 70/67)."""
    gsm = all(ch in GSM7 for ch in text)
    single, multi = (160, 153) if gsm else (70, 67)
    if gsm:  # the escape characters take two septets
        length = len(text) + sum(ch in "^{}\\[~]|€" for ch in text)
    else:  # characters beyond the BMP (emoji) take two UCS-2 units
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    return 1 if length <= single else -(-length // multi)


def N_(msgid: str) -> str:
    """Mark a message id that code builds at run time, so the catalog check finds it."""
    return msgid


BUILT_AT_RUN_TIME = (
    N_("category.food"), N_("category.medicine"), N_("category.help"), N_("category.welfare"),
    N_("status.new"), N_("status.assigned"), N_("status.accepted"), N_("status.delivered"), N_("status.cancelled"),
    N_("word.cancel"), N_("word.not_received"), N_("word.accept"), N_("word.done"), N_("word.decline"),
    N_("word.unanswered"),
    N_("resident.is_delivered"), N_("resident.is_cancelled"),
    N_("volunteer.is_new"), N_("volunteer.is_assigned"), N_("volunteer.is_accepted"), N_("volunteer.is_delivered"),
    N_("volunteer.is_cancelled"),
)
