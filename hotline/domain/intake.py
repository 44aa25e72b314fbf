"""Incoming SMS: who wrote, what they mean, and what the hotline answers.

`handle_sms` is the whole SMS conversation. The sender's number tells a volunteer from a
resident or a relative; a command word is acted on; anything else is a need, gathered over as
many messages as it takes (the conversation row remembers what is still missing).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from hotline import clock
from hotline.domain import late, offers, outbox, questions, reading, requests, spoken, transitions
from hotline.domain.address import chinese_digits
from hotline.domain.parsing import (
    Command,
    Parsed,
    Word,
    parse_command,
    parse_request,
    parse_resident_sentence,
    parse_volunteer_note,
    visit_time,
)
from hotline.domain.policy import Policy
from hotline.domain.replies import Message, Reply
from hotline.models import (
    OPEN_STATUSES,
    WITH_A_VOLUNTEER,
    Category,
    Channel,
    Conversation,
    Inbound,
    Lane,
    Outbox,
    Purpose,
    Request,
    Resident,
    Role,
    Status,
    Volunteer,
)
from hotline.texts import N_, t

MAX_BODY = 1600  # Twilio's limit for one message
FLOOD_WINDOW = timedelta(minutes=10)
FLOOD_LIMIT = 30  # messages from one number in the window; past it, a stuck phone is not answered
FILLER = re.compile(
    r"[\W\d_]+|\b(?:bldg|building|blk|block|room|rm|apt|apartment|unit|flat|no|please|pls|thanks|thank you|hi|hello"
    r"|i live in|i'm in|i am in|my address is|it's|it is|is|hey|anyone there|anybody there|is anyone there)\b"
    r"|号楼|号|栋|幢|楼|室|房|单元|你好|您好|喂|哈喽|嗨|在吗|在不在|有人在吗|有人吗|谢谢|请|我住在|我住|住在|我是|我在|是|的|在"
    r"|[零〇一二两三四五六七八九十]",
    re.IGNORECASE,
)
# A bare answer to "which room?" / "which building?": `601`, `Rm 601`, `601室`, `05-12`, `三零二`;
# and to "which building and room?": `12 302`, `12, 302`.
BARE_ROOM = re.compile(r"(?:rm|room|apt|unit|flat|房间|房)?\s*#?\s*"
                       r"([a-z]?\d{1,4}[a-z]?(?:-\d{1,4})?|[零〇一二三四五六七八九]{3,4})\s*(?:室|房|号)?",
                       re.IGNORECASE)
BARE_BUILDING = re.compile(r"(?:bldg|building|blk|block)?\s*#?\s*(\d{1,3}|[一二两三四五六七八九十]{1,3})"
                           r"\s*(?:号楼|号|栋|幢)?", re.IGNORECASE)
CONFIRM_HOME = "confirm_home"  # the question "is it your own household, 12-302?" (`asked`)
BARE_PLACE = re.compile(r"(\d{1,3})\s*[\s,，、.]\s*([a-z]?\d{3,4}[a-z]?)", re.IGNORECASE)


@dataclass(frozen=True)
class InboundSms:
    """One SMS as Twilio delivered it, already parsed out of the webhook."""

    sid: str
    phone: str
    body: str


def handle_sms(session: Session, policy: Policy, sms: InboundSms) -> Reply:
    """Act on one incoming SMS and return the TwiML reply's messages."""
    body = _cleaned(sms.body)
    volunteer = session.scalar(select(Volunteer).filter_by(phone=sms.phone))
    resident = session.scalar(select(Resident).filter_by(phone=sms.phone))
    command = parse_command(body)
    if not (volunteer or command and command.word in (Word.OPT_OUT, Word.OPT_IN)):
        flooding = _flooding(session, sms.phone)
        if flooding is not None:
            return flooding
    if command and command.word in (Word.OPT_OUT, Word.OPT_IN):
        _opt(session, policy, sms.phone, volunteer, command.word == Word.OPT_OUT)
        if command.word == Word.OPT_OUT and volunteer is None and body.strip(" .!").lower() == "cancel":
            _cancel(session, policy, sms.phone, resident, Command(Word.CANCEL, None), "en")  # their only one
        if not (command.word == Word.OPT_IN and _waits_for_yes(session, sms.phone)):
            return ()  # Twilio answers these words itself (a YES that answers our question is answered too)
    written = reading.reply_language(body)
    if volunteer:
        volunteer_lang = written if written and volunteer.speaks(written) else volunteer.first_language
    if volunteer and command and command.word in (Word.LATE, Word.HELP):
        if command.word == Word.HELP or volunteer.role != Role.COORDINATOR:  # LATE: the coordinators' word
            return (Message(_volunteer_words(volunteer, volunteer_lang), volunteer_lang),)
        return tuple(Message(text, volunteer_lang)
                     for text in late.for_coordinator(session, policy, clock.now(), volunteer_lang))
    if volunteer and command and (command.word in VOLUNTEER_WORDS or command.word == Word.LIST):
        return _answer_volunteer(session, policy, volunteer, command, volunteer_lang)
    lang = written or (resident.language if resident else None) or _conversation_lang(session, sms.phone)
    if command and command.word == Word.JOIN:
        if resident and written == "zh" != resident.language:
            lang = resident.language  # `参加 2` copied off the Chinese notice
        return (_join(session, policy, sms.phone, resident, command, lang),)
    if (answer := _join_change_answered(session, policy, sms.phone, resident, body)) is not None:
        return answer
    if command and command.word in RESIDENT_WORDS:
        if resident and written == "zh" != resident.language and command.word not in (Word.ENGLISH, Word.CHINESE):
            lang = resident.language  # a Chinese word copied off a notice; an English one was learnt from our help
        text = RESIDENT_WORDS[command.word](session, policy, sms.phone, resident, command, lang)
        return (Message(text, lang, command.number),)
    conversation = _conversation(session, sms.phone)
    in_conversation = conversation is not None
    if (answer := _not_a_need(session, policy, sms.phone, resident, body, lang, in_conversation)) is not None:
        return answer
    if volunteer and not in_conversation and (said := reading.volunteer_reply(body)):
        return _volunteer_said(session, policy, volunteer, body, *said, volunteer_lang)
    if volunteer and not in_conversation and (note := parse_volunteer_note(body)):
        text = VOLUNTEER_WORDS[note.word](session, policy, volunteer, note, volunteer_lang)
        return (Message(text, volunteer_lang, note.number),)
    if volunteer and not in_conversation and (job := _own_job_named(session, volunteer, body)) is not None:
        requests.note_from_volunteer(job, volunteer, body)
        return (Message(t(volunteer_lang, N_("volunteer.noted"), number=job.number), volunteer_lang, job.number),)
    if not in_conversation and (said := _said_in_other_words(session, sms.phone, resident, body, command)):
        if said.word == Word.FOLLOW_UP:
            return (Message(_follow_up(session, policy, sms.phone, resident, body, lang), lang),)
        text = RESIDENT_WORDS[said.word](session, policy, sms.phone, resident, said, lang)
        return (Message(text, lang, said.number),)
    if volunteer and not in_conversation:
        parsed = parse_request(body, policy.buildings)
        if parsed.category is None and not parsed.emergency:
            return (Message(_volunteer_words(volunteer, volunteer_lang), volunteer_lang),)
    if (written := reading.language(body)) not in ("zh", "en", None):  # the coordinators read the original
        requests.tell_coordinators(session, N_("coordinator.other_language"), purpose=Purpose.LANGUAGE, phone=sms.phone,
                                   language=written.upper(), details=body[:300])
    if not in_conversation and reading.asks(body) and _names_nothing_new(body) and FILLER.sub("", body).strip():
        # "垃圾放哪里？" (a greeting alone, "在吗？", is asked what is needed)
        questions.ask(session, N_("coordinator.question"), sms.phone, body[:200], Channel.SMS, lang)
        return (Message(t(lang, "sms.question"), lang),)
    return _need(session, policy, sms.phone, resident, body, lang, conversation, exempt=volunteer is not None)


