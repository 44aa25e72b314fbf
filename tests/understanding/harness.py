"""The labelled message corpus, run through the real hotline, line by line, and judged.

Each line of `tests/data/messages/*.jsonl` is a message as people send it, who sends it (`from`)
and what a careful human dispatcher would decide (`expect`). `Compound` texts each message to the
hotline through its signed SMS webhook, on a SQLite file laid anew for every line from a template
of the sender's situation, and reads back what the hotline did: the requests it filed or changed,
whom it alerted, what it answered. `judge` compares that with the label, field by field.

Situations (`from`):
- new        a number the hotline does not know
- resident   Mrs Gu (12-302) on the roster, nothing open
- asker      Mrs Gu with one open request, #41 (food, accepted by the volunteer 李明)
- delivered  Mrs Gu whose request #41 was delivered an hour ago
- volunteer  李明, volunteer of building 12: #127 and #128 wait for him to accept, #20 and #21 he took
- voice, voice_asker   said at the phone's main menu by a new caller (voice_asker: with one request open,
             made on an earlier call), read by tests/understanding/test_spoken.py

A message that repeats an open request of its flat and kind is made and folded into that request at
once (`repeat`, with the number it was folded into): no new request for a volunteer. A message that
files a request and changes others (a volunteer's "nobody answered, left it at the door" marks the job
delivered and raises a welfare check) names the requests it changed in `numbers`; an answer about requests
(status, a follow-up) names those it tells of.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from hotline import clock, create_app, texts
from hotline.clock import Clock
from hotline.domain import roster, transitions
from hotline.domain.policy import Policy
from hotline.extensions import db
from hotline.models import (
    Category,
    Channel,
    Conversation,
    EventKind,
    Lane,
    Outbox,
    Request,
    RequestEvent,
    Resident,
    Status,
    Volunteer,
)
from tests.helpers import Phone

CORPUS = Path(__file__).resolve().parents[1] / "data" / "messages"
FROM = ("new", "resident", "asker", "delivered", "volunteer")
CALLERS = ("voice", "voice_asker")  # said at the phone menu: tests/understanding/test_spoken.py
KINDS = ("need", "emergency", "crisis", "welfare", "question", "rumour", "spam", "follow_up", "thanks", "cancel",
         "not_received", "status", "accept", "done", "decline", "list", "off", "on", "help_text", "repeat", "grave")
FIELDS = ("kind", "request", "category", "urgent", "building", "room", "reply_lang", "numbers")

STRANGER = "+8613700005555"
GU = "+8613800001302"  # Mrs Gu, 12-302
LI_MING = "+8613900001201"  # volunteer of building 12
WANG = "+8613900001202"  # the other volunteer of building 12
COORDINATOR = "+8613900000001"
VOLUNTEERS = f"""name,phone,buildings,languages,role
李明,{LI_MING},12,zh;en,volunteer
王强,{WANG},12,zh,volunteer
张敏,+8613900000051,5,zh;en,volunteer
Chen Jie,+8613900000071,7,en;zh,volunteer
孙红,{COORDINATOR},,zh;en,coordinator
"""
RESIDENTS = f"""name,phone,building,room,language,flags
顾阿姨,{GU},12,302,zh,elderly
"""

# What the hotline's answer says it did, by the message id it answered with.
ANSWERED = {
    "resident.status_none": "status", "resident.status_head": "status", "resident.thanks": "thanks",
    "sms.help": "help_text", "sms.help_known": "help_text", "volunteer.list_empty": "list",
    "volunteer.list_line": "list", "resident.not_delivered": "status", "resident.status_line": "status",
    "resident.nudged": "follow_up", "resident.nudged_coordinator": "follow_up",
    "resident.nothing_to_cancel": "cancel", "sms.hearsay": "rumour",
    "volunteer.on": "on", "volunteer.off": "off", "volunteer.words": "help_text", "volunteer.already_yours": "accept",
}
# Kinds a dispatcher would count as the same answer: "any update?" is answered with the status.
SAME = {("follow_up", "status"), ("status", "follow_up")}
# A word that fits several open jobs or requests is rightly answered "which one?" (numbers are then
# still compared where the label names them).
SAME |= {("which", kind) for kind in ("accept", "done", "decline", "cancel", "not_received")}


@dataclass(frozen=True)
class Line:
    """One labelled message."""

    file: str
    number: int
    text: str
    sender: str
    expect: dict
    why: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.number}"


def load(path: Path) -> list[Line]:
    """Read one corpus file; a malformed line is an error naming its place."""
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        item = json.loads(raw)
        line = Line(path.name, number, item["text"], item["from"], item["expect"], item.get("why", ""))
        if line.sender not in FROM + CALLERS:
            raise ValueError(f"{line.where}: unknown `from` {line.sender!r}")
        unknown = set(line.expect) - set(FIELDS)
        if unknown or line.expect.get("kind", "need") not in KINDS:
            raise ValueError(f"{line.where}: unknown expectation {sorted(unknown) or line.expect['kind']!r}")
        lines.append(line)
    return lines


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.jsonl"))


@dataclass
class Outcome:
    """What the hotline did with one message."""

    kind: str = "other"
    request: bool = False
    category: str | None = None
    urgent: bool = False
    building: int | None = None
    room: str | None = None
    reply_lang: str | None = None
    numbers: list[int] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)  # the message ids of the replies
    routed_to_volunteer: bool = False

    def value(self, name: str):
        return getattr(self, name)


def judge(line: Line, outcome: Outcome) -> list[str]:
    """The fields on which the hotline and the dispatcher disagree, as `field: got X, want Y`."""
    wrong = []
    for name, want in line.expect.items():
        got = outcome.value(name)
        if name == "kind" and (got, want) in SAME:
            continue
        if name == "numbers":
            got, want = sorted(got), sorted(want)
        if name == "room" and want is not None:
            want = str(want)
        if got != want:
            wrong.append(f"{name}: got {got!r}, want {want!r}")
    return wrong


ARTIFACTS = CORPUS.parents[2] / "test-artifacts" / "understanding"


def agreement(record_property, name: str, count: int, wrong: list[str], more: str) -> float:
    """Record a kind's agreement (`count` lines, `wrong` of them judged otherwise) for the summary `make test`
    prints, with `more` after it, and write its disagreements to test-artifacts/understanding/<name>.txt."""
    agreed = 1 - len(wrong) / count
    label = name.replace("voice-", "voice ")
    record_property("agreement", f"{label:<22} {agreed:7.1%}  ({count - len(wrong)}/{count}), {more}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.txt").write_text("\n".join(wrong) + "\n", encoding="utf-8")
    return agreed


class Compound:
    """The hotline on a SQLite file, with a template of each sender's situation to start from."""

    def __init__(self, folder: Path, env: dict[str, str], clock: Clock):
        self.folder = folder
        self.live = folder / "live.db"
        self.app = create_app({"ENV": {**env, "DATABASE_URL": f"sqlite:///{self.live}"}, "TESTING": True}, clock=clock)
        self.client = self.app.test_client()
        self.templates: dict[str, Path] = {}
        with self.app.app_context():
            db.create_all()
            from hotline.cli import sync_buildings

            sync_buildings()
            policy = Policy.from_config(self.app.config)
            for importer, data in ((roster.import_volunteers, VOLUNTEERS), (roster.import_residents, RESIDENTS)):
                report = importer(db.session, policy, data.encode())
                assert not report.errors, report.errors
            db.session.commit()
            self._save("new")
            self._save("resident")
            self._with_requests(policy, [(41, Status.ACCEPTED, LI_MING)], "asker")
            self._reset()
            self._with_requests(policy, [(41, Status.DELIVERED, LI_MING)], "delivered")
            self._reset()
            self._with_requests(policy, [(127, Status.ASSIGNED, LI_MING), (128, Status.ASSIGNED, LI_MING),
                                         (20, Status.ACCEPTED, LI_MING), (21, Status.ACCEPTED, LI_MING)],
                                "volunteer")

    # -- templates -------------------------------------------------------------------------------

    def _save(self, name: str) -> None:
        path = self.folder / f"{name}.db"
        path.unlink(missing_ok=True)
        db.session.commit()
        connection = db.engine.raw_connection()  # VACUUM runs outside a transaction
        try:
            connection.driver_connection.execute("VACUUM INTO ?", (str(path),))
        finally:
            connection.close()
        self.templates[name] = path

    def _reset(self) -> None:
        self._lay(self.templates["resident"])

    def _lay(self, template: Path) -> None:
        """Put the live database back to `template`."""
        db.session.remove()
        db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.live}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, self.live)

    def _with_requests(self, policy: Policy, jobs: list[tuple[int, Status, str]], name: str) -> None:
        """Mrs Gu's request(s) (the volunteer's jobs are all from 12-302 too), in the states given."""
        gu = db.session.scalar(select(Resident).filter_by(phone=GU))
        now = clock.now()
        for number, status, volunteer_phone in jobs:
            volunteer = db.session.scalar(select(Volunteer).filter_by(phone=volunteer_phone))
            request = Request(id=number, category=Category.FOOD, household=gu.household, resident=gu,
                              requester_phone=GU, requester_name=gu.name, details="买菜 鸡蛋 青菜",
                              language="zh", channel=Channel.SMS, status=status, volunteer=volunteer,
                              created_at=now - timedelta(hours=3), assigned_at=now - timedelta(hours=3))
            if status in (Status.ACCEPTED, Status.DELIVERED):
                request.accepted_at = now - timedelta(hours=2)
            if status == Status.DELIVERED:
                request.delivered_at = request.closed_at = now - timedelta(hours=1)
            db.session.add(request)
            transitions.record(request, EventKind.CREATED, transitions.RESIDENT_BY_SMS, note=request.details)
        db.session.flush()
        self._save(name)

    # -- one message -----------------------------------------------------------------------------

    def run(self, line: Line) -> Outcome:
        """Text the line's message from its sender's situation; read back what the hotline did."""
        with self.app.app_context():
            self._lay(self.templates[line.sender])
        number = {"new": STRANGER, "volunteer": LI_MING}.get(line.sender, GU)
        with self.app.app_context():
            before = {r.id: (r.status, r.volunteer_id) for r in db.session.scalars(select(Request))}
            events_before = db.session.scalar(select(db.func.max(RequestEvent.id))) or 0
            outbox_before = db.session.scalar(select(db.func.max(Outbox.id))) or 0
            on_duty = db.session.scalar(select(Volunteer.on_duty).filter_by(phone=LI_MING))
        replies = Phone(self.app, self.client, number).text(line.text)
        with self.app.app_context():
            return self._read(before, events_before, outbox_before, on_duty, replies)

    def _read(self, before: dict, events_before: int, outbox_before: int, on_duty: bool,
              replies: list[str]) -> Outcome:
        out = Outcome(replies=replies, answered=[m for r in replies for m in message_ids(r)])
        out.reply_lang = _language(replies)
        new = list(db.session.scalars(select(Request).where(Request.id.not_in(before or [0]))))
        events = list(db.session.scalars(select(RequestEvent).where(RequestEvent.id > events_before)))
        alerts = list(db.session.scalars(select(Outbox).where(Outbox.id > outbox_before)))
        coordinator_alerted = any(a.to == COORDINATOR for a in alerts)
        state = {}
        if not new:
            conversation = db.session.scalar(select(Conversation).where(Conversation.key.like("sms:%")))
            state = conversation.state if conversation else {}
        folded_into = sorted({e.request_id for e in events if e.kind == "merged_in"})
        if new and folded_into:  # a repeat of an open request, folded into it as it was made
            out.kind, out.numbers = "repeat", folded_into
            out.category, out.urgent = new[0].category.value, new[0].urgent
            out.building, out.room = new[0].household.building, new[0].household.room
            new = []
        elif new:
            out.numbers = sorted({e.request_id for e in events if e.kind in CHANGED and e.request_id in before})
            request = new[0]
            out.request, out.category, out.urgent = True, request.category.value, request.urgent
            out.building, out.room = request.household.building, request.household.room
            out.kind = "emergency" if request.emergency else "welfare" if out.category == "welfare" else "need"
            out.routed_to_volunteer = request.volunteer is not None and request.volunteer.role.value == "volunteer"
        elif state.get("category") or state.get("asks") or state.get("alerted"):
            out.request = True  # a need whose address is being asked for
            out.category, out.urgent = state.get("category"), bool(state.get("urgent"))
            out.building, out.room = state.get("building"), state.get("room")
            out.kind = "emergency" if state.get("alerted") else "welfare" if out.category == "welfare" else "need"
        if "sms.emergency_call_first" in out.answered or "sms.created_emergency" in out.answered:
            out.kind = "emergency" if coordinator_alerted else "emergency_unalerted"
        if any(m.startswith("sms.crisis") or m == "sms.grave" for m in out.answered):
            out.kind = "grave" if "sms.grave" in out.answered else "crisis"  # grave: a coordinator reads it now
            if not new:  # no household known: the coordinators have it, urgently
                out.request = out.urgent = any(a.to == COORDINATOR and a.lane == Lane.URGENT for a in alerts)
        if out.kind == "other":
            out.kind, out.numbers = _changed(before, events, on_duty, out.answered)
        if out.kind in ("status", "follow_up"):  # the requests the answer tells of
            out.numbers = sorted({int(number) for reply in replies for number in re.findall(r"#(\d+)", reply)})
        if not new and (nudged := [e.request for e in events if e.kind == "nudged"]):
            out.urgent = any(r.urgent for r in nudged)  # asked after, urgently: the request became urgent
        return out


