"""The labelled corpus judged without a database: each line is read (`message.read`) and decided
(`decide.decide`) with its sender's situation held in memory, and the decision is turned into the
`Outcome` the full-app harness reads back from the database, so `harness.judge` compares both the
same way.

The situations are those of `harness.Compound` (Mrs Gu at 12-302, her request #41, the volunteer
李明's jobs #127 #128 to accept and #20 #21 taken), built as objects no session holds. What `apply`
works out from the database after deciding (which one request a word without a number is about,
whether the coordinators are told) is read off the same situation here, as `apply` would find it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from hotline import clock
from hotline.domain import decide, message
from hotline.domain.decide import Decision, Gathering
from hotline.domain.parsing import Word
from hotline.domain.policy import Policy
from hotline.models import (
    OPEN_STATUSES,
    Category,
    Household,
    Request,
    Resident,
    Role,
    Status,
    Volunteer,
)
from tests.understanding.harness import ANSWERED, CHANGED, COORDINATOR, GU, KINDS, LI_MING, Line, Outcome

POLICY = Policy(buildings=frozenset(range(1, 37)), crisis_line="12356")  # as tests.conftest.hotline_env has it


@dataclass
class Situation:
    """A sender's situation in memory (`decide.Situation`)."""

    phone: str
    volunteer: Volunteer | None = None
    resident: Resident | None = None
    requests: list[Request] = field(default_factory=list)  # every request of the compound

    def conversation(self) -> dict | None:
        return None  # every line is a first message

    def conversation_changed(self) -> datetime | None:
        return None

    def recent_messages(self) -> int:
        return 0

    def change_asked(self) -> tuple[str, datetime] | None:
        return None

    def mine(self) -> list[Request]:
        return sorted((r for r in self.requests if r.requester_phone == self.phone), key=lambda r: r.id)

    def asked_ever(self) -> bool:
        return bool(self.mine())

    def open_requests(self) -> list[Request]:
        return [r for r in self.mine() if r.status in OPEN_STATUSES]

    def delivered_requests(self) -> list[Request]:
        return [r for r in self.mine() if r.status == Status.DELIVERED][:2]

    def jobs(self, states: tuple[Status, ...]) -> list[Request]:
        return sorted((r for r in self.requests if r.volunteer is self.volunteer and r.status in states),
                      key=lambda r: r.id)

    def numbered(self, number: int) -> Request | None:
        return next((r for r in self.mine() if r.id == number), None)

    def job(self, number: int) -> Request | None:
        return next((r for r in self.requests if r.id == number), None)

    def open_request_of(self, building: int, room: str, category: Category) -> Request | None:
        return next((r for r in sorted(self.requests, key=lambda r: r.id) if r.status in OPEN_STATUSES
                     and r.category == category and (r.household.building, r.household.room) == (building, room)),
                    None)

    def requests_today(self) -> int:
        return 0

    def offer(self) -> None:
        return None  # no group buy was offered

    def booked(self, offer) -> None:
        return None

    def now(self) -> datetime:
        return clock.now()

    def coordinator(self) -> Volunteer:
        return Volunteer(name="孙红", phone=COORDINATOR, languages="zh;en", role=Role.COORDINATOR, on_duty=True)


def situation(sender: str) -> Situation:
    """The situation `harness.Compound` lays for `sender` (new, resident, asker, delivered, volunteer)."""
    home = Household(building=12, room="302")
    gu = Resident(name="顾阿姨", phone=GU, household=home, language="zh")
    li_ming = Volunteer(name="李明", phone=LI_MING, languages="zh;en", role=Role.VOLUNTEER, on_duty=True)
    jobs = {"asker": [(41, Status.ACCEPTED)], "delivered": [(41, Status.DELIVERED)],
            "volunteer": [(127, Status.ASSIGNED), (128, Status.ASSIGNED), (20, Status.ACCEPTED),
                          (21, Status.ACCEPTED)]}.get(sender, [])
    made = [Request(id=n, category=Category.FOOD, household=home, requester_phone=GU, status=status, volunteer=li_ming)
            for n, status in jobs]
    if sender == "new":
        return Situation("+8613700005555", requests=made)
    if sender == "volunteer":
        return Situation(LI_MING, volunteer=li_ming, requests=made)
    return Situation(GU, resident=gu, requests=made)


def run(line: Line) -> Outcome:
    """Read and decide one line from its sender's situation; what the hotline would do, as `Outcome`."""
    who = situation(line.sender)
    said = message.read(message.normalise(line.text), POLICY.buildings)
    decision = decide.decide(said, who, POLICY)
    return outcome(decision, who, said)


