"""Fail when a people-facing sentence is missing, empty, or uncompiled in a catalog.

Checks, for the `hotline` domain: every message id used in the code (`t(lang, "…")`, `N_("…")`)
is in the zh_Hans and en catalogs with a non-empty translation; no catalog holds an id the code
does not use; both languages use the same `{placeholders}`; the compiled .mo matches the .po.
"""

from __future__ import annotations

import io
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
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