def read_ahead(policy: Policy, body: str) -> None:
    """Read the words of an SMS before its transaction begins: the readings are kept per text, so
    `handle_sms` only looks them up while it holds the database (and a process's first message loads
    the lexicons outside it)."""
    body = _cleaned(body)
    parse_command(body)
    parse_request(body, policy.buildings)
    parse_request(body, frozenset())


def _cleaned(body: str) -> str:
    return body.replace("\x00", "").strip()[:MAX_BODY]


def _said_in_other_words(session: Session, phone: str, resident: Resident | None, body: str,
                         command: Command | None) -> Command | None:
    """A sentence that means one of the residents' words ("我的药什么时候到？", "取消买菜", "thanks, it
    came"), or a volunteer's word from a resident ("好的"): never a new request. Asking after a
    request ("any update?", "我的菜呢") is answered with the sender's requests, none or some, unless it
    also asks for something; a message that names nothing new counts only from someone with an
    open request."""
    if command is not None:  # a volunteer's word (OK, DONE, NO…) from someone who is none
        return Command(Word.THANKS, None)
    if parse_request(body, frozenset()).emergency:
        return None  # "呛到了 脸都紫了": never a word about a request ("到了")
    word = reading.resident_word(body)
    if word == "change":
        return None  # "换成面条 米不要了": a need, added to the open request it changes
    said = Command(Word(word), None) if word else parse_resident_sentence(body)
    asking_after = word == "status" or reading.asks_after(body) and not reading.asks_for_more(body)
    mine = requests.of_asker(phone, resident.id if resident else None)
    if reading.asks_besides(body) and parse_request(body, frozenset()).category and not _names_only_what_is_open(
            session, mine.where(Request.status.in_(OPEN_STATUSES)), body):
        return None  # "菜还没到，另外降压药也快没了": a need of another kind, asked for with the news
    if asking_after and (said is None or said.word not in (Word.CANCEL, Word.NOT_RECEIVED)):
        if word != "status" and parse_request(body, frozenset()).urgent and session.scalar(
                mine.where(Request.status.in_(OPEN_STATUSES)).with_only_columns(Request.id).limit(1)) is None:
            return None  # "三天没吃东西了 没人管吗" with nothing open: an urgent need, not a question about one
        return Command(Word.FOLLOW_UP, None)  # ("还没收到菜" about a delivered request is not received)
    if reading.only_thanks(body):
        return Command(Word.THANKS, None)
    if said is not None and said.word == Word.THANKS:  # thanks, and asking for more: the need comes first
        parsed = parse_request(body, frozenset())
        return None if parsed.category and (reading.asks_for_more(body) or parsed.unknown_building) else said
    if said is None:
        mine = mine.where(Request.status.in_(OPEN_STATUSES))  # any news of it? only while it is open
        if _names_nothing_new(body) or reading.hurries(body) and _names_only_what_is_open(session, mine, body):
            said = Command(Word.FOLLOW_UP, None)
    if said is None:
        return None
    asked_before = session.scalar(mine.with_only_columns(Request.id).limit(1))
    if asked_before is None:
        return Command(Word.STATUS, None) if asking_after else None  # "我的菜怎么还没到" and nothing asked
    if said.word == Word.NOT_RECEIVED and said.number is None and session.scalar(
            mine.where(Request.status == Status.DELIVERED).with_only_columns(Request.id).limit(1)) is None:
        return Command(Word.FOLLOW_UP, None)  # "菜还没到" with nothing delivered yet: where is it?
    return said