def outcome(decision: Decision, who: Situation, said: message.Reading) -> Outcome:
    out = Outcome(reply_lang=decision.lang)
    match decision.act:
        case decide.Silence():
            out.reply_lang, opt = None, decision.opt
            out.kind = "off" if opt and opt.out and who.volunteer else "spam"
            if opt and opt.cancels:  # a bare CANCEL: the carrier's STOP, and their only request cancelled
                out.kind, out.numbers = "cancel", [opt.cancels.number]
        case decide.Answer(msgid):
            out.kind = _answered(msgid)
        case decide.Crisis(building=building, room=room, coordinator=coordinator, reply=reply):
            out.kind = "crisis" if reply == "sms.crisis" else "grave"  # grave: words read no surer, before a person
            out.request = out.urgent = True  # for a coordinator, or the coordinators told
            if coordinator is not None:
                out.category, out.building, out.room = Category.HELP.value, building, room
        case decide.Which():
            out.kind = "which"
        case decide.Noted():
            out.kind = "other"
        case decide.CheckOn(job=job):  # a welfare check of the job's flat, raised by its volunteer
            out.kind, out.request, out.category, out.urgent = "welfare", True, "welfare", True  # the job unchanged
            out.building, out.room = job.household.building, job.household.room
        case decide.VolunteerWord(word=word, only=only, jobs=jobs):
            out.kind, out.numbers = _volunteer_word(word, (only,) if only else jobs)
            if out.kind == "welfare":  # delivered at a door nobody opened: a welfare check of the flat
                out.request, out.category, out.urgent, out.building, out.room = True, "welfare", True, 12, "302"
        case decide.ResidentWord(word=Word.STATUS, only=only):  # the requests the answer tells of
            out.kind, out.numbers = "status", [only.number] if only else [r.number for r in who.mine()]
        case decide.ResidentWord(word=word, only=only):
            out.kind, out.numbers = _resident_word(word, only)
        case decide.FollowUp(only=only):  # its open requests nudged: urgent words make them urgent
            out.kind, out.urgent = "follow_up", said.named.urgent or said.named.emergency
            out.numbers = [only.number] if only else [r.number for r in who.open_requests()[:3]]
        case decide.Join() | decide.ChangeAnswered() | decide.Late():
            out.kind = "other"
        case Gathering():
            _gathering(decision.act, out)
    if decision.first is not None:  # a cancel said with a new need: the request it changed
        out.numbers = outcome(replace(decision, act=decision.first, first=None), who, said).numbers + out.numbers
    return out


def _gathering(step: Gathering, out: Outcome) -> None:
    state = step.state
    category = state.get("category") or (Category.HELP.value if step.next in ("file", "repeat") else None)
    if step.next == "repeat":
        out.kind, out.numbers, out.category, out.urgent = "repeat", [step.into.number], category, bool(state["urgent"])
        out.building, out.room = step.building, step.room
        return
    if step.next in ("file", "limit"):
        out.request, out.category, out.urgent = True, category, bool(state.get("urgent"))
        out.building, out.room = step.building, step.room
        out.kind = "emergency" if state.get("emergency") else "welfare" if category == "welfare" else "need"
        out.routed_to_volunteer = not state.get("emergency")
        return
    if state.get("category") or state.get("asks") or state.get("alerted"):  # a need, asked for more
        out.request, out.category, out.urgent = True, state.get("category"), bool(state.get("urgent"))
        out.building, out.room = state.get("building"), state.get("room")
        out.kind = "emergency" if state.get("alerted") else "welfare" if out.category == "welfare" else "need"
    else:
        out.kind = _answered(step.ask)


def _answered(msgid: str) -> str:
    """The kind of message an answer says it was, as the harness reads it from the reply."""
    if msgid in ANSWERED:
        return ANSWERED[msgid]
    return msgid.split(".")[1] if msgid.startswith("sms.") and msgid.split(".")[1] in KINDS else "other"


DID = {Word.ACCEPT: "accept", Word.DONE: "done", Word.DECLINE: "decline", Word.UNANSWERED: "welfare"}


def _volunteer_word(word: Word, jobs: tuple[Request | None, ...]) -> tuple[str, list[int]]:
    """What a volunteer's word did to the jobs `decide` found: changed them (an OK to a job already theirs
    changes nothing), or nothing, when no job has the number."""
    if word in (Word.LIST, Word.OFF, Word.ON):
        return word.value, []
    known = [r for r in jobs if r is not None]
    if not known:
        return "other", []
    changed = [r.id for r in known if not (word == Word.ACCEPT and r.status == Status.ACCEPTED)]  # already yours
    return DID[word], sorted(changed)


def _resident_word(word: Word, only: Request | None) -> tuple[str, list[int]]:
    """What a resident's word did: cancelled or reopened the request numbered (if it is theirs) or their one."""
    if word in (Word.STATUS, Word.LATE):
        return "status", []
    if word in (Word.THANKS, Word.HELP):
        return {"thanks": "thanks", "help": "help_text"}[word.value], []
    if word not in (Word.CANCEL, Word.NOT_RECEIVED):
        return "other", []
    request = only  # as `decide` found it: their one request, or the one numbered if it is theirs
    return (CHANGED["cancelled" if word == Word.CANCEL else "reopened"], [request.number]) if request else ("other", [])
