"""Fail when a people-facing sentence is missing, empty, or uncompiled in a catalog.

Checks, for the `hotline` domain: every message id used in the code (`t(lang, "…")`, `N_("…")`)
is in the zh_Hans and en catalogs with a non-empty translation; no catalog holds an id the code
does not use; both languages use the same `{placeholders}`; the compiled .mo matches the .po.

And, separately, for the `messages` domain (the admin pages, English source ids, extracted as
babel.cfg says): locales/messages.pot is up to date with the code; the zh_Hans and en catalogs
hold exactly its ids; every zh_Hans string is translated (not fuzzy) with the same `%(name)s` and
`{name}` placeholders as its id; each compiled .mo matches its .po.
"""

from __future__ import annotations

import io
import re
import string
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("zh_Hans", "en")
KEYWORDS = {"t": (2,), "N_": None}


def used_ids() -> set[str]:
    """Collect the message ids the code uses."""
    ids = set()
    for folder in ("hotline", "ivr_flows"):
        path = ROOT / folder
        if path.exists():
            for _file, _line, message, _comments, _context in extract_from_dir(
                path, method_map=[("**.py", "python")], keywords=KEYWORDS
            ):
                ids.add(message if isinstance(message, str) else message[0])
    for flow in (ROOT / "ivr_flows").glob("*.json"):
        import json

        ids.update(_flow_ids(json.loads(flow.read_text(encoding="utf-8"))))
    return ids


def _flow_ids(node) -> set[str]:
    """Message ids named in a flow file: every string value under a `prompt`/`prompts` key."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("prompt", "prompts"):
                found.update([value] if isinstance(value, str) else [v for v in value if isinstance(v, str)])
            else:
                found |= _flow_ids(value)
    elif isinstance(node, list):
        for item in node:
            found |= _flow_ids(item)
    return found


def fields(text: str) -> set[str]:
    """Return the `{placeholders}` of a sentence."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


MESSAGES_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
                     "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
_FORMAT = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")


def admin_ids() -> set[str]:
    """Extract the admin pages' message ids (the `messages` domain) the way babel.cfg says."""
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = extract_from_dir(ROOT, method_map, options_map, keywords=MESSAGES_KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _file, _line, message, _c, _ctx in found}


def _placeholders(text) -> set[str]:
    texts = [text] if isinstance(text, str) else list(text)
    return {a or b for t in texts if t for a, b in _FORMAT.findall(t)}


def check_messages_domain() -> tuple[int, list[str]]:
    """Check the admin pages' catalogs; return how many ids the code uses and the problems found."""
    problems = []
    used = admin_ids()
    with (ROOT / "locales" / "messages.pot").open("rb") as f:
        template = {_key(m.id) for m in read_po(f) if m.id}
    if template != used:
        problems.append(f"messages: locales/messages.pot is out of date ({len(used - template)} new, "
                        f"{len(template - used)} gone): run `make translate-extract` and translate")
    for locale in LOCALES:
        po = ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            problems.append(f"messages/{locale}: {po.relative_to(ROOT)} is missing")
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        have = {_key(m.id): m for m in catalog if m.id}
        for msgid in sorted(used - have.keys()):
            problems.append(f"messages/{locale}: {msgid!r} is used in the code but missing")
        for msgid in sorted(have.keys() - used):
            problems.append(f"messages/{locale}: {msgid!r} is in the catalog but not used")
        if locale == "zh_Hans":
            for msgid, m in sorted(have.items()):
                strings = [m.string] if isinstance(m.string, str) else list(m.string)
                if m.fuzzy or not all(strings):
                    problems.append(f"messages/{locale}: {msgid!r} has no translation")
                elif _placeholders(m.string) != _placeholders(m.id):
                    problems.append(f"messages/{locale}: {msgid!r} has other placeholders than its id")
        mo = po.with_suffix(".mo")
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        if not mo.exists() or mo.read_bytes() != buffer.getvalue():
            problems.append(f"messages/{locale}: {mo.relative_to(ROOT)} is not compiled from the .po "
                            "(run `make catalogs`)")
    return len(used), problems


def _key(msgid) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def main() -> int:
    problems = []
    used = used_ids()
    catalogs = {}
    for locale in LOCALES:
        po = ROOT / "locales" / locale / "LC_MESSAGES" / "hotline.po"
        with po.open("rb") as f:
            catalogs[locale] = read_po(f, locale=locale)
        have = {m.id: m.string for m in catalogs[locale] if m.id}
        for msgid in sorted(used - have.keys()):
            problems.append(f"{locale}: {msgid} is used in the code but missing")
        for msgid in sorted(have.keys() - used):
            problems.append(f"{locale}: {msgid} is in the catalog but not used")
        for msgid, text in have.items():
            if not text:
                problems.append(f"{locale}: {msgid} has no translation")
        mo = po.with_suffix(".mo")
        buffer = io.BytesIO()
        write_mo(buffer, catalogs[locale])
        if not mo.exists() or mo.read_bytes() != buffer.getvalue():
            problems.append(f"{locale}: {mo.relative_to(ROOT)} is not compiled from the .po (run `make catalogs`)")
    zh = {m.id: m.string for m in catalogs["zh_Hans"] if m.id}
    for m in catalogs["en"]:
        if m.id and m.id in zh and fields(m.string) != fields(zh[m.id]):
            problems.append(f"{m.id}: placeholders differ between en and zh_Hans")
    for p in problems:
        print(p)
    print(f"catalogs: {len(used)} message ids, {len(problems)} problem(s)")
    admin_count, admin_problems = check_messages_domain()
    for p in admin_problems:
        print(p)
    print(f"catalogs (messages domain, admin pages): {admin_count} message ids, {len(admin_problems)} problem(s)")
    return 1 if problems or admin_problems else 0


if __name__ == "__main__":
    sys.exit(main())