def _names_nothing_new(body: str) -> bool:
    """A message that names no need, no place and nothing urgent ("still nothing", "？？"): from
    someone with an open request, it is about that request."""
    parsed = parse_request(body, frozenset())
    return not (parsed.category or parsed.building or parsed.unknown_building or parsed.room or parsed.urgent
                or parsed.emergency or parsed.for_other)


def _names_only_what_is_open(session: Session, mine: Select, body: str) -> bool:
    """Tell whether a message asking for speed ("能不能快点 老人等着吃饭") names no emergency and no
    need but that of one of the sender's open requests (`mine`): then it hurries that request."""
    parsed = parse_request(body, frozenset())
    if parsed.emergency:
        return False
    if parsed.category is None:
        return True
    same_need = mine.where(Request.category == parsed.category).with_only_columns(Request.id).limit(1)
    return session.scalar(same_need) is not None


VOLUNTEER_SAID = {"accept": Word.ACCEPT, "done": Word.DONE, "decline": Word.DECLINE, "list": Word.LIST,
                  "off": Word.OFF, "on": Word.ON, "unanswered": Word.UNANSWERED}
NUMBERED = (Word.ACCEPT, Word.DONE, Word.DECLINE, Word.UNANSWERED)  # the words that act on one job each


def _volunteer_said(session: Session, policy: Policy, volunteer: Volunteer, body: str, said: str,
                    numbers: tuple[int, ...], lang: str) -> Reply:
    """A volunteer's word in their own words ("127 128 我都接", "放门口了", "can't today"): acted on for
    each job number written (one answer for all), or for their only job it fits, else asked which. A
    time said with OK ("will go at 3pm") is passed on to the resident."""
    if said == "help":
        return (Message(_volunteer_words(volunteer, lang), lang),)
    word = VOLUNTEER_SAID[said]
    coming = visit_time(body) if word == Word.ACCEPT else None
    if word not in NUMBERED or not numbers:
        return _answer_volunteer(session, policy, volunteer, Command(word, None, coming), lang)
    answers = [VOLUNTEER_WORDS[word](session, policy, volunteer, Command(word, n, coming), lang) for n in numbers]
    return (Message("\n".join(answers), lang, numbers[0] if len(numbers) == 1 else None),)


def _answer_volunteer(session: Session, policy: Policy, volunteer: Volunteer, command: Command, lang: str) -> Reply:
    """Act on a volunteer's word and answer them (LIST in as many messages as it takes)."""
    if command.word == Word.LIST:
        return tuple(Message(text, lang) for text in _list(session, volunteer, lang))
    text = VOLUNTEER_WORDS[command.word](session, policy, volunteer, command, lang)
    return (Message(text, lang, command.number),)


def _not_a_need(session: Session, policy: Policy, phone: str, resident: Resident | None, body: str, lang: str,
                in_conversation: bool) -> Reply | None:
    """Words of crisis, a rumour, a general question or spam: never a request for a volunteer.

    Crisis words are answered with the crisis line and go to the coordinators at once, whatever
    else the message says. A rumour is answered that the hotline holds no health information; a
    question goes to the coordinators to answer; spam is kept and not answered. An emergency, or a
    question that names a need and an address ("12号楼302 能帮我买点菜吗？"), is a need.
    """
    purpose = reading.intent(body)
    if purpose is None:
        return None
    if purpose == "crisis":
        _crisis(session, policy, phone, resident, body, lang)
        return (Message(t(lang, "sms.crisis", line=policy.crisis_line), lang),)
    parsed = parse_request(body, policy.buildings)
    if parsed.emergency or in_conversation and purpose in ("question", "help_text"):
        return None
    if purpose == "rumour" and parsed.category and reading.asks_for_more(body):  # "我阳了 需要退烧药": the need
        return None
    if purpose == "question" and parsed.category and (parsed.building or parsed.room or reading.asks_for_more(body)):
        return None  # "12号楼302 能帮我买点菜吗？", "麻烦把政府发的菜送上来"
    if purpose == "spam":
        return ()
    if purpose == "question" and reading.resident_word(body) == "not_received":
        return None  # "东西放哪了？门口没看到": about what was delivered, if anything was
    if purpose == "help_text":
        known = resident is not None and resident.household is not None
        return (Message(t(lang, N_("sms.help_known") if known else N_("sms.help")), lang),)
    questions.ask(session, N_("coordinator.question"), phone, body[:200], Channel.SMS, lang)
    return (Message(t(lang, N_("sms.rumour") if purpose == "rumour" else N_("sms.question")), lang),)


def _crisis(session: Session, policy: Policy, phone: str, resident: Resident | None, body: str, lang: str) -> None:
    """Someone in crisis: an urgent request for a coordinator (not a volunteer) where the household
    is known, else the coordinators are told at once with the number and the words."""
    state = _merge({}, parse_request(body, policy.buildings), body, lang)
    building, room = _address(state, resident)
    coordinator = session.scalar(select(Volunteer).where(Volunteer.role == Role.COORDINATOR)
                                 .order_by(Volunteer.on_duty.desc(), Volunteer.id))
    if building is None or room is None or coordinator is None:
        requests.tell_coordinators(session, N_("coordinator.crisis"), Lane.URGENT, purpose=Purpose.CRISIS, phone=phone,
                                   details=body[:200])
        return
    state.update(category=Category.HELP.value, urgent=True)
    request = _create(session, policy, phone, resident, state, building, room, route_now=False)
    requests.route(session, policy, request, to=coordinator)