CHANGED = {"accepted": "accept", "delivered": "done", "declined": "decline", "cancelled": "cancel",
           "reopened": "not_received"}  # a change to a request, as the kind of message that asks for it


def _changed(before: dict, events: list[RequestEvent], on_duty: bool, answered: list[str]) -> tuple[str, list[int]]:
    """What a message that filed nothing did: changed requests, duty, or only answered."""
    changed = [(CHANGED[e.kind], e.request_id) for e in events if e.kind in CHANGED]
    if changed:  # the last change says what was asked: DONE on a job not yet taken takes it, then delivers it
        return changed[-1][0], sorted({n for _, n in changed})
    now_on_duty = db.session.scalar(select(Volunteer.on_duty).filter_by(phone=LI_MING))
    if now_on_duty != on_duty:
        return ("on" if now_on_duty else "off"), []
    if {"volunteer.which", "resident.which_number"} & set(answered):  # it lists the choices, too
        return "which", []
    if {"volunteer.list_to_accept", "volunteer.list_taken"} & set(answered):  # its lines look like others'
        return "list", []
    for msgid in answered:
        if msgid in ANSWERED:
            return ANSWERED[msgid], []
        if msgid.startswith("sms.") and msgid.split(".")[1] in KINDS:
            return msgid.split(".")[1], []
    return ("spam" if not answered else "other"), []  # kept, and answered with nothing: spam


def _language(replies: list[str]) -> str | None:
    if not replies:
        return None
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for r in replies for ch in r) else "en"


_PATTERNS: dict[str, list[re.Pattern]] = {}


def message_ids(reply: str) -> Iterator[str]:
    """The catalog messages a reply is made of (a placeholder matches anything)."""
    if not _PATTERNS:
        for lang in texts.LANGUAGES:
            for msgid, rendered in texts.catalog(lang)._catalog.items():
                if isinstance(msgid, str) and msgid and rendered:
                    pattern = re.escape(rendered)
                    pattern = re.sub(r"\\\{\w+\\\}", "(?:.|\n)*?", pattern)
                    _PATTERNS.setdefault(msgid, []).append(re.compile(pattern))
    for msgid, patterns in _PATTERNS.items():
        if any(p.search(reply) for p in patterns) and len(_PATTERNS[msgid][0].pattern) > 12:
            yield msgid
