"""One message, read once: what it says, as a `Reading`.

The first two steps of every message's one way through the hotline (normalise, read, decide,
apply): `normalise` makes an SMS body the text every rule reads, `read` gives its one `Reading`.
Pure: no database, no web. A reading answers each question by the rules of `reading.py`,
`parsing.py` and `address.py` the first time it is asked and keeps the answer, so that a message
which is plainly a command word is never run through the need rules.

Words said at a phone menu are read the same way (`hearing.hear` reads the words heard right).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property

from hotline.domain import kinds, reading
from hotline.domain.parsing import (
    Command,
    Parsed,
    Visit,
    can_wait,
    parse_command,
    parse_request,
    parse_resident_sentence,
    parse_volunteer_note,
    visit_time,
)
from hotline.models import Category

MAX_BODY = 1600  # Twilio's limit for one message
FILLER = re.compile(
    r"[\W\d_]+|\b(?:bldg|building|blk|block|room|rm|apt|apartment|unit|flat|no|please|pls|thanks|thank you|hi|hello"
    r"|i live in|i'm in|i am in|my address is|it's|it is|is|hey|anyone there|anybody there|is anyone there)\b"
    r"|号楼|号|栋|幢|楼|室|房|单元|你好|您好|喂|哈喽|嗨|在吗|在不在|有人在吗|有人吗|谢谢|请|我住在|我住|住在|我是|我在|是|的|在"
    r"|[零〇一二两三四五六七八九十]",
    re.IGNORECASE,
)
EVERYWHERE = frozenset()  # read against no list of buildings: any number written is a building


def normalise(body: str) -> str:
    """An SMS body as the rules read it: no NUL, no blanks around it, at most one message long, the digits of
    every script written as 0-9 ("المبنى ٢٢ شقة ١٥٠٢", a temperature of ٣٨٫٦, an answer "३०२")."""
    return reading.ascii_digits(body.replace("\x00", "").strip()[:MAX_BODY].replace("٫", "."))  # Arabic's decimal mark


@dataclass(frozen=True, eq=False)
class Reading:
    """What one message says, by the text alone: its language, whether it is a command word or a
    sentence meaning one, what it is for when it is no need (crisis, rumour, question, spam), and the
    need, its urgency, the building and room and for whom, as `Parsed` reads them."""

    text: str  # as normalised
    buildings: frozenset[int]  # the compound's buildings, which tell a building from a stray number

    # -- language ------------------------------------------------------------------------------
    @cached_property
    def language(self) -> str | None:
        """The language written, as an ISO 639-1 code (None when the text has no words)."""
        return reading.language(self.text)

    @cached_property
    def reply_language(self) -> str | None:
        """The catalog to answer in: `zh` for Chinese, `en` for every other language."""
        written = self.language
        return None if written is None else "zh" if written == "zh" else "en"

    @cached_property
    def other_language(self) -> str | None:
        """The language written where it is neither Chinese nor English, the two the rules read: its code ("it"),
        which the coordinators are told by its name; None for those two, or no words."""
        written = self.language
        return None if written in ("zh", "en", None) else written

    # -- a word, or a sentence that means one ----------------------------------------------------
    @cached_property
    def command(self) -> Command | None:
        return parse_command(self.text)

    @cached_property
    def bare_cancel(self) -> bool:
        """The word CANCEL alone, which carriers read as STOP."""
        return self.text.strip(" .!").lower() == "cancel"

    @cached_property
    def resident_word(self) -> str | None:
        return reading.resident_word(self.text)

    @cached_property
    def resident_sentence(self) -> Command | None:
        return parse_resident_sentence(self.text)

    @cached_property
    def volunteer_reply(self) -> tuple[str, tuple[int, ...]] | None:
        """A volunteer's reply in their own words (`reading.volunteer_reply`); in a language other than Chinese or
        English, not a delivery or a job taken that the message denies or asks about (`reading.denied_or_asked`:
        "il 21 non è stato consegnato", "можно я возьму 127?"), which the rules of those two read by themselves."""
        reply = self.job_word_written
        if reply and reply[0] in ("done", "accept") and self.other_language \
                and reading.denied_or_asked(self.text, reply[0]):
            return None
        return reply

    @cached_property
    def job_word_written(self) -> tuple[str, tuple[int, ...]] | None:
        """A volunteer's word in their own words as written, denied or asked about too ("Доставил 20, но она не
        дышит" is about job #20, though the "не" may deny a word in another message)."""
        return reading.volunteer_reply(self.text)

    @cached_property
    def volunteer_note(self) -> Command | None:
        return parse_volunteer_note(self.text)

    @cached_property
    def visit(self) -> Visit | None:
        return visit_time(self.text)

    @cached_property
    def yes_or_no(self) -> bool | None:
        return reading.yes_or_no(self.text)

    # -- what it is for ------------------------------------------------------------------------
    @cached_property
    def intent(self) -> str | None:
        """crisis, spam, rumour, help_text or question, crisis first; None for anything else."""
        return reading.intent(self.text)

    @cached_property
    def everyones(self) -> bool:
        """Only a word every language texts ("ok 👍"): no sign of the sender's language."""
        return reading.everyones(self.text)

    @cached_property
    def without_hope(self) -> bool:
        """Says there is no hope left, or that the means are at hand ("Hindi ko na kaya", pills saved)."""
        return reading.without_hope(self.text)

    @cached_property
    def explained(self) -> bool:
        """Gives a reason that explains a goodbye ("我儿子送进来一大箱", "moving to my daughter's")."""
        return reading.explained(self.text)

    @cached_property
    def ends_in_thanks(self) -> bool:
        return reading.ends_in_thanks(self.text)

    @cached_property
    def given(self) -> bool:
        """Says what was asked for was brought by someone else ("隔壁阿姨给了我一盒")."""
        return reading.given(self.text)

    @cached_property
    def stops_for_good(self) -> bool:
        """Says deliveries or care are no longer needed ("以后不用给我送菜了")."""
        return reading.stops_for_good(self.text)

    @cached_property
    def says_it_came(self) -> bool:
        return reading.says_it_came(self.text)

    @cached_property
    def thanks(self) -> bool:
        """Thanks or a nod somewhere in the message ("谢了", "收到"), whatever else it says."""
        return reading.thanks(self.text)

    @cached_property
    def asks_to_lend(self) -> bool:
        """Asks the neighbours for something spare, or for one who can do a thing (`reading.asks_to_lend`)."""
        return reading.asks_to_lend(self.text)

    @cached_property
    def asks_to_bring(self) -> bool:
        """Asks in so many words to be brought, bought or fixed something ("麻烦帮我买两袋"), in words other than
        those that say nothing more is needed ("降压药我女儿已经帮我买好了")."""
        return reading.asks_to_bring(reading.without_needs_nothing(self.text) if self.needs_nothing else self.text)

    @cached_property
    def asks_advice(self) -> bool:
        """Asks what to keep, buy or do ("要不要囤点水"): a question, though it names a need."""
        return reading.asks_advice(self.text)

    @cached_property
    def asks_what_if(self) -> bool:
        """Asks what would happen if… ("降压药要是断两日会哪能"): a question, though it names a need run out."""
        return reading.asks_what_if(self.text)

    @cached_property
    def just_asking(self) -> bool:
        """Says it asks first or only asks ("先问一下", "就是问问", "just wondering")."""
        return reading.just_asking(self.text)

    @cached_property
    def asks_nothing(self) -> bool:
        """Says it asks for nothing ("just asking", "问问而已")."""
        return reading.asks_nothing(self.text)

    @cached_property
    def wants(self) -> bool:
        """Says the sender needs or wants something, or runs short ("我需要两盒", "家里米快吃完了")."""
        return reading.wants(self.text)

    @cached_property
    def needs_nothing(self) -> bool:
        """Says nothing more is needed ("别的暂时不需要了", "don't need anything else")."""
        return reading.needs_nothing(self.text)

    @cached_property
    def asks_what_is_done(self) -> bool:
        """Asks what the hotline does ("or is that only for emergencies?"): a question, though it names a need."""
        return reading.asks_what_is_done(self.text)

    @cached_property
    def runs_out(self) -> bool:
        """Says something has run out ("家里米吃完了", "we ran out yesterday")."""
        return reading.runs_out(self.text)

    @cached_property
    def asks_if_true(self) -> bool:
        """Asks whether news is true ("是真的吗", "is it true?"): never a need passed on."""
        return reading.asks_if_true(self.text)

    @cached_property
    def quotes_a_scam(self) -> bool:
        """Read as spam, but only tells of a scam it was sent: no advert's link or contact, or called a scam."""
        return reading.quotes_a_scam(self.text)

    @cached_property
    def offers(self) -> bool:
        """Offers food or things to give away: no need, though it names one."""
        return reading.offers(self.text)

    @cached_property
    def asks(self) -> bool:
        return reading.asks(self.text)

    @cached_property
    def asks_after(self) -> bool:
        return reading.asks_after(self.text)

    @cached_property
    def asking_after(self) -> bool:
        """About a request already made ("还没送到", "我的药什么时候送来"), asking for nothing more."""
        return self.resident_word == "status" or self.asks_after and not self.asks_for_more

    @cached_property
    def asks_for_more(self) -> bool:
        return reading.asks_for_more(self.text)

    @cached_property
    def asks_besides(self) -> bool:
        """Asks for something besides what it says ("菜还没到，另外降压药也快没了")."""
        return reading.asks_besides(self.text)

    @cached_property
    def distressed(self) -> bool:
        """Tells of pain, illness or harm, whatever it names."""
        return reading.distressed(self.text)

    @cached_property
    def grave(self) -> str | None:
        """Holds words that may mean a life is at stake ("crisis" or "grave"): a coordinator reads it at once
        where nothing surer is read (`decide`)."""
        return reading.grave(self.text)

    @cached_property
    def all_well(self) -> bool:
        """Thanks for help in a past emergency whose one is well now: with nothing asked, thanks (`decide`), in a
        language the rules do not read too."""
        return reading.all_well(self.text)

    @cached_property
    def simplified(self) -> str:
        return reading.simplify(self.text)

    @cached_property
    def for_a_second_reading(self) -> bool:
        """Says enough for the second reader (`kinds`): at least kinds.SHORTEST letters or characters besides an
        address, a greeting, thanks, digits and punctuation, in the simplified text ("edificio 23" is "building 23";
        "好吧...", "ok..." read like a farewell by their dots alone). The rules read every shorter grave message
        of the labelled ones."""
        return len(FILLER.sub("", self.simplified)) >= kinds.SHORTEST

    @cached_property
    def can_wait(self) -> bool:
        """The writer says what they ask can wait, with no "but" after it (`parsing.can_wait`: "Sem pressa")."""
        return can_wait(self.text)

    @cached_property
    def filed_grave(self) -> str | None:
        """An emergency or a welfare check the second reader reads likely enough to be filed (`kinds.filed_grave`)."""
        return kinds.filed_grave(self.simplified)

    @cached_property
    def surely_urgent(self) -> bool:
        """A need that cannot wait, surely, by the labelled needs (`kinds.surely_urgent`)."""
        return kinds.surely_urgent(self.simplified)

    @cached_property
    def likely_grave(self) -> bool:
        """An emergency, crisis or a welfare check more than seven times in ten, by the labelled messages (`kinds`)."""
        return kinds.likely_grave(self.simplified)

    @cached_property
    def gravest(self) -> str | None:
        """Of an emergency, crisis and a welfare check, the one likelier than the other two, if any (`kinds`)."""
        return kinds.gravest(self.simplified)

    @cached_property
    def likeliest(self) -> str | None:
        """The kind of message this is more likely than not, by the labelled messages (`kinds.LEARNED`), if any."""
        return kinds.likeliest(self.simplified)

    @cached_property
    def surely(self) -> str | None:
        """The kind of message this is more than eight times in ten, by the labelled messages, if any."""
        return kinds.likeliest(self.simplified, kinds.SURE)

    @cached_property
    def every_job(self) -> bool:
        """Says the volunteer's word is about every job it fits ("both done", "两单都接了")."""
        return reading.every_job(self.text)

    @cached_property
    def passes_on(self) -> bool:
        """Says a volunteer passes on someone else's need with their word ("done 20, also 15-301 needs eggs"), one
        nobody has seen to yet ("done 20, 12-502 ran out of rice, I gave her mine" passes on nothing)."""
        return (reading.passes_on(self.text) or self.asks_besides) and not reading.seen_to(self.text)

    @cached_property
    def job_numbers(self) -> tuple[int, ...]:
        """The job numbers a volunteer wrote (no time, quantity or address)."""
        return reading.job_numbers(self.text)

    @cached_property
    def hurries(self) -> bool:
        return reading.hurries(self.text)

    @cached_property
    def only_thanks(self) -> bool:
        return reading.only_thanks(self.text)

    # -- the need ------------------------------------------------------------------------------
    @cached_property
    def parsed(self) -> Parsed:
        """The need, its urgency, building and room (a building the compound has not got kept apart). Where
        thanks for what came ask for something more, the need is what is asked after it ("菜收到了谢谢 另外我家
        马桶堵了 有没有人能帮忙通一下" asks for help, not food)."""
        return self._besides_what_came(parse_request(self.text, self.buildings))

    @cached_property
    def named(self) -> Parsed:
        """The same read against no list of buildings: what the words name, wherever."""
        return self._besides_what_came(self._as_written)

    @cached_property
    def _as_written(self) -> Parsed:
        return parse_request(self.text, EVERYWHERE)

    @cached_property
    def _asked_after_it_came(self) -> Category | None:
        """The kind of need asked after the words that say what came, where it is another than the whole's; None
        where it is not (read once for `parsed` and `named`)."""
        if not self.asks_for_more or (rest := reading.after_it_came(self.text)) is None:
            return None
        asked = parse_request(rest, EVERYWHERE).category
        return asked if asked != self._as_written.category else None

    def _besides_what_came(self, parsed: Parsed) -> Parsed:
        """`parsed` with the kind of need asked after the words that say what came, where it is another."""
        asked = self._asked_after_it_came
        return parsed if asked is None else replace(parsed, category=asked)

    @cached_property
    def names_nothing_new(self) -> bool:
        """No need, no place and nothing urgent ("still nothing", "？？"): from someone with an open
        request, it is about that request."""
        p = self.named
        return not (p.category or p.building or p.unknown_building or p.room or p.urgent or p.emergency
                    or p.for_other)

    @cached_property
    def about_someone_else(self) -> bool:
        return reading.about_someone_else(self.text)

    @cached_property
    def says_more(self) -> bool:
        """More than an address or a greeting: words worth keeping as the need's details."""
        return bool(FILLER.sub("", self.text).strip())


def read(text: str, buildings: frozenset[int]) -> Reading:
    """The reading of a normalised text; the questions every SMS is asked are answered now (outside
    any transaction), the rest when first asked."""
    found = Reading(text, buildings)
    found.command  # noqa: B018 - read now
    found.parsed  # noqa: B018
    found.named  # noqa: B018
    return found