# --------------------------------------------------------------------------------------------
# Residents and relatives
# --------------------------------------------------------------------------------------------
def _need(
    session: Session, policy: Policy, phone: str, resident: Resident | None, body: str, lang: str,
    conversation: Conversation | None, exempt: bool
) -> Reply:
    """Gather a need over one or more messages (`conversation`: what the earlier ones said); create the
    request once it is whole.

    Volunteers and coordinators (`exempt`) text for many households: no daily limit for them.
    """
    state = dict(conversation.state) if conversation else {}
    answer = reading.yes_or_no(body) if state.get("asked") == CONFIRM_HOME else None
    if answer is not None:  # "1" / "2" to "is it your own household?": nothing else is said
        lang = state.get("lang") or lang  # a bare "no" is no sign of English
        parsed = parse_request("", policy.buildings)
        state = _home_answered(state, resident, answer)
    else:
        parsed = _answering(parse_request(body, policy.buildings), body, state.get("asked"), policy)
        if state.get("asked") == CONFIRM_HOME and _written_place(parsed):
            state["home_checked"] = True  # answered with the address they mean
        state = _merge(state, parsed, body, lang)
    replies: list[Message] = []
    if parsed.emergency and not state.get("alerted"):
        state["alerted"] = True
        if not _has_address(state, resident):
            _alert_unplaced_emergency(session, phone, body)
    if not exempt and (state.get("category") or state.get("details")) and _slip_from_the_roster(state, resident):
        home = resident.household
        state["asked"] = CONFIRM_HOME
        _save(session, policy, phone, conversation, state)
        return (Message(t(lang, "sms.confirm_home", building=home.building, room=home.room), lang),)
    building, room = _address(state, resident)
    if building is not None and room is not None and (state.get("category") or state.get("asks")):
        if (repeat := _repeat(session, policy, phone, resident, state, building, room)) is not None:
            _end(session, conversation)
            return (repeat,)
        if not (exempt or state.get("urgent")) and _over_daily_limit(session, policy, phone):  # urgent: always
            _end(session, conversation)
            _tell_coordinators_of_limit(session, phone, body)
            return (Message(t(lang, "sms.limit_requests"), lang),)
        _end(session, conversation)
        request = _create(session, policy, phone, resident, state, building, room)
        key = N_("sms.created_emergency") if request.emergency else N_("sms.created")
        if not request.emergency and (request.volunteer is None or request.volunteer.role == Role.COORDINATOR):
            key = N_("sms.created_coordinator")  # no volunteer of the building is on duty
        text = t(lang, key, number=request.number, category=requests.category_label(lang, request.category),
                 home=request.household.label)
        return (Message(text, lang, request.number),)
    if parsed.emergency:
        replies.append(Message(t(lang, "sms.emergency_call_first"), lang))
    ask = _what_is_missing(state, building, room, parsed, policy)
    state["asked"] = ask.rsplit(".", 1)[-1]
    _save(session, policy, phone, conversation, state)
    replies.append(Message(t(lang, ask, building=parsed.unknown_building or state.get("unknown_building") or ""), lang))
    return tuple(replies)


def _repeat(session: Session, policy: Policy, phone: str, resident: Resident | None, state: dict, building: int,
            room: str) -> Message | None:
    """A need that is not urgent, for a flat and kind with a request open already ("还要买点鸡蛋" while
    #41 for food is on its way): made, and folded into the open one at once, so it reaches no second
    volunteer; the answer names the open request and where it stands. None when it is no repeat."""
    if state.get("urgent"):  # urgent needs and emergencies always go through
        return None
    into = requests.open_request_of(session, building, room, Category(state.get("category") or Category.HELP))
    if into is None:
        return None
    repeat = _create(session, policy, phone, resident, state, building, room, route_now=False)
    requests.take_as_repeat(session, repeat, into)
    lang = state.get("lang", "zh")
    text = t(lang, N_("resident.repeat"), number=into.number, category=requests.category_label(lang, into.category),
             home=into.household.label, status=t(lang, f"status.{into.status.value}"))
    return Message(text, lang, into.number)


def _slip_from_the_roster(state: dict, resident: Resident | None) -> bool:
    """Tell whether a known resident wrote a building or room unlike their own on the roster, as voice
    typing and homophones make (`是二号楼` for `十二号楼`; 二/十二, 四/十), and must be asked once which
    they mean. Not when they write for someone else ("我妈住5号楼…", "对门老太…"), nor in an emergency
    (it is filed at once, for the address written)."""
    if resident is None or resident.household is None or state.get("home_checked"):
        return False
    if state.get("on_behalf") or state.get("someone_else") or state.get("emergency"):
        return False
    home = resident.household
    building, room = state.get("building"), state.get("room")
    if state.get("unknown_building") is not None:
        return True
    if building is None and room is None:
        return False
    # `12号楼` alone asks too: one key answers it, where "which room?" would want typing
    return building not in (None, home.building) or room is None or room.upper() != home.room.upper()


