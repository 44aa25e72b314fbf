"""Volunteers and residents from CSV files: good rows imported, bad rows reported by line."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.domain import phones
from hotline.domain.parsing import whole_number
from hotline.domain.policy import Policy
from hotline.domain.requests import household
from hotline.domain.spreadsheet import uncell
from hotline.models import Building, Resident, Role, Volunteer, VolunteerBuilding

VOLUNTEER_COLUMNS = ("name", "phone", "buildings", "languages", "role")
RESIDENT_COLUMNS = ("name", "phone", "building", "room", "language", "flags")
FLAGS = ("elderly", "alone", "mobility", "chronic", "no_phone")  # Resident's boolean columns
LANGUAGES = ("zh", "en")
MAX_ROWS = 50_000


REASONS = {  # why a row is refused, in English; the admin pages show each code in the page's language
    "columns": "missing column(s): {columns}",
    "too_many": "more than {max} rows; the rest was not read",
    "fields": "wrong number of fields",
    "phone": "phone {value!r} is not a phone number",
    "phone_twice": "phone already on line {line}",
    "name_empty": "name is empty",
    "name_long": "name is longer than 120 characters",
    "building": "building {value!r} is not one of the compound's",
    "role": "role {value!r} is not volunteer or coordinator",
    "no_building": "a volunteer needs at least one building",
    "language": "language {value!r} is not zh or en",
    "room_empty": "room is empty",
    "room_long": "room is longer than 32 characters",
    "flag": "flag {value!r} is not one of {flags}",
}


class Reason(str):
    """Why a row was refused: the English sentence, with its code and values for other languages."""

    code: str
    params: dict

    def __new__(cls, code: str, **params: object) -> Reason:
        reason = super().__new__(cls, REASONS[code].format(**params))
        reason.code, reason.params = code, params
        return reason


@dataclass
class Report:
    """What an import did: rows added and updated, and each bad row's line and reason."""

    added: int = 0
    updated: int = 0
    errors: list[tuple[int, Reason]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Describe the import for a person, one line each."""
        out = [f"line {line}: {reason}" for line, reason in self.errors]
        out.append(f"{self.added} added, {self.updated} updated, {len(self.errors)} rejected")
        return out


class BadRow(ValueError):
    """A row that cannot be imported, and why (a code of REASONS and its values)."""

    def __init__(self, code: str, **params: object):
        self.reason = Reason(code, **params)
        super().__init__(self.reason)


def decode(data: bytes) -> str:
    """Read a CSV file's bytes: UTF-8 (with or without BOM), else GB18030 as Chinese Excel writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _rows(text: str, columns: tuple[str, ...], report: Report, headers: dict[str, str] | None):
    reader = csv.DictReader(io.StringIO(text, newline=""))
    named = headers or {}
    header = [named.get(h.strip(), h.strip().lower()) for h in (reader.fieldnames or [])]
    missing = [c for c in columns if c not in header]
    if missing:
        report.errors.append((1, Reason("columns", columns=", ".join(missing))))
        return
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        if line > MAX_ROWS:
            report.errors.append((line, Reason("too_many", max=MAX_ROWS)))
            return
        if None in row or any(row.get(c) is None for c in columns):
            report.errors.append((line, Reason("fields")))
            continue
        yield line, {k: uncell((v or "").strip()) for k, v in row.items() if k}


def _phone(raw: str, policy: Policy) -> str:
    number = phones.valid(raw, policy.region)
    if not number:
        raise BadRow("phone", value=raw)
    return number


def _name(raw: str) -> str:
    if not raw:
        raise BadRow("name_empty")
    if len(raw) > 120:
        raise BadRow("name_long")
    return raw


def _building(raw: str, policy: Policy) -> int:
    number = whole_number(raw)
    if number not in policy.buildings:
        raise BadRow("building", value=raw)
    return number


def _split(raw: str) -> list[str]:
    return [p.strip().lower() for p in raw.replace(",", ";").split(";") if p.strip()]


def parse_buildings(raw: str, policy: Policy) -> list[int]:
    """Read `12;13` (or `12,13`) as the compound's buildings, each once; BadRow names one that is not."""
    return list(dict.fromkeys(_building(b, policy) for b in _split(raw)))


def ensure_buildings(session: Session, numbers) -> None:
    """Add the buildings the database does not have yet."""
    for number in numbers:
        if session.get(Building, number) is None:
            session.add(Building(number=number))


def import_volunteers(session: Session, policy: Policy, data: bytes, headers: dict[str, str] | None = None) -> Report:
    """Add or update volunteers from `name,phone,buildings,languages,role` (`headers`: other names of the
    columns, as an export in another language writes them)."""
    report, seen = Report(), {}
    for line, row in _rows(decode(data), VOLUNTEER_COLUMNS, report, headers):
        try:
            name, phone = _name(row["name"]), _phone(row["phone"], policy)
            if phone in seen:
                raise BadRow("phone_twice", line=seen[phone])
            role_raw = row["role"].lower() or "volunteer"
            if role_raw not in ("volunteer", "coordinator"):
                raise BadRow("role", value=row["role"])
            role = Role(role_raw)
            buildings = parse_buildings(row["buildings"], policy)
            if role == Role.VOLUNTEER and not buildings:
                raise BadRow("no_building")
            languages = _split(row["languages"]) or ["zh"]
            if unknown := [x for x in languages if x not in LANGUAGES]:
                raise BadRow("language", value=unknown[0])
        except BadRow as e:
            report.errors.append((line, e.reason))
            continue
        seen[phone] = line
        ensure_buildings(session, buildings)
        volunteer = session.scalar(select(Volunteer).filter_by(phone=phone))
        if volunteer is None:
            volunteer = Volunteer(phone=phone)
            session.add(volunteer)
            report.added += 1
        else:
            report.updated += 1
        volunteer.name, volunteer.role, volunteer.rank = name, role, line
        volunteer.languages = ";".join(dict.fromkeys(languages))
        volunteer.buildings = [VolunteerBuilding(building=b) for b in buildings]
        session.flush()
    return report


def import_residents(session: Session, policy: Policy, data: bytes, headers: dict[str, str] | None = None) -> Report:
    """Add or update residents from `name,phone,building,room,language,flags` (`headers` as for volunteers)."""
    report, seen = Report(), {}
    for line, row in _rows(decode(data), RESIDENT_COLUMNS, report, headers):
        try:
            name, phone = _name(row["name"]), _phone(row["phone"], policy)
            if phone in seen:
                raise BadRow("phone_twice", line=seen[phone])
            building = _building(row["building"], policy)
            room = row["room"]
            if not room or len(room) > 32:
                raise BadRow("room_empty" if not room else "room_long")
            language = row["language"].lower() or "zh"
            if language not in LANGUAGES:
                raise BadRow("language", value=row["language"])
            flags = _split(row["flags"])
            if unknown := [f for f in flags if f not in FLAGS]:
                raise BadRow("flag", value=unknown[0], flags=", ".join(FLAGS))
        except BadRow as e:
            report.errors.append((line, e.reason))
            continue
        seen[phone] = line
        resident = session.scalar(select(Resident).filter_by(phone=phone))
        if resident is None:
            resident = Resident(phone=phone)
            session.add(resident)
            report.added += 1
        else:
            report.updated += 1
        resident.name, resident.language = name, language
        resident.household = household(session, building, room)
        for flag in FLAGS:
            setattr(resident, flag, flag in flags)
        resident.prefers_voice = phones.is_landline(phone)
        session.flush()
    return report