def _home_answered(state: dict, resident: Resident | None, yes: bool) -> dict:
    """Take the answer to "is it your own household?": yes files it there; no keeps the address as
    written (and what is missing of it is asked next)."""
    state = {**state, "home_checked": True}
    state.pop("asked", None)
    if yes and resident is not None and resident.household is not None:
        state.update(building=resident.household.building, room=resident.household.room)
        state.pop("unknown_building", None)
    return state


def _written_place(parsed: Parsed) -> bool:
    return parsed.building is not None or parsed.unknown_building is not None or parsed.room is not None


def _asked(session: Session, phone: str) -> str | None:
    """What the hotline last asked this number, while the conversation lasts."""
    row = _conversation(session, phone)
    return row.state.get("asked") if row else None


def _answering(parsed: Parsed, body: str, asked: str | None, policy: Policy) -> Parsed:
    """Read a bare number as the room or building the hotline just asked for."""
    text = unicodedata.normalize("NFKC", body).strip()
    if asked not in ("ask_address", "ask_building", "unknown_building", "ask_room"):
        return parsed
    if parsed.building is None and parsed.room is None and (m := BARE_PLACE.fullmatch(text)):
        return _with_building(replace(parsed, room=m.group(2).upper()), int(m.group(1)), policy)
    building = BARE_BUILDING.fullmatch(text) if parsed.building is None and asked != "ask_room" else None
    if building:
        number = int(chinese_digits(building.group(1)) or building.group(1))
        if asked != "ask_address" or number in policy.buildings:  # `302` answers "which building and room?"
            return _with_building(parsed, number, policy)  # with a room
    if parsed.room is None and (m := BARE_ROOM.fullmatch(text)):
        return replace(parsed, room=chinese_digits(m.group(1)) or m.group(1).upper())
    return parsed


def _with_building(parsed: Parsed, number: int, policy: Policy) -> Parsed:
    if number in policy.buildings:
        return replace(parsed, building=number, unknown_building=None)
    return replace(parsed, unknown_building=number)


def _flooding(session: Session, phone: str) -> Reply | None:
    """A number sending more than a person could (a stuck phone, a script) is told once, then ignored."""
    since = clock.now() - FLOOD_WINDOW
    recent = 1 + session.scalar(  # this one is recorded once it is answered
        select(func.count(Inbound.id)).where(Inbound.phone == phone, Inbound.received_at >= since)
    )
    if recent <= FLOOD_LIMIT:
        return None
    if recent == FLOOD_LIMIT + 1:
        lang = _conversation_lang(session, phone)
        return (Message(t(lang, "sms.slow_down"), lang),)
    return ()


def _over_daily_limit(session: Session, policy: Policy, phone: str) -> bool:
    """Tell whether this number has opened its `policy.daily_requests` requests of the day."""
    since = clock.now() - timedelta(days=1)
    today = session.scalar(
        select(func.count(Request.id)).where(Request.requester_phone == phone, Request.created_at >= since)
    )
    return today >= policy.daily_requests


def _tell_coordinators_of_limit(session: Session, phone: str, body: str) -> None:
    """Coordinators hear, once a day per number, that a number's new requests are being held."""
    since = clock.now() - timedelta(days=1)
    told = session.scalar(
        select(func.count(Outbox.id)).where(
            Outbox.purpose == Purpose.LIMIT, Outbox.about_phone == phone, Outbox.created_at >= since
        )
    )
    if told:
        return
    requests.tell_coordinators(session, N_("coordinator.limit"), purpose=Purpose.LIMIT, about_phone=phone,
                               phone=phone, details=body[:200])


def _merge(state: dict, parsed: Parsed, body: str, lang: str) -> dict:
    """Add what one message says to what the conversation already knows."""
    state = dict(state)
    state["lang"] = lang
    for key in ("building", "room", "drug", "runs_out"):
        value = getattr(parsed, key)
        if value is not None:
            state[key] = value
    if parsed.unknown_building is not None and parsed.building is None:
        state["unknown_building"] = parsed.unknown_building
    elif parsed.building is not None:
        state.pop("unknown_building", None)
    if parsed.category and (not state.get("category") or _graver(parsed.category, state["category"])):
        state["category"] = parsed.category.value
    state["urgent"] = bool(state.get("urgent") or parsed.urgent or parsed.emergency)
    state["emergency"] = bool(state.get("emergency") or parsed.emergency)
    state["on_behalf"] = bool(state.get("on_behalf") or parsed.for_other)
    state["someone_else"] = bool(state.get("someone_else") or reading.about_someone_else(body))
    if FILLER.sub("", body).strip():  # more than an address or a greeting
        state["details"] = [*state.get("details", []), body][-10:]
        # Words that ask for something, or answer "what do you need?", are a need even when no kind of
        # need is named ("能来一下吗"); a remark ("天天核酸，烦死了") is asked what is needed.
        asked_what = state.get("asked") == "ask_need" or state.get("asked") == "ask_address_and_need"
        if asked_what or parsed.urgent or parsed.emergency or parsed.for_other or reading.asks_for_more(body):
            state["asks"] = True
    return state


def _graver(new: Category, old: str) -> bool:
    order = [Category.HELP, Category.FOOD, Category.MEDICINE]
    return order.index(new) > order.index(Category(old))


def _address(state: dict, resident: Resident | None) -> tuple[int | None, str | None]:
    """The household: as written, else the known resident's own.

    A resident who writes for someone else without an address ("my father fell") means their
    own household; a room without a building is in their own building.
    """
    building, room = state.get("building"), state.get("room")
    if building is None and room is None and resident and resident.household:
        return resident.household.building, resident.household.room
    if (building is None and room is not None and resident and resident.household and not state.get("on_behalf")
            and state.get("unknown_building") is None):  # "40号楼101" is no room of their own building
        return resident.household.building, room
    return building, room


def _has_address(state: dict, resident: Resident | None) -> bool:
    building, room = _address(state, resident)
    return building is not None and room is not None


def _what_is_missing(state: dict, building, room, parsed: Parsed, policy: Policy) -> str:
    if state.get("unknown_building") and building is None:
        return N_("sms.unknown_building")
    if building is None and room is None:
        has_need = state.get("category") or state.get("details")
        return N_("sms.ask_address") if has_need else N_("sms.ask_address_and_need")
    if building is None:
        return N_("sms.ask_building")
    if room is None:
        return N_("sms.ask_room")
    return N_("sms.ask_need")


def _create(session: Session, policy: Policy, phone: str, resident: Resident | None, state: dict,
            building: int, room: str, route_now: bool = True) -> Request:
    on_behalf = bool(state.get("on_behalf"))
    own = resident if resident and not on_behalf else None
    return requests.open_request(
        session,
        policy,
        home=requests.household(session, building, room),
        category=Category(state.get("category") or Category.HELP),
        channel=Channel.SMS,
        asker=requests.Asker(
            phone=phone,
            language=state.get("lang", "zh"),
            name=own.name if own else None,
            resident=own,
            on_behalf=on_behalf,
            prefers_voice=bool(own and own.prefers_voice),
        ),
        details=" / ".join(state.get("details", [])),
        urgent=bool(state.get("urgent")),
        emergency=bool(state.get("emergency")),
        drug=state.get("drug"),
        runs_out=state.get("runs_out"),
        route_now=route_now,
    )


def _alert_unplaced_emergency(session: Session, phone: str, body: str) -> None:
    """An emergency from someone whose address is not known yet: coordinators hear of it now."""
    requests.tell_coordinators(session, N_("coordinator.emergency_unplaced"), Lane.URGENT, phone=phone,
                               details=body[:200])


def _status(session, policy, phone, resident, command: Command, lang: str) -> str:
    rows = requests.recent_of_asker(session, phone, resident.id if resident else None, 8)
    if not rows:
        return t(lang, "resident.status_none")
    lines = [
        t(lang, "resident.status_line", number=r.number, category=requests.category_label(lang, r.category),
          status=t(lang, f"status.{r.status.value}"))
        for r in rows
    ]
    return t(lang, "resident.status_head") + "\n" + "\n".join(lines)


def _follow_up(session: Session, policy: Policy, phone: str, resident: Resident | None, body: str, lang: str) -> str:
    """Asking after open requests ("还没送到", "any update?"): each goes on its timeline, its volunteer
    is reminded, the coordinators told the second time or when the words are urgent; the answer says
    where it stands and who has it. With nothing open, the sender's requests, none or some."""
    mine = session.scalars(requests.of_asker(phone, resident.id if resident else None)
                           .where(Request.status.in_(OPEN_STATUSES)).order_by(Request.id).limit(3)).all()
    if not mine:
        return _status(session, policy, phone, resident, Command(Word.STATUS, None), lang)
    parsed = parse_request(body, frozenset())
    lines = []
    for request in mine:
        told = requests.nudge(session, request, body, parsed.urgent or parsed.emergency, transitions.RESIDENT_BY_SMS)
        volunteer = request.volunteer
        key = (N_("resident.nudged_coordinator") if told or volunteer is None or volunteer.role == Role.COORDINATOR
               else N_("resident.nudged"))
        lines.append(t(lang, key, number=request.number, category=requests.category_label(lang, request.category),
                       status=t(lang, f"status.{request.status.value}"),
                       volunteer=spoken.person(volunteer.name, lang) if volunteer else ""))
    return "\n".join(lines)


def _find_mine(session, phone, resident, command: Command, lang: str, states: tuple[Status, ...],
               none: str | None = None) -> Request | str:
    """The request a resident's word is about: the one named, or their only one in `states`; with
    none in `states`, the sentence `none`, else their requests' status (their "still not here" is
    about one on its way)."""
    if command.number is None:
        mine = session.scalars(requests.of_asker(phone, resident.id if resident else None)
                               .where(Request.status.in_(states)).limit(2)).all()
        if len(mine) == 1:
            return mine[0]
        if not mine:
            return t(lang, none) if none else _status(session, None, phone, resident, command, lang)
        return t(lang, "resident.which_number", word=t(lang, f"word.{command.word.value}"))
    request = session.scalar(requests.of_asker(phone, resident.id if resident else None)
                             .where(Request.id == command.number))
    return request or t(lang, "resident.not_found", number=command.number)


def _cancel(session, policy, phone, resident, command: Command, lang: str) -> str:
    request = _find_mine(session, phone, resident, command, lang, OPEN_STATUSES, none=N_("resident.nothing_to_cancel"))
    if isinstance(request, str):
        return request
    try:
        requests.cancel(session, request, transitions.RESIDENT_BY_SMS)
    except requests.NotAllowed as e:
        return t(lang, e.msgid, **e.params)
    return t(lang, "resident.cancelled", number=request.number)


def _not_received(session, policy, phone, resident, command: Command, lang: str) -> str:
    request = _find_mine(session, phone, resident, command, lang, (Status.DELIVERED,))
    if isinstance(request, str):
        return request
    try:
        requests.reopen(session, policy, request, transitions.RESIDENT_BY_SMS)
    except requests.NotAllowed as e:
        return t(lang, e.msgid, **e.params)
    return t(lang, "resident.reopened", number=request.number)


def _thanks(session, policy, phone, resident, command: Command, lang: str) -> str:
    return t(lang, "resident.thanks")


def _language(session, policy, phone, resident, command: Command, lang: str) -> str:
    new = "en" if command.word == Word.ENGLISH else "zh"
    if resident:
        resident.language = new
    conversation = _conversation(session, phone)
    if conversation:
        conversation.state = {**conversation.state, "lang": new}
    return t(new, "resident.language_set")


def _help(session, policy, phone, resident, command: Command, lang: str) -> str:
    conversation = _conversation(session, phone)
    _save(session, policy, phone, conversation, {**(conversation.state if conversation else {}), "lang": lang})
    known = resident and resident.household
    return t(lang, N_("sms.help_known") if known else N_("sms.help"))


def _join(session, policy, phone, resident, command: Command, lang: str) -> Message:
    """Join the newest open group buy that reached this phone: `JOIN 2` / `参加 2`. A household that joined
    already is told what it booked, and asked before its quantity changes. The answer is about the join
    (its number), never about another request."""
    offer = offers.reached(session, phone)
    if offer is None or resident is None or resident.household is None:
        return Message(t(lang, "sms.join_none"), lang)
    if command.number is not None and not 1 <= command.number <= offers.MAX_QUANTITY:
        return Message(t(lang, "sms.join_quantity", most=offers.MAX_QUANTITY), lang)
    if clock.now() >= offer.deadline:
        return Message(t(lang, "sms.join_closed", item=offer.item), lang)
    mine = offers.booked(session, offer, resident)
    if mine is not None:
        if command.number is None or command.number == mine.quantity:
            return Message(t(lang, "sms.join_booked", number=mine.number, item=offer.item, quantity=mine.quantity),
                           lang, mine.number)
        offers.ask_change(session, policy, phone, mine, command.number, lang)
        text = t(lang, "sms.join_change_ask", number=mine.number, item=offer.item, quantity=mine.quantity,
                 new=command.number)
        return Message(text, lang, mine.number)
    request = offers.join(session, policy, offer, resident, command.number or 1, Channel.SMS)
    return Message(t(lang, "sms.joined", number=request.number, item=offer.item, quantity=request.quantity), lang,
                   request.number)


def _waits_for_yes(session: Session, phone: str) -> bool:
    """Tell whether the hotline asked this phone a yes-or-no question it has not had answered yet."""
    return _asked(session, phone) == CONFIRM_HOME or offers.asked_change(session, phone) is not None


def _join_change_answered(session, policy, phone: str, resident: Resident | None, body: str) -> Reply | None:
    """A "1" or "2" that answers "change your group buy to 3?", when that is the last thing the hotline asked
    this phone; None otherwise."""
    if resident is None or (yes := reading.yes_or_no(body)) is None:  # read first: most SMS are no answer
        return None
    if (asked := offers.asked_change(session, phone)) is None:
        return None
    change, when = asked
    need = _conversation(session, phone)
    if need is not None and need.state.get("asked") and need.updated_at > when:
        return None  # the need's question came later: the answer is to it
    request, lang = change.request, change.lang
    try:
        changed = offers.answer_change(session, policy, phone, change, yes, resident)
    except offers.Closed:
        return (Message(t(lang, "sms.join_closed", item=request.offer.item), lang, request.number),)
    key = N_("sms.join_changed") if changed else N_("sms.join_kept")
    text = t(lang, key, number=request.number, item=request.offer.item, quantity=request.quantity)
    return (Message(text, lang, request.number),)


RESIDENT_WORDS = {
    Word.STATUS: _status,
    Word.LATE: _status,  # a resident's "超时了" / "late": where their requests stand
    Word.CANCEL: _cancel,
    Word.NOT_RECEIVED: _not_received,
    Word.ENGLISH: _language,
    Word.CHINESE: _language,
    Word.HELP: _help,
    Word.THANKS: _thanks,
}


# --------------------------------------------------------------------------------------------
# Volunteers
# --------------------------------------------------------------------------------------------
def _pick(session: Session, volunteer: Volunteer, command: Command, states: tuple[Status, ...], lang: str):
    """The request a volunteer's word is about: the one named, or their only one in `states`."""
    if command.number is not None:
        request = session.get(Request, command.number)
        if request is None or request.purged_at is not None:
            return t(lang, "volunteer.not_found", number=command.number)
        return request
    mine = session.scalars(
        select(Request).where(Request.volunteer_id == volunteer.id, Request.status.in_(states)).order_by(Request.id)
    ).all()
    if len(mine) == 1:
        return mine[0]
    if not mine:
        return t(lang, "volunteer.none_waiting")
    numbers = " ".join(f"#{r.number}" for r in mine[:10])
    return t(lang, "volunteer.which", word=t(lang, f"word.{command.word.value}"), numbers=numbers)


def _own_job_named(session: Session, volunteer: Volunteer, body: str) -> Request | None:
    """The one open job of the volunteer's that a message of theirs names by number, if it names one and
    tells of nothing grave ("20号那家老人摔在门口" is an emergency, "敲门没人应" a welfare check)."""
    numbers = reading.job_numbers(body)
    if len(numbers) != 1:
        return None
    parsed = parse_request(body, frozenset())
    if parsed.urgent or parsed.emergency or parsed.category == Category.WELFARE:
        return None
    return session.scalar(select(Request).where(Request.id == numbers[0], Request.volunteer_id == volunteer.id,
                                                Request.status.in_(WITH_A_VOLUNTEER)))


def _volunteer_change(action, states: tuple[Status, ...], done_msgid: str):
    """A word that changes one job: `action(session, policy, request, volunteer, command)` may return more
    to say (the placeholders of `done_msgid` beyond the number and the household)."""
    def handle(session, policy, volunteer: Volunteer, command: Command, lang: str) -> str:
        request = _pick(session, volunteer, command, states, lang)
        if isinstance(request, str):
            return request
        try:
            said = action(session, policy, request, volunteer, command) or {}
        except requests.NotAllowed as e:
            return t(lang, e.msgid, **e.params)
        return t(lang, done_msgid, number=request.number, home=request.household.label, **said)

    return handle


def _take(session, policy, request: Request, volunteer: Volunteer, command: Command) -> None:
    requests.accept(session, policy, request, volunteer, coming=command.coming)


def _hand_over(session, policy, request: Request, volunteer: Volunteer, command: Command) -> None:
    requests.deliver(session, policy, request, volunteer)


def _pass_on(session, policy, request: Request, volunteer: Volunteer, command: Command) -> None:
    requests.decline(session, policy, request, volunteer)


def _left_unanswered(session, policy, request: Request, volunteer: Volunteer, command: Command) -> dict:
    """Delivered at a door nobody opened: and the flat gets a welfare check."""
    requests.deliver(session, policy, request, volunteer)
    check = requests.check_on(session, policy, request, volunteer, t(volunteer.first_language, "word.unanswered"))
    return {"check": check.number}


def _volunteer_words(volunteer: Volunteer, lang: str) -> str:
    """The words a volunteer can reply with; a coordinator's include LATE."""
    return t(lang, N_("volunteer.words_coordinator") if volunteer.role == Role.COORDINATOR else N_("volunteer.words"))


LIST_GROUPS = ((Status.ASSIGNED, N_("volunteer.list_to_accept")), (Status.ACCEPTED, N_("volunteer.list_taken")))


def _list(session: Session, volunteer: Volunteer, lang: str) -> list[str]:
    """LIST: the volunteer's open jobs, those to accept first, one line each (`#41 12-302 食物 ! 3小时`,
    `!` when urgent, its age since it was asked for), in as few SMS as they fit in."""
    mine = session.scalars(
        select(Request)
        .where(Request.volunteer_id == volunteer.id, Request.status.in_(WITH_A_VOLUNTEER))
        .options(selectinload(Request.household))
        .order_by(Request.urgent.desc(), Request.created_at, Request.id)
        .limit(late.READ_AT_MOST)
    ).all()
    if not mine:
        return [t(lang, "volunteer.list_empty")]
    now, lines = clock.now(), []
    for status, head in LIST_GROUPS:
        jobs = [r for r in mine if r.status == status]
        if jobs:
            lines.append(t(lang, head, count=len(jobs)))
        lines += [t(lang, "volunteer.list_line", number=r.number, home=r.household.label,
                    category=requests.category_label(lang, r.category), mark=" !" if r.urgent else "",
                    age=late.age(lang, now - r.created_at)) for r in jobs]
    return late.pack(lines[0], lines[1:], lambda left: t(lang, "volunteer.list_more",
                                                         count=sum(line.startswith("#") for line in lines[-left:])))


def _off(session, policy, volunteer: Volunteer, command: Command, lang: str) -> str:
    moved = requests.set_duty(session, policy, volunteer, False)
    return t(lang, "volunteer.off", count=len(moved))


def _on(session, policy, volunteer: Volunteer, command: Command, lang: str) -> str:
    requests.set_duty(session, policy, volunteer, True)
    return t(lang, "volunteer.on")


VOLUNTEER_WORDS = {
    Word.ACCEPT: _volunteer_change(_take, (Status.ASSIGNED,), N_("volunteer.accepted")),
    Word.DONE: _volunteer_change(_hand_over, (Status.ACCEPTED,), N_("volunteer.delivered")),
    Word.DECLINE: _volunteer_change(_pass_on, WITH_A_VOLUNTEER, N_("volunteer.declined")),
    Word.UNANSWERED: _volunteer_change(_left_unanswered, (Status.ACCEPTED,), N_("volunteer.delivered_unanswered")),
    Word.OFF: _off,
    Word.ON: _on,
}


def _opt(session: Session, policy: Policy, phone: str, volunteer: Volunteer | None, opted_out: bool) -> None:
    """Record STOP/START; a volunteer who opts out goes off duty and coordinators are told."""
    changed = outbox.set_opt_out(session, phone, opted_out)
    if opted_out and changed and volunteer and volunteer.role == Role.VOLUNTEER:
        requests.set_duty(session, policy, volunteer, False, reason="opted out")
        requests.tell_coordinators(session, N_("coordinator.volunteer_opted_out"), name=volunteer.name)


# --------------------------------------------------------------------------------------------
# Conversation rows
# --------------------------------------------------------------------------------------------
def _conversation(session: Session, phone: str) -> Conversation | None:
    row = session.scalar(select(Conversation).filter_by(key=f"sms:{phone}"))
    if row and row.expires_at <= clock.now():
        session.delete(row)
        session.flush()
        return None
    return row


def _conversation_lang(session: Session, phone: str) -> str:
    row = _conversation(session, phone)
    return (row.state.get("lang") if row else None) or "zh"


def _save(session: Session, policy: Policy, phone: str, row: Conversation | None, state: dict) -> None:
    expires = clock.now() + policy.conversation_ttl
    if row is None:
        session.add(Conversation(key=f"sms:{phone}", state=state, expires_at=expires))
    else:
        row.state, row.expires_at = state, expires


def _end(session: Session, row: Conversation | None) -> None:
    if row is not None:
        session.delete(row)
