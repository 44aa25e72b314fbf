"""Read a message before it is parsed: the written form people use, the language, what it is for.

Pure: no database, no web. Three concerns, each with its rules as data beside this module:
- `simplify`: traditional characters read as simplified (OpenCC), and pinyin without tones
  (`wo xu yao mai cai 12 hao lou 302`) read as the Chinese words of the hotline's vocabulary
  (`lexicon/pinyin_words.txt`), so every later rule is written once, in simplified Chinese.
- `language`: Chinese, English, or another language (lingua for Latin script); the hotline
  answers Chinese in Chinese and every other language in English.
- `intent`: crisis words, infection rumours, general questions and spam (`lexicon/intents.tsv`),
  which must never become a request for a volunteer; `asks_after`: a follow-up on a request.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

from hotline.domain import kinds, literals, numerals

LEXICON = Path(__file__).resolve().parent / "lexicon"
INTENTS = ("crisis", "spam", "stop_asked", "own_case", "advice", "what_if", "rumour", "hearsay", "still_fine",
           "help_text", "offer", "service", "question", "just_asking", "asks_nothing")
ASKING = ("own_case", "advice", "what_if", "still_fine", "offer", "service", "just_asking", "asks_nothing")  # questions
READ_AHEAD = 512  # texts whose readings each process keeps: one SMS is read by a dozen rules, most of them twice

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
# Other scripts, each told by its letters alone (a compound's Russian, Arab, Thai, Indian or Greek residents, and more).
_SCRIPTS = (("ru", re.compile(r"[\u0400-\u04ff]")), ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
            ("th", re.compile(r"[\u0e00-\u0e7f]")), ("hi", re.compile(r"[\u0900-\u097f]")),
            ("he", re.compile(r"[\u0590-\u05ff]")), ("el", re.compile(r"[\u0370-\u03ff]")),
            # scripts no rule reads: the coordinators are shown the message as one in another language, and its
            # writer is answered in English, not in Chinese ("মা অজ্ঞান হয়ে গেছে")
            ("bn", re.compile(r"[\u0980-\u09ff]")), ("pa", re.compile(r"[\u0a00-\u0a7f]")),
            ("gu", re.compile(r"[\u0a80-\u0aff]")), ("ta", re.compile(r"[\u0b80-\u0bff]")),
            ("te", re.compile(r"[\u0c00-\u0c7f]")), ("kn", re.compile(r"[\u0c80-\u0cff]")),
            ("ml", re.compile(r"[\u0d00-\u0d7f]")), ("si", re.compile(r"[\u0d80-\u0dff]")),
            ("lo", re.compile(r"[\u0e80-\u0eff]")), ("bo", re.compile(r"[\u0f00-\u0fff]")),
            ("my", re.compile(r"[\u1000-\u109f]")), ("ka", re.compile(r"[\u10a0-\u10ff]")),
            ("am", re.compile(r"[\u1200-\u137f]")), ("km", re.compile(r"[\u1780-\u17ff]")),
            ("hy", re.compile(r"[\u0530-\u058f]")), ("mn", re.compile(r"[\u1800-\u18af]")),
            ("or", re.compile(r"[\u0b00-\u0b7f]")))
_DIGIT_OR_DANDA = re.compile(r"\d|[\u0964\u0965]")
_LATIN_WORD = re.compile(r"[a-z]+")
_OTHER_SCRIPT_WORD = re.compile(r"[^\W\d_a-z\u00c0-\u024f]+")  # a word of Cyrillic, Arabic, Thai… (CJK taken out)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")  # a word of any script's letters, "i'm" one word
# Where a Latin word meets a Chinese character ("帮我buy一些milk"): read apart, as words.
_LATIN_BY_CJK = re.compile(r"(?<=[a-z])(?=[\u3400-\u4dbf\u4e00-\u9fff])|(?<=[\u3400-\u4dbf\u4e00-\u9fff])(?=[a-z])")


@dataclass(frozen=True)
class Rule:
    """One line of a rules file: what it means, its pattern, and the examples behind it; `needs`, the
    words one of which a text must hold for the pattern to match (`literals.needed`)."""

    kind: str
    pattern: re.Pattern
    example: str
    counter: str = ""
    needs: frozenset[str] = literals.ANYTHING


class Rules(tuple):
    """Rules in their order, each filed under the words it needs: the few that a text's words allow are
    found by looking its words up (`tried`), not by asking each of the file's hundreds of rules."""

    @cached_property
    def _by_word(self) -> dict[str, tuple[int, ...]]:
        """For each word some rule needs, the places of the rules that need it."""
        places: dict[str, list[int]] = {}
        for place, rule in enumerate(self):
            for word in rule.needs:
                places.setdefault(word, []).append(place)
        return {word: tuple(found) for word, found in places.items()}

    def tried(self, held: frozenset[str]) -> list[Rule]:
        """The rules that need one of the words `held` (`literals.held`, the empty string included), in
        their order: the only ones that can match the text."""
        by_word = self._by_word
        return [self[place] for place in sorted({place for word in held for place in by_word.get(word, ())})]

    def of(self, *kinds: str) -> Rules:
        """The rules of these kinds, in their order (kept, as the rules are, for the process)."""
        kept = self.__dict__.setdefault("_kinds", {})
        if kinds not in kept:
            kept[kinds] = Rules(rule for rule in self if rule.kind in kinds)
        return kept[kinds]


def matching(rules: Rules, text: str) -> Iterator[Rule]:
    """The rules whose pattern is found in `text`, in their order; a rule is not tried on a text that
    holds none of the words it needs."""
    return (rule for rule in rules.tried(literals.held(text)) if rule.pattern.search(text))


def blanked(rules: Rules, text: str, blank: str | Callable[[re.Match], str]) -> str:
    """The text with what each rule finds in turn replaced by `blank`, each reading the text as the
    rules before it left it."""
    return rewritten(rules.tried(literals.held(text)), text, lambda _: blank)


def rewritten(rules: Iterable[Rule], text: str, by: Callable[[Rule], str | Callable[[re.Match], str]]) -> str:
    """The text with what each rule finds in turn replaced by what `by` gives for the rule, each reading the text as
    the rules before it left it; a rule none of whose words the text holds then is not tried."""
    held = literals.held(text)
    for rule in rules:
        if not rule.needs.isdisjoint(held) and (changed := rule.pattern.sub(by(rule), text)) != text:
            text, held = changed, literals.held(changed)
    return text


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The lines of a tab-separated lexicon file, numbered, as their fields; `#` starts a comment."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            yield number, line.split("\t")


def _rule(kind: str, pattern: str, example: str, counter: list[str], flags: int) -> Rule:
    compiled = re.compile(bare_too(as_read(pattern), flags), flags)
    return Rule(kind, compiled, example, counter[0] if counter else "", literals.needed(compiled))


def as_read(pattern: str) -> str:
    """The pattern as `simplify` writes a text: each run of letters and marks outside ASCII in NFKC (the Thai "น้ำ"
    as typed is read as "น้ํา", so a pattern written as typed would never match), and a full-width sign, written or
    escaped, found as well as the ASCII sign NFKC makes of it (a text's "？" is read as "?"): in a class beside it
    (`[^。！？]` stops at a "?" too), elsewhere as a class of the two (never a bare "?", a regex's "or not"). A sign
    NFKC makes several of ("…", "...") is left as written: write the ASCII; so are a range's inner signs (`[！-／]`
    adds "!" and "/" alone). The rest as written."""
    out, word, extra, opened = [], [], [], None
    for _, piece, where in _pieces(pattern):
        sign = piece[-1] if where == "escape" else piece
        if where in ("class", "out") and _outside_ascii_word(piece):
            word.append(piece)
            continue
        out.append(unicodedata.normalize("NFKC", "".join(word)))
        word = []
        read = sign if where in ("open", "close") else unicodedata.normalize("NFKC", sign)
        if where == "open":
            opened, extra = len(out), []
        elif where == "close":
            out.insert(opened + 1, "".join(dict.fromkeys(extra)))  # first in the class: never inside a range
            opened = None
        if read == sign or len(read) != 1 or where == "escape" and sign.isascii():
            out.append(piece)
        elif opened is not None:
            extra.append(re.escape(read))
            out.append(piece)
        else:
            out.append(f"[{sign}{re.escape(read)}]")
    return "".join(out) + unicodedata.normalize("NFKC", "".join(word))


def _pieces(pattern: str) -> Iterator[tuple[int, str, str]]:
    """A regex's pieces in order, each with where it begins and what it is: an `escape` (`\\?`), the `open`ing of a
    class (`[`, `[^`, and a `]` first in it, which is one of its characters), a character in a `class`, the `close`
    of one, or a character `out`side any."""
    at, in_class = 0, False
    while at < len(pattern):
        ch = pattern[at]
        if ch == "\\":
            yield at, pattern[at:at + 2], "escape"
            at += 2
        elif ch == "[" and not in_class:
            opening = re.match(r"\[\^?\]?", pattern[at:])[0]
            yield at, opening, "open"
            at, in_class = at + len(opening), True
        else:
            where = ("close" if ch == "]" else "class") if in_class else "out"
            yield at, ch, where
            in_class = in_class and where != "close"
            at += 1


def _outside_ascii_word(ch: str) -> bool:
    return not ch.isascii() and (ch.isalnum() or unicodedata.category(ch).startswith("M"))


def bare_too(pattern: str, flags: int = re.IGNORECASE) -> str:
    """The pattern reading a word typed without its marks as it reads the word written with them: each letter
    of BARE in a word of three letters or more also as the plain letters typed for it (`açmıyor` finds "acmiyor",
    `należy` "nalezy", `não` "nao", `gebäude` "gebaeude" and "gebaude"), as people type on a keyboard without
    them. A shorter word keeps its marks (Vietnamese "tã" is no "ta", Portuguese "só" no "so"), and so do the
    letters found only in Vietnamese and words that begin as only Vietnamese words do, whose words without them are
    too often other words ("chảy" bleeding, "chay" vegetarian; "ngã" a fall, "Nga" a name); a class (`[ée]`) is left
    as written. Where two letters for one cannot be (a look-behind has a fixed width), the plain letter alone."""
    for digraphs in (True, False):
        bare = _bare(pattern, digraphs)
        try:
            re.compile(bare, flags)
        except re.error:
            continue
        return bare
    return pattern


def _bare(pattern: str, digraphs: bool) -> str:
    out = []
    for at, piece, where in _pieces(pattern):
        if where == "out" and piece in BARE and _plain_too(pattern, at):
            plain, two = BARE[piece], digraphs and DIGRAPHS.get(piece)
            out.append(f"(?:{piece}|{two}|{plain})" if two else f"[{piece}{plain}]")
        else:
            out.append(piece)
    return "".join(out)


def _plain_too(pattern: str, at: int) -> bool:
    """Whether the word the pattern writes around its character at `at` (its letters in a row) is read without its
    marks too: three letters or more, and not beginning as only Vietnamese words do ("ngã" a fall, not "Nga" a name;
    "nhà")."""
    start = end = at
    while start > 0 and pattern[start - 1].isalpha() and pattern[start - 2:start - 1] != "\\":
        start -= 1
    while end + 1 < len(pattern) and pattern[end + 1].isalpha():
        end += 1
    return end - start >= 2 and pattern[start:start + 2].lower() not in ("ng", "nh")


# Marked Latin letters and the plain letter typed for each: Turkish, Polish, German, Czech, Hungarian, Romanian,
# the Nordic and Romance languages ("ı" needs none: a pattern that ignores case reads "i" for it already).
BARE = {marked: plain for plain, letters in (
    ("a", "áàâäãåąă"), ("c", "çćč"), ("d", "ď"), ("e", "éèêëęě"), ("g", "ğ"), ("i", "íìîï"), ("l", "łľĺ"),
    ("n", "ñńň"), ("o", "óòôöõøő"), ("r", "řŕ"), ("s", "şśšșß"), ("t", "ťţț"), ("u", "úùûüůű"), ("y", "ýÿ"),
    ("z", "żźž"),
) for marked in letters}
DIGRAPHS = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}  # German without its letters: "Gebaeude", "heiss"


def load_rules(path: Path, flags: int = re.IGNORECASE) -> Rules:
    """Read a tab-separated rules file (`kind, pattern, example[, counter-example]`); `#` starts a comment.
    A `define, name, part` line names a part of a pattern that the lines after it write as ⟨name⟩: a list
    of words that several places of the rules share is written once."""
    rules, parts = [], {}
    for number, (kind, *fields) in _rows(path):
        try:
            if kind == "define":
                name, part = fields
                parts[name] = re.compile(_with_parts(part, parts), flags).pattern
            else:
                pattern, example, *counter = fields
                rules.append(_rule(kind, _with_parts(pattern, parts), example, counter, flags))
        except (re.error, KeyError, ValueError) as error:
            raise ValueError(f"{path.name}:{number}: {error!r}") from None
    return Rules(rules)


def _with_parts(pattern: str, parts: dict[str, str]) -> str:
    """The pattern with each ⟨name⟩ written out as the part its `define` line gave."""
    return _NAMED_PART.sub(lambda found: parts[found[1]], pattern)


_NAMED_PART = re.compile(r"⟨(\w+)⟩")  # a part named by a `define` line above it (`load_rules`)


@cache
def intent_rules() -> Rules:
    return load_rules(LEXICON / "intents.tsv")


@cache
def calm_rules() -> Rules:
    """Words that play a need down ("不急", "no rush", "还有六七天的量"), and what is blanked with them before
    urgency is read (急救箱); ASCII word boundaries, as the words were first written."""
    return load_rules(LEXICON / "calm.tsv", re.IGNORECASE | re.ASCII)


def first_found(rules: Rules, text: str) -> re.Match | None:
    """The match that begins first in `text` of any of the rules, of two that begin at one place the earlier rule's:
    what one pattern of them all, joined by "|", would find."""
    found = (match for rule in rules.tried(literals.held(text)) if (match := rule.pattern.search(text)))
    return min(found, key=lambda match: match.start(), default=None)


@cache
def drug_rules() -> Rules:
    """Drugs by name; ASCII word boundaries, so that `要insulin` names insulin."""
    return load_rules(LEXICON / "drugs.tsv", re.IGNORECASE | re.ASCII)


@cache
def need_rules() -> Rules:
    return load_rules(LEXICON / "needs.tsv")


GRAVITY = ("emergency", "urgent", "vital", "out")  # the kinds of lexicon/needs.tsv that say how grave a need is


def gravity(normalised: str) -> set[str]:
    """How grave a need reads (`emergency`, `urgent`, `vital`: urgent whatever calm words come with it), from the
    already normalised text: by the needs' rules, and by the signs of an emergency or of urgency
    (`lexicon/signs.tsv`)."""
    return {rule.kind for rule in matching(_gravity_rules(), normalised)}


@cache
def _gravity_rules() -> Rules:
    return Rules(need_rules().of(*GRAVITY) + signs("emergency") + signs("urgent") + signs("vital"))


@lru_cache(maxsize=READ_AHEAD)  # read for the need and again for a resident's sentence
def set_aside_past(normalised: str) -> str:
    """The text without the words of a past or feared event ("上礼拜摔了一跤", "怕摔跤"), and, in thanks for help in a
    past emergency, all up to the news that its one is well now (`all_well`)."""
    return set_aside_told(blanked(need_rules().of("all_well"), normalised, " "))


@lru_cache(maxsize=READ_AHEAD)
def set_aside_told(normalised: str) -> str:
    """The text without the words of a story told, a past or feared event or hearsay (`not_emergency`)."""
    return blanked(need_rules().of("not_emergency"), normalised, " ")


def taken_back(simplified: str, at: int) -> bool:
    """Whether a "but" follows `at` in the simplified text: what came before it is not all that is said."""
    return _BUT.search(simplified, at) is not None


def all_well(text: str) -> bool:
    """Tell whether a message thanks for help in a past emergency whose one is well now (`all_well`: "어제
    넘어졌는데 이제 괜찮아요 … 감사", "Namatay ang cellphone ko kagabi … okay lang ako. Salamat"), and says no "but"
    after that ("…tata czuje się dobrze. Ale ja już nie daję rady…": what follows is read as any message)."""
    return standing(need_rules().of("all_well"), simplify(text))


def standing(rules: Rules, simplified: str, taken_back_by: Rules = ()) -> bool:
    """Whether some rule of `rules` matches the simplified text with no "but" after it (`taken_back`), nor a match of
    `taken_back_by` ("…she fell AGAIN": `decide._over`): what it says still stands at the end of the message."""
    return any(not taken_back(simplified, found.end())
               and not any(back.pattern.search(simplified, found.end()) for back in taken_back_by)
               for rule in matching(rules, simplified) for found in rule.pattern.finditer(simplified))


# "But", after the news that all is well (more is said than thanks) or after the words that a need can wait
# (`parsing.can_wait`: "急ぎではありませんが、隣のおばあさんが…").
_BUT = re.compile(r"\b(?:but|however|though|ale|aber|mais|mas|pero|però|porém|но|однако|ama|fakat|ancak|nhưng|tapi"
                  r"|namun|kaso|lekin|magar|maar|але|lakini|însă|insa|geunde|hajiman|kedo|vali|бірақ|αλλά)\b"
                  r"|लेकिन|मगर|(?:(?<=, )|(?<=,))पर(?=\s)|لیکن|مگر"  # "कोई जल्दी नहीं, पर …": no hurry, but
                  r"|لكن|اما|ولی|אבל|কিন্তু|ஆனால்|ግን|तर(?=\s)|ဒါပေမဲ့|但是|但系|可是|不过|でも|けど|が[、,]|ですが|하지만|그런데|지만"
                  r"|(?<!ตั้ง)แต่(?!ละ|อยาก)")  # "แต่อยากได้ภายในสัปดาห์นี้": but I would like it this week


@lru_cache(maxsize=READ_AHEAD)
def _intents_said(text: str) -> frozenset[str]:
    """The kinds of the intent rules a message matches, read once for every question asked of them."""
    return frozenset(rule.kind for rule in matching(intent_rules(), simplify(text)))


def _says(rules: Rules, kind: str, text: str) -> bool:
    """Whether any rule of `kind` among `rules` matches the text, written as the rules read it."""
    return any(matching(rules.of(kind), simplify(text)))


def asks_after(text: str) -> bool:
    """Tell whether a message asks after a request already made ("还没送到", "any update?")."""
    return "follow_up" in _intents_said(text)


def hurries(text: str) -> bool:
    """Tell whether a message asks for speed ("能不能快点", "please hurry"): from someone with an open
    request, about that request."""
    return "hurry" in _intents_said(text)


# A question, by its form: asking words, a question mark, a sentence particle that asks, one thing or another.
_ASKS = re.compile(r"[?？]|吗|伐\b|伐$|么$|呢$|几点|什么时候|啥时候|啥辰光|哪里|哪儿|在哪|哪能|怎么|谁|是不是|有没有"
                   r"|是[^，。,.!！]{1,15}还是"  # "放在小区门口还是送到楼下": one or the other?
                   r"|能不能|要不要|可不可以|^\W*(?:what|when|where|how|who|which|why|is|are|do|does|can|could|will|should)\b")


def asks(text: str) -> bool:
    """Tell whether a message is put as a question ("明天还要做核酸伐", "Are deliveries allowed?")."""
    return _ASKS.search(simplify(text)) is not None


def intent(text: str) -> str | None:
    """What a message is for when it is no need (crisis, spam, rumour, help_text, question); crisis first, unless
    its words are of a story told, a past or a feared event (lexicon/needs.tsv's `not_emergency`: "剧里女主最后从楼顶跳
    下去了"); not what a thanks for a past emergency sets aside, since crisis words in a thanks stand."""
    said = _intents_said(text)
    if "crisis" in said and not any(matching(intent_rules().of("crisis"), set_aside_told(simplify(text)))):
        said = said - {"crisis"}
    kind = next((kind for kind in INTENTS if kind in said), None)
    if kind in ("just_asking", "asks_nothing") and ("follow_up" in said or resident_word(text) is not None):
        return None  # "就是问一下大概几点能到", "想问一下45号单子有人接了吗": asks after a request
    return "question" if kind in ASKING else kind  # one's own case: no rumour


def says_it_came(text: str) -> bool:
    """Tell whether a message says that what was brought has come ("bien reçus ce matin", "dawai mil gayi", "water's
    back now"): with thanks and a flat, the flat signs the thanks; it asks for nothing."""
    return _says(category_rules(), "received", text)


def after_it_came(text: str) -> str | None:
    """The words after the first that say what was brought has come or thank for it by name ("菜收到了谢谢
    另外我家马桶堵了…" gives "谢谢 另外我家马桶堵了…", "thanks for the rice and eggs! could someone…" gives
    "! could someone…"), as the rules read them; None where none says so. What is asked there is asked besides
    what came."""
    simplified = simplify(text)
    ends = [found.end() for rule in category_rules().of("received", "thanked_for").tried(literals.held(simplified))
            if (found := rule.pattern.search(simplified))]
    return simplified[min(ends):] if ends else None


def asks_to_lend(text: str) -> bool:
    """Tell whether a message asks the neighbours for something spare, or for one who can do a thing ("anyone got a
    spare usb-c charger?", "小区里有没有会理发的志愿者"): a need, however much it reads like a question."""
    return _says(category_rules(), "lend", text)


def asks_to_bring(text: str) -> bool:
    """Tell whether a message asks in so many words to be brought, bought or fixed something ("麻烦帮我买两袋")."""
    return _says(category_rules(), "bring", text)


def asks_advice(text: str) -> bool:
    """Tell whether a message asks what to keep, buy or do ("中暑了要备点啥药"): a question, though it names a need."""
    return "advice" in _intents_said(text)


def asks_what_if(text: str) -> bool:
    """Tell whether a message asks what would happen, or what to do, if something happened ("降压药要是断两日会哪能"),
    or whether something is still safe or fine ("仲饮唔饮得"): a question, though it names a need run out."""
    return not {"what_if", "still_fine"}.isdisjoint(_intents_said(text))


def just_asking(text: str) -> bool:
    """Tell whether a message says it asks first ("先问一下") or only asks ("就是问问", "just wondering")."""
    return not {"just_asking", "asks_nothing"}.isdisjoint(_intents_said(text))


def asks_nothing(text: str) -> bool:
    """Tell whether a message says in so many words that it asks for nothing ("just asking", "问问而已"): its
    "can I…?" is a question, not a need."""
    return "asks_nothing" in _intents_said(text)


def needs_nothing(text: str) -> bool:
    """Tell whether a message says nothing more is needed ("别的暂时不需要了", "don't need anything else for
    now"): with thanks, it is thanks, though it names what came."""
    return "needs_nothing" in _intents_said(text)


def wants(text: str) -> bool:
    """Tell whether a message says the sender needs or wants something, or is running out ("我需要两盒", "we need
    bread", "家里米快吃完了"): with a question of where it is sold or whether one may fetch it, a need."""
    return "wants" in _intents_said(text)


def without_needs_nothing(normalised: str) -> str:
    """The text without its words that nothing more is needed: they neither cancel nor ask ("需要")."""
    return blanked(intent_rules().of("needs_nothing"), normalised, " ")


def asks_what_is_done(text: str) -> bool:
    """Tell whether a message asks what the hotline does ("你们能送宠物粮吗？还是只有菜跟药"): a question, though it
    names a need."""
    return "service" in _intents_said(text)


def runs_out(text: str) -> bool:
    """Tell whether a message says something has run out ("家里米吃完了", "we ran out yesterday")."""
    return _says(need_rules(), "out", text) or _says(category_rules(), "food_out", text)


def asks_if_true(text: str) -> bool:
    """Tell whether a message asks if news is true ("是真的吗", "is it true?")."""
    return "true_asked" in _intents_said(text)


def quotes_a_scam(text: str) -> bool:
    """Tell whether a message read as spam only tells of a scam it was sent ("加微信领免费口罩？我不信。"): it
    carries no link, code or contact of its own (`advert`), or its writer says it is a scam (`doubted`)."""
    said = _intents_said(text)
    return "doubted" in said or "advert" not in said


def offers(text: str) -> bool:
    """Tell whether a message offers food or things to give away ("多的土豆我放楼下了，谁要自己拿"): a question
    for the coordinators, though it names food."""
    return "offer" in _intents_said(text)


@cache
def category_rules() -> Rules:
    return load_rules(LEXICON / "categories.tsv")


def named(normalised: str) -> set[str]:
    """What a message names, by the categories file: medicine, food, help, carry, thanks."""
    return {rule.kind for rule in matching(_named_rules(), normalised)}


@cache
def _named_rules() -> Rules:
    return Rules(category_rules() + signs("welfare"))


def asks_for_more(text: str) -> bool:
    """Tell whether a message asks for something ("另外有没有膏药", "could I also get…"): with thanks,
    it is a need; thanks alone for what came ("谢谢你们送的菜") is not."""
    return _says(category_rules(), "asking", text)


def asks_besides(text: str) -> bool:
    """Tell whether a message asks for something besides what it says ("菜还没到，另外降压药也快没了")."""
    return _says(category_rules(), "also", text)


@cache
def grave_rules() -> Rules:
    return load_rules(LEXICON / "grave.tsv")


def grave(text: str) -> str | None:
    """Whether a message holds words that may mean a life is at stake, whatever else it is read as
    (`lexicon/grave.tsv`): "crisis" ("everyone would be better off without me"), "grave" ("外公突然晕过去了"),
    or None."""
    text = set_aside_past(simplify(text))  # "上礼拜摔了一跤", "怕摔跤", "打不着火"
    said = {rule.kind for rule in matching(_grave_rules_and_signs(), text)}
    laughs = _LAUGHS.search(text) or "crisis" not in said and _LAUGHS_ELSEWHERE.search(text)
    if laughs and not said & {"remains", "earnest"}:  # "so tired of all of it lol, send snacks"
        return None
    if "remains" in said or "crisis" not in said and _farewell(text):
        return "crisis"
    return next((kind for kind in ("crisis", "grave") if kind in said), None)


@cache
def crisis_cues() -> Rules:
    return load_rules(LEXICON / "crisis_cues.tsv")


@lru_cache(maxsize=READ_AHEAD)
def _cues(normalised: str) -> frozenset[str]:
    """The kinds of the cues of a farewell a normalised text holds, read once for every question asked of them."""
    return frozenset(rule.kind for rule in matching(crisis_cues(), normalised))


def given(text: str) -> bool:
    """Tell whether a message says what was asked for was brought by someone else ("隔壁阿姨给了我一盒", "my son dropped
    off groceries"): with thanks and nothing else asked, nothing is needed from the hotline."""
    return "given" in _cues(simplify(text))


def stops_for_good(text: str) -> bool:
    """Tell whether a message says deliveries or care are no longer needed ("以后不用给我送菜了", "no more deliveries
    for me"): with a reason, a goodbye; with more cues of a farewell, crisis words (`grave`)."""
    return "for_good" in _cues(simplify(text))


def without_hope(text: str) -> bool:
    """Tell whether a message says there is no hope left, or that the means are at hand ("Hindi ko na kaya", "not a
    burden much longer", pills saved): with thanks, it goes before a person, not closed as thanks."""
    return not _cues(simplify(text)).isdisjoint({"no_hope", "means"})


def explained(text: str) -> bool:
    """Tell whether a message gives a reason that explains a goodbye or an end to deliveries (family came, a move, a
    hospital stay: `lexicon/crisis_cues.tsv`'s `reason`; food enough from elsewhere: `supplied`)."""
    return not _cues(simplify(text)).isdisjoint({"reason", "supplied"})


_ORDINARY = frozenset({"thanks", "place", "at_hand"})  # two of these make no farewell: thanks, a window open


def _farewell(text: str) -> bool:
    """Two cues of a farewell of different kinds anywhere in the message, not only ordinary ones (three may
    all be), and no reason that explains them (`lexicon/crisis_cues.tsv`)."""
    cues = _cues(text) - {"supplied", "given"}  # food from elsewhere explains a cancel, not a farewell
    return "reason" not in cues and (len(cues) >= 3 or len(cues) == 2 and not cues <= _ORDINARY)


@cache
def _grave_rules_and_signs() -> Rules:
    return Rules(grave_rules() + signs("crisis"))


_LAUGHS = re.compile(r"\b(?:lol|lmao|rofl|(?:ha){2,}h?|(?:he){2,}|jk)\b|哈哈|呵呵|嘻嘻|😂|🤣|😆|😅|😄|😁|😜")
# Laughter written in the other languages ("커피 없어서 죽을 것 같아요 ㅋㅋㅋ", "Nada urgente jaja",
# "号泣しちゃいました笑"): it sets grave words aside as "lol" does, but never crisis words ("wkwkwk capek banget
# hidup, mending aku mati aja").
_LAUGHS_ELSEWHERE = re.compile(r"\b(?:(?:ja){2,}|(?:je){2,}|k{4,}|(?:rs){2,}|wkwk\w*|а?(?:ха){2,}х?)\b"
                               r"|[ㅋᄏ]{2}|[ㅎᄒ]{2}|(?<=[\u3040-\u30ff])(?:笑(?=\s|[。！!]|$)|w{2,})")  # NFKC's too


@cache
def sign_rules() -> Rules:
    """The signs of `lexicon/signs.tsv`, each a `Rule`: its two sets of words, in either order, with at most
    so many characters between them in one sentence, not right after a "no"/"not"/"没"/"不"."""
    words, rules = {}, []
    path = LEXICON / "signs.tsv"
    for number, (what, *fields) in _rows(path):
        try:
            if what == "word":
                name, pattern = fields[:2]
                words[name] = f"(?:{re.compile(pattern).pattern})"
                continue
            kind, first, second, within, example, *counter = fields
            gap = f"[^.!?。！？；;\\n]{{0,{int(within)}}}?"
            either = f"{_UNSAID}{words[first]}{gap}{words[second]}|{_UNSAID}{words[second]}{gap}{words[first]}"
            rules.append(_rule(kind, either, example, counter, re.IGNORECASE))
        except (re.error, KeyError, ValueError) as error:
            raise ValueError(f"{path.name}:{number}: {error}") from None
    return Rules(rules)


_UNSAID = (r"(?<!\bno )(?<!\bnot )(?<!never )(?<!没)(?<!没有)(?<!不)(?<!无)"  # "no chest pain", "没摔倒"
           r"(?<!\bno le )(?<!\bno me )(?<!\bnão )(?<!\bkeine )(?<!\bkein )(?<!\bне )")  # "no le duele el pecho"


@cache
def signs(kind: str) -> Rules:
    """The signs of one kind, each pattern once: a sign written on several lines, for each line's example, is
    searched once in a message."""
    first: dict[str, Rule] = {}
    for rule in sign_rules().of(kind):
        first.setdefault(rule.pattern.pattern, rule)
    return Rules(first.values())


def distressed(text: str) -> bool:
    """Tell whether a message tells of pain, illness or harm ("胸口有点闷", "his left arm is numb"): a need,
    even when no kind of need is named."""
    return _says(category_rules(), "distress", text)


def thanks(text: str) -> bool:
    """Tell whether a message thanks or nods somewhere in it ("收到收到 药也在里面 谢了")."""
    return _says(category_rules(), "thanks", text)


def ends_in_thanks(text: str) -> bool:
    """Tell whether a message ends with its thanks, nothing after it but thanks and their small words ("…隔壁阿姨给了
    我一盒，谢谢你们", "…thanks anyway!"; not "…thanks. mum hasnt woken up since morning", "…谢谢 下辈子再报答")."""
    text = simplify(text)
    thanked = _covered(("thanks",), text)
    if not any(thanked):
        return False
    last = max(at for at, covered in enumerate(thanked) if covered)
    small = _covered(("filler",), text)  # after the last thanks, only small words may follow
    after = zip(text[last + 1:], small[last + 1:], strict=True)
    return not any(char.isalnum() and not covered for char, covered in after)


def only_thanks(text: str) -> bool:
    """Tell whether a message is nothing but thanks and nods ("收到 🙏🙏", "Merci beaucoup !"), with
    the small words that go with them (`filler`) and, after thanks, small talk (`small_talk`: "你们几点下班啊?")."""
    text = simplify(text)
    said = _covered(("thanks", "filler"), text)
    talk = _covered(("small_talk",), text)  # with thanks besides it, still thanks: "Got it, thank you! Are you ok?"
    said_or_talk = [covered or chat for covered, chat in zip(said, talk, strict=True)]
    return any(covered and not chat for covered, chat in zip(said, talk, strict=True)) \
        and not any(char.isalnum() and not covered for char, covered in zip(text, said_or_talk, strict=True))


def _covered(kinds: tuple[str, ...], text: str) -> list[bool]:
    """Each character of the simplified `text` that some rule of categories.tsv's `kinds` matches, every rule read on
    the whole text."""
    covered = [False] * len(text)
    for rule in matching(category_rules().of(*kinds), text):
        for match in rule.pattern.finditer(text):
            covered[match.start():match.end()] = [True] * (match.end() - match.start())
    return covered


@cache
def resident_rules() -> Rules:
    return load_rules(LEXICON / "resident_words.tsv")


def resident_word(text: str) -> str | None:
    """A resident's word said in a sentence about a request already made (not_received, cancel,
    status, change: a change to what was asked), or None."""
    return next((rule.kind for rule in matching(resident_rules(), simplify(text))), None)


@cache
def household_rules() -> Rules:
    return load_rules(LEXICON / "households.tsv")


def about_someone_else(text: str) -> bool:
    """Tell whether a message is about another household ("对门老太也要买菜", "he lives in 5-1201"),
    so an address unlike the sender's own on the roster is no slip."""
    return _says(household_rules(), "someone_else", text)


def yes_or_no(text: str) -> bool | None:
    """Read a whole message as the answer to a yes-or-no question ("1", "对的", "2", "不是"); None
    when it is neither."""
    kind = next((rule.kind for rule in matching(household_rules().of("yes", "no"), simplify(text))), None)
    return None if kind is None else kind == "yes"


@cache
def volunteer_rules() -> Rules:
    return load_rules(LEXICON / "volunteer_words.tsv")


@cache
def time_left_rules() -> Rules:
    """How long a medicine lasts, in other languages: `soon` (today, tonight, by tomorrow morning) or `later` (days
    or a week: `lexicon/time_left.tsv`, read by hotline/domain/parsing.py)."""
    return load_rules(LEXICON / "time_left.tsv")


@cache
def door_rules() -> Rules:
    """What a volunteer's message tells of a door: someone found there, a hazard, words that it is over, and a fall
    again after them (`lexicon/at_a_door.tsv`, read by hotline/domain/decide.py)."""
    return load_rules(LEXICON / "at_a_door.tsv")


_ABOUT_JOBS = ("unanswered", "decline", "done", "accept")  # the words that act on the jobs numbered

# A job number: digits that are no time, duration, quantity, floor or building ("3pm", "20 min", "8点").
_JOB_NUMBER = re.compile(
    r"(?<![\d:./栋幢楼号度-])(?<!bldg )(?<!building )(?<!room )(?<!rm )(?<!apt )(?<!flat )"
    r"(?<!gate)(?<!gate )(?<!floor)(?<!floor )"
    r"(?<!叫)(?<!打)(?<!拨)(?<!call )(?<!dial )(?<!called )"  # "快叫120": a phone number
    r"#?\s*(\d{1,9})(?![\d:/-]|\.\d)"
    r"(?!\s*(?:点|分钟|分|小时|个|斤|元|块|楼|号楼|号线|号电池|栋|幢|单元|室|层|度|℃|°|am\b|pm\b|mins?\b|minutes\b|h\b|hours?\b|yuan|kg))",
    re.IGNORECASE,
)


# The kinds of volunteer_words.tsv that say more of a word, not a word of their own.
_NOT_A_WORD = frozenset({"every", "passed_on", "handled"})


def volunteer_reply(text: str) -> tuple[str, tuple[int, ...]] | None:
    """A volunteer's reply in their own words: the word (accept, done, decline, list, off, on, help)
    and the job numbers written, in order; None when it says none of them. With job numbers written,
    a word about those jobs comes before going off or on ("20 and 21 delivered, that's me done for today")."""
    text = simplify(text)
    rules = [rule for rule in matching(volunteer_rules(), text) if rule.kind not in _NOT_A_WORD]
    if not rules:
        return None
    said = [rule.kind for rule in rules]
    digits = numerals.job_digits(text)  # once: the numbers, and each part's, are read in it
    numbers = _job_numbers_in(digits)
    word = said[0]
    if len(numbers) > 1 and word != "help" and (parts := _jobs_by_part(digits)) is not None:
        return parts  # "20号送到了 21号还没去": only 20 is delivered
    if len(numbers) == 1 and word not in ("help", "unanswered") and (own := _word_beside_the_job(digits)) is not None:
        word = own  # "done 21. the lady in 12-205 has no rice left": the word said with the job, not a later "no"
    if numbers and word in ("off", "on", "list"):
        word = next((kind for kind in said if kind in _ABOUT_JOBS), word)
    if word == "done" and asked_in_clause(text, next(r for r in rules if r.kind == "done").pattern.search(text)):
        return None  # "请问127要送到几楼？", "127送到了吗？": a question about the job, nothing delivered yet
    return word, numbers


def asked_in_clause(text: str, said: re.Match | None) -> bool:
    """Tell whether the clause holding `said` (a word of delivery) asks a question ("要送到几楼？", "送到了吗"), rather
    than saying it is done ("127 dropped off, is that ok?": the drop-off is said, the question is another clause)."""
    if said is None:
        return False
    clause = _CLAUSE_END.match(text, _clause_start(text, said.start()))
    return bool(clause and _QUESTION.search(clause[0]))


def _clause_start(text: str, at: int, marks: str = ",，.。;；!！\n") -> int:
    """Where the clause holding the character at `at` begins: after the last of the `marks` before it."""
    return max(text.rfind(mark, 0, at) for mark in marks) + 1


_CLAUSE_END = re.compile(r"[^,，.。;；!！\n?？،]*[?？؟]?")


def denied_or_asked(text: str, word: str) -> bool:
    """Tell whether the `word` ("done", "accept") a volunteer's message says in a language other than Chinese or
    English is denied or asked about in its clause: a "not" a few words before it ("il 21 non è stato consegnato",
    "saya tidak ambil 128", "لم أقبل 128"), or right after it where the language puts it there ("20番は配達完了して
    ません"), or a question ("hai consegnato il 20?", "21 giao rồi chưa?", "รับ 127 ได้ไหมครับ", "هل سلمت 20"). A "not"
    of the news after it denies nothing ("20 доставил, её не было дома": the word, `_DENIED_AFTER`)."""
    text = simplify(text)
    said = next((rule.pattern.search(text) for rule in matching(volunteer_rules().of(word), text)), None)
    if said is None:
        return False
    start = _clause_start(text, said.start(), ",，.。;；!！\n?？،")  # a question before it is a clause of its own
    end = _CLAUSE_END.match(text, said.end()).end()
    return bool(_DENIED.search(text[max(start, said.start() - _BEFORE):said.start()])
                or _DENIED_AFTER.match(text, said.end(), min(end, said.end() + _AFTER))
                or _ASKED.search(text[start:end]))


_BEFORE, _AFTER = 16, 8  # characters before and after a word about a job where a "not" denies it
_DENIED = re.compile(
    r"\b(?:non|não|nao|pas|nicht|не|нет|değil|tidak|belum|blm|gak|nggak|enggak|tdk|không|chưa|chua|nie|hindi|nahi"
    r"|nahin|jamais|nunca|never)\b|\bno (?:lo |la |le |se |me |te |les )?"
    r"(?:he|ha|hemos|han|está|estaba|fue|pude|puedo|acepto|tomo|encargo|quedo|llevo)\b"
    r"|ไม่|ยัง|(?<!\w)(?:لم|لا|ما|لسا|لسه|مش)(?!\w)|안 |못 |않|まだ", re.IGNORECASE)
_DENIED_AFTER = re.compile(r"[^,，.。!！?？]{0,4}?(?:ません|ない|않|못|안 |لسا|لسه)", re.IGNORECASE)
_ASKED = re.compile(r"[?？؟]|\bchưa\s*$|ไหม|มั้ย|หรือยัง|까요|나요|ですか|ますか|ましたか|でしょうか|(?<!\w)هل\s"
                    r"|\bapakah\b", re.IGNORECASE)
_QUESTION = re.compile(r"(?:几|哪|什么|啥|要不要|是不是|\b(?:where|which|what|when|should|how)\b)[^?？]*[?？]$"
                       r"|(?:吗|伐|么)\s*[?？]?$")


# The parts of a volunteer's message that may each say what became of their own jobs: cut at punctuation, at
# "but", and at a space between Chinese and a number ("20号送到了 21号还没去", "took 127, can't do 128 today"),
# not after 和 ("20 和 21 都送好了").
_PART = re.compile(r"[,，.。;；!！、\n]+|(?<=[?？])|(?<=[\u3400-\u9fff])(?<![和跟同及])\s+(?=#?\d)"
                   r"|\s*\b(?:but|though)\b\s*|但是|可是|不过|唔过")
_ONLY_NUMBERS = re.compile(  # "128", "和21号", "127那单", and the same again: "20 too", "128也行", "same for 21"
    r"(?:#?\s*\d+\s*(?:号|號)?|\b(?:and|too|also|as well|same(?: for| with)?|(?:is )?fine|ok)\b|&|\+|和|跟|同|及"
    r"|也是|也行|也可以|也|都是|都|一样|同样|照样|(?:那|这)?(?:单子|单|家|户)|\s)+", re.IGNORECASE)


def _jobs_by_part(digits: str) -> tuple[str, tuple[int, ...]] | None:
    """With several jobs named (in `digits`, the text as `numerals.job_digits` writes it), the word of the first part
    that acts on some, and the jobs it acts on; None when one job is named, or no part names both a job and a word
    about it (then the whole message's word is for all of them).

    A part that is only jobs takes the word of the next part that says one ("20号 21号 都送到了"), or of the part
    before ("OK 127, 128", "128也行"); one that asks ("is 127 the one in unit 2?") acts on none. Jobs whose part
    says nothing the hotline acts on ("21号还没去", "127 I'll check later") are left as they are; so are the jobs
    of a second part with another word ("took 127, can't do 128": 127 is accepted)."""
    acted: list[tuple[str, list[int]]] = []
    waiting: list[int] = []  # jobs named without a word yet
    before = None  # the word of the part before
    named: set[int] = set()
    for part in _PART.split(digits):
        if not part.strip():
            continue
        numbers = [int(m[1]) for m in _JOB_NUMBER.finditer(part)]
        named.update(numbers)
        word = _word_about_jobs(part)
        if part.rstrip().endswith(("?", "？")):
            waiting, before = [], None
            continue
        if word is None and numbers and before and _ONLY_NUMBERS.fullmatch(part):
            acted[-1][1].extend(numbers)  # "OK 127, 128": the word before is for these too
            continue
        if word is None:  # "20号 21号 都送到了": the word to come; "21号还没去": none
            waiting = waiting + numbers if _ONLY_NUMBERS.fullmatch(part) else []
        else:
            acted.append((word, waiting + numbers))
            waiting = []
        before = word
    acted = [(word, numbers) for word, numbers in acted if numbers]
    if not acted or len(named) < 2:
        return None  # one job named: the whole message's word is for it
    first = acted[0][0]
    return first, tuple(dict.fromkeys(n for word, numbers in acted if word == first for n in numbers))


def _word_beside_the_job(digits: str) -> str | None:
    """The word about jobs said in the part of the message that names its one job ("done 21" in "done 21. she has
    no rice left"), where another part says another; None when that part says none."""
    return next((_word_about_jobs(part) for part in _PART.split(digits) if _JOB_NUMBER.search(part)), None)


def _word_about_jobs(part: str) -> str | None:
    """The first word in a part of a volunteer's message that acts on the jobs it names (accept, done, decline…)."""
    return next((rule.kind for rule in matching(volunteer_rules(), part) if rule.kind in _ABOUT_JOBS), None)


def every_job(text: str) -> bool:
    """Tell whether a volunteer's word is about every job it fits ("both delivered", "两单都接了")."""
    return _says(volunteer_rules(), "every", text)


def passes_on(text: str) -> bool:
    """Tell whether a volunteer passes on someone else's need with their word ("done 20, also 15-301 needs eggs")."""
    return _says(volunteer_rules(), "passed_on", text)


def seen_to(text: str) -> bool:
    """Tell whether a volunteer says a need they tell of was seen to already ("I gave her mine", "已经叫伊女儿送过来
    了")."""
    return _says(volunteer_rules(), "handled", text)


def job_numbers(text: str) -> tuple[int, ...]:
    """The job numbers a volunteer wrote, in order: every number that is no time, quantity, address, metro line or
    battery size ("3号线", "5号电池"), in digits or in Chinese numerals ("收到 一百二十八 我来")."""
    return _job_numbers_in(numerals.job_digits(simplify(text)))


def _job_numbers_in(digits: str) -> tuple[int, ...]:
    """The job numbers of a text as `numerals.job_digits` writes it, in order, each once."""
    return tuple(dict.fromkeys(int(m[1]) for m in _JOB_NUMBER.finditer(digits)))


def prepare() -> None:
    """Load the rules, the converters, the pinyin vocabulary and the second reader's models (`kinds`) now (a web
    process does as it starts), so that no message waits for them: the first in pinyin or English would wait
    about a second, the first read by the model half a second.
    lingua's detectors (30 MB for eighteen Latin-script languages, 3 MB for six Cyrillic ones, 12 MB for Arabic, Persian
    and Urdu) are left to the rare message that needs them: each loads in a fraction of a second."""
    from hotline.domain.address import not_address_rules  # it reads with this module's rules

    for rules in (intent_rules, need_rules, category_rules, resident_rules, household_rules, volunteer_rules,
                  door_rules, time_left_rules, drug_rules, calm_rules, grave_rules, sign_rules, crisis_cues,
                  not_address_rules, _gravity_rules, _named_rules, _grave_rules_and_signs):
        rules()
    _address_words()
    _romanised()
    literals.held("")  # the automaton of every word the rules above need, made once now and not by the first message
    _opencc()
    kinds.model()
    kinds.urgency_model()
    _syllables()
    _pinyin_words()


# --- the written form -----------------------------------------------------------------------

@cache
def _opencc():
    import opencc  # loaded on first use: a process that reads no text never pays for it

    return opencc.OpenCC("t2s")


@cache
def _address_words() -> Rules:
    """lexicon/address_words.tsv as rules (`kind` is what the words are read as), each tried only on a text that holds
    a word it needs."""
    return Rules(_rule(read_as, pattern, example, [], re.IGNORECASE)
                 for _, (pattern, read_as, example) in _rows(LEXICON / "address_words.tsv"))


@lru_cache(maxsize=READ_AHEAD)
def simplify(text: str) -> str:
    """NFKC, lower case, a curly apostrophe straight (`don’t`), the digits of every script as 0-9, simplified
    characters with a Latin word beside them set apart (`帮我buy一些milk`), pinyin read as Chinese, other
    languages' building and room words as the address reader's, one space between words (kept per text:
    every rule reads the same message through it)."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    text = toneless(text)
    text = ascii_digits(text)
    # every address word in turn (one writes "building", which a later one may need), compiled before the text's
    # words are looked up: the words they need are then known to `literals.held`
    text = rewritten(_address_words(), text, lambda word: word.kind)
    if _CJK.search(text):
        text = _PINYIN_BUILDING.sub("号楼", text)  # "wo zhu 7 hao lou 五零三，…": the rest in characters
        text = _LATIN_BY_CJK.sub(" ", _opencc().convert(text))  # "20 delivered了": a word ends before 了
    elif is_pinyin(text):
        text = from_pinyin(text)
    text = _NOT.sub(_contracted, text)  # "has not picked up" reads as "hasn't picked up": rules say it once
    text = _restored(text)  # "hasnt", "im", "theres", as texted: "hasn't", "i'm", "there's"
    return " ".join(text.split())


def ascii_digits(text: str) -> str:
    """The text with the digits of every script written 0-9 ("ساختمان ۱۵ واحد ۵۰۱", "भवन ३१", "အခန်း ၃၀၅", an answer
    "३०२"), one character for one: what reads an address, a job's number or a time left reads them so."""
    return text if text.isascii() else _OTHER_DIGIT.sub(lambda digit: str(unicodedata.decimal(digit[0])), text)


_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


# "号楼" in pinyin between two numbers, in a message mostly in characters (one all in pinyin is read as pinyin).
_PINYIN_BUILDING = re.compile(r"(?<=\d)\s*hao\s*lou(?![a-z])(?=\s*(?:\d|[零一二三四五六七八九幺]))")


# English negations written out, as the rules write them contracted.
_NOT = re.compile(r"\b(?:(is|are|was|were|has|have|had|does|do|did|could|would|should)\s+not"
                  r"|(can)\s*not|(will)\s+not)\b")


# A name in brackets: "paracetamol (对乙酰氨基酚)" is no Chinese sentence.
_BRACKETED = re.compile(r"[(（【\[][^)）】\]]{0,30}[)）】\]]")


# Contractions texted without their apostrophe.
_BARE = re.compile(r"\b(?:(has|have|had|do|does|did|is|are|was|were|could|would|should|ca|wo)nt|(i)m|(i)ve"
                   r"|(he|she|there|that|what)s)\b")


def _restored(text: str) -> str:
    """The text with its contractions texted bare written out; "im" only in English ("es riecht im Flur nach Gas"
    is German, by `language`, asked once and only of a text that has one)."""
    english = None

    def written(bare: re.Match) -> str:
        nonlocal english
        if bare.group(2):  # "im"
            english = language(text) == "en" if english is None else english
            if not english:
                return bare.group(0)
        return _apostrophe(bare)

    return _BARE.sub(written, text)


def _apostrophe(match: re.Match) -> str:
    negated, i_am, i_have, is_ = match.groups()
    if negated:
        return f"{negated}n't"
    return "i'm" if i_am else "i've" if i_have else f"{is_}'s"


def _contracted(match: re.Match) -> str:
    verb = match.group(1) or match.group(2) or match.group(3)
    return {"can": "can't", "will": "won't"}.get(verb, verb + "n't")


_TONE_MARKS = "\u0300\u0301\u0304\u030c"  # the four tones' marks; ü's dots (U+0308) stay


@cache
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (`ü` written `v` or `u`), from pypinyin's dictionary."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            toneless = _without_tones(reading)
            found.add(toneless.replace("ü", "v"))  # nver: 女儿
            found.add(toneless.replace("ü", "u"))  # nuer, as many type it too
    return frozenset(found)


# English words that are also pinyin syllables; a message of these alone is English.
_ENGLISH_TOO = frozenset("a an e o i me he she we ok no to in on ban bang pan man long tan hang fan sun".split())


def toneless(text: str) -> str:
    """Pinyin written with its tone marks (`nǐ hǎo, wǒ jiā chī de dōu méi yǒu le`, `jiù mìng`) as pinyin without them,
    which the rules read; any other text as it is (`Où en est ma demande`, `Tôi cần thuốc`: no pinyin once bare)."""
    if not _FIRST_OR_THIRD.search(text) and len(_TONED.findall(text)) < 2:  # not "Xin chào", "Ciao, sì"
        return text
    bare = _without_tones(text).replace("ü", "v")
    return bare if is_pinyin(bare) else text


_TONED = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙǕǗǙǛ]")  # a vowel with a tone mark
_FIRST_OR_THIRD = re.compile("[āēīōūǖǎěǐǒǔǚĀĒĪŌŪǕǍĚǏǑǓǙ]")  # pinyin's own marks: French or Vietnamese has none


def _without_tones(text: str) -> str:
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text) if c not in _TONE_MARKS))


def is_pinyin(text: str) -> bool:
    """Tell pinyin without tones (`wo xu yao mi`, `maicai`) from English: every Latin word is made of pinyin
    syllables, and at least two words are not English words too; or one word is not (a typo, `... xiexei`) and
    three are words only pinyin is full of (`_PINYIN_MARKS`: "Nina here, one more rice please" stays English)."""
    words = _LATIN_WORD.findall(text.lower())
    if len(words) < 2 or _CJK.search(text):
        return False
    typos = sum(not is_pinyin_word(w) for w in words)
    if typos == 0:
        return sum(w not in _ENGLISH_TOO for w in words) >= 2
    return typos == 1 and len(words) >= 5 and sum(w in _PINYIN_MARKS for w in words) >= 3


# Words only Chinese written in pinyin is full of (I, you, 的, 了, 吗, not, 号楼, want, buy, please…): three of them
# forgive one word that is no pinyin ("qing wen neng bang wo mai … xiexei"); "here", "one", "more" are pinyin too.
_PINYIN_MARKS = frozenset("wo ni ta de le ma shi bu hao lou yao mai qing wen neng bang jia mei you zai hen men nimen "
                          "women xiexie haolou meiyou xiang cai".split())


def is_pinyin_word(word: str) -> bool:
    """Tell whether a Latin word is one or more pinyin syllables run together (`maicai`, `Wei`; not `Tom`)."""
    word = word.lower()
    return bool(_LATIN_WORD.fullmatch(word)) and syllables_of(word) is not None


@lru_cache(maxsize=READ_AHEAD)
def syllables_of(word: str) -> tuple[str, ...] | None:
    """The fewest pinyin syllables a lower-case Latin word is made of, in order (`baobaonaifen`: bao bao nai fen;
    `xian` one syllable, not xi an); None where it is not made of them."""
    syllables = _syllables()
    fewest: list[tuple[str, ...] | None] = [()] + [None] * len(word)  # the fewest syllables of each prefix
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            head, syllable = fewest[start], word[start:end]
            if head is not None and syllable in syllables and (fewest[end] is None or len(head) + 1 < len(fewest[end])):
                fewest[end] = (*head, syllable)
    return fewest[len(word)]


def _spaced(run: re.Match) -> str:
    """Four or more pinyin syllables written together, spaced (`baobaonaifenkuaimeile`: bao bao nai fen kuai mei le), so
    that the vocabulary's words are found inside them; a word of two or three (`guaduan`, as the rules know it), a run
    that is no syllables, or an English word that only interjections' syllables make pinyin, stays."""
    syllables = syllables_of(run[0])
    if not syllables or len(syllables) < 4 or _HUMMED.intersection(syllables):
        return run[0]  # "ambulance" would be a m bu lan ce: no word of the vocabulary is hummed
    return " ".join(syllables)


_HUMMED = frozenset({"m", "n", "ng", "hm", "hng"})  # syllables of interjections only (呣, 嗯, 哼)


@cache
def _pinyin_words() -> tuple[tuple[re.Pattern, str], ...]:
    """The hotline's Chinese vocabulary, each word as its pinyin (spaced or run together, a character read
    any of its ways: 用不着 is `yong bu zhao`, as people write it, or `yong bu zhe`), longest first."""
    from pypinyin import Style, pinyin

    words = []
    for line in (LEXICON / "pinyin_words.txt").read_text(encoding="utf-8").splitlines():
        word = line.split("#")[0].strip()
        if word:
            syllables = [ways + _ALSO_SAID.get(char, []) for char, ways in  # "接不了": jie bu liao, jie bu le
                         zip(word, pinyin(word, style=Style.NORMAL, heteronym=True, v_to_u=False), strict=True)]
            pattern = r"(?<![a-z])" + r"\s*".join("(?:" + "|".join(map(re.escape, ways)) + ")" for ways in syllables) \
                + r"(?![a-z])"  # a number may touch it: "20hao lou 402"
            words.append((len(syllables), re.compile(pattern), word))
    return tuple((pattern, word) for _, pattern, word in sorted(words, key=lambda w: -w[0]))


# Characters whose everyday reading the dictionary leaves out of the words that hold them.
_ALSO_SAID = {"了": ["le"]}


def from_pinyin(text: str) -> str:
    """Write the vocabulary's words found in pinyin as Chinese (`mai cai` -> 买菜), and a building's and its room's
    numbers said in pinyin as digits (`shi er hao lou san ling er` -> 12号楼302); the rest stays. Four syllables or
    more run together are read one by one (`baobaonaifenkuaimeile`)."""
    text = _RUN_TOGETHER.sub(_spaced, text)
    for pattern, word in _pinyin_words():
        text = pattern.sub(word, text)
    text = _LE.sub("了", _QUESTION_MA.sub("吗", _HAO_BETWEEN.sub("号", text)))
    text = _PINYIN_DOOR_NUMBER.sub(lambda m: _pinyin_digits(m[1].split(), last=False) or m[0], text)
    text = _PINYIN_BUILDING_NUMBER.sub(lambda m: _pinyin_digits(m[1].split(), last=True) or m[0], text)
    return _BETWEEN_WORDS.sub("", text)  # `开门 吗` reads as Chinese is written: 开门吗


_RUN_TOGETHER = re.compile(r"[a-z]{7,}")  # longer than any one syllable (`zhuang`)
_PINYIN_DIGIT = {"ling": "零", "yi": "一", "yao": "幺", "er": "二", "liang": "两", "san": "三", "si": "四", "wu": "五",
                 "liu": "六", "qi": "七", "ba": "八", "jiu": "九", "shi": "十"}
# A building's number is never said with yao ("wo yao yi hao lou" wants building 1), a door's never with liang
# ("san yao ling": 310).
_SYLLABLES = "(?:" + "|".join(syllable for syllable in _PINYIN_DIGIT if syllable != "yao") + ")"
_DOOR_SYLLABLES = "(?:" + "|".join(syllable for syllable in _PINYIN_DIGIT if syllable != "liang") + ")"
# Up to four number syllables right before 号楼 or right after it ("wo shi shi er 号楼 san ling er": 12号楼302).
_PINYIN_BUILDING_NUMBER = re.compile(rf"\b((?:{_SYLLABLES}\s+){{0,3}}{_SYLLABLES})\s*(?=号楼)", re.IGNORECASE)
_PINYIN_DOOR_NUMBER = re.compile(rf"(?<=号楼)\s*((?:{_DOOR_SYLLABLES}\s+){{1,3}}{_DOOR_SYLLABLES})\b", re.IGNORECASE)


def _pinyin_digits(said: list[str], last: bool) -> str | None:
    """The longest run of number syllables that ends the building's number (`last`) or starts the room's, as
    digits, with the words it leaves ("wo shi shi er": "wo shi 12", as 是 is also `shi`); None where none is one."""
    for cut in range(len(said)):
        kept, number = (said[:cut], said[cut:]) if last else (said[len(said) - cut:], said[:len(said) - cut])
        digits = numerals.chinese_digits("".join(_PINYIN_DIGIT[word.lower()] for word in number))
        if digits is not None:
            return " ".join([*kept, digits] if last else [digits, *kept])
    return None


# A question's closing `ma` (`ke yi qu bao guo le ma`): 吗, where a clause ends; `ma ma`, `wo ma`, `gei ta ma` are
# a mother.
_QUESTION_MA = re.compile(r"(?<!\bma )(?<!\bwo )(?<!\bni )(?<!\bta )\bma\b(?!\s*ma\b)(?=\s*(?:[?？!！,.，。;；]|$))",
                          re.IGNORECASE)
_LE = re.compile(r"\ble\b", re.IGNORECASE)  # 了: the one common word of this syllable
_HAO_BETWEEN = re.compile(r"(?<=\d)\s*hao\b(?=\s*\d)", re.IGNORECASE)  # 号 between numbers: "12 hao 305" is 12号305
_BETWEEN_WORDS = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


# --- language -------------------------------------------------------------------------------

# Latin-script languages a compound's foreign residents write, told apart by lingua.
# Loaded on the first message that needs them (low-accuracy mode, trigrams only: 30 MB for these eighteen, 16 MB
# for the first ten alone, which took Turkish and Polish for Tagalog and Dutch for German or English).
_LATIN_LANGUAGES = ("ENGLISH", "FRENCH", "GERMAN", "SPANISH", "ITALIAN", "PORTUGUESE", "INDONESIAN", "MALAY",
                    "TAGALOG", "VIETNAMESE", "TURKISH", "POLISH", "DUTCH", "SWAHILI", "ROMANIAN", "CZECH", "HUNGARIAN",
                    "SWEDISH")
# Words of the English a compound's foreign residents text: two of them, and it is English, whatever
# a statistical detector makes of "bldg 7 apt 1101 need food".
_ENGLISH_WORDS = frozenset(
    "i i'm im my me need needs please pls plz help the and food rice water milk eggs medicine meds building bldg"
    " room rm apt flat can could you is are to for of not have has thanks thank any update when where what"
    " out our we he she his her mother father mom dad with this that what's your just from got some anyone"
    " someone today tomorrow can't don't it's there's you're i've you've won't list ok thx ty yes i'll it on so much"
    " off do".split())
# Of them, the words of an address, which a message in another language writes in English too ("…hindi
# gumagalaw. Bldg 5 rm 301"): alone they tell English only where they are a good part of the words.
_ADDRESS_WORDS = frozenset("building bldg room rm apt flat".split())


@cache
def _lingua(languages: tuple[str, ...]):
    """lingua's detector of `languages` (their names in `lingua.Language`), built on the first message that needs it."""
    from lingua import Language, LanguageDetectorBuilder

    return (LanguageDetectorBuilder.from_languages(*(getattr(Language, name) for name in languages))
            .with_low_accuracy_mode().with_minimum_relative_distance(0.1).build())


# Languages written in Cyrillic letters (3 MB of lingua's trigrams): the coordinators are told a Ukrainian or a Kazakh
# message is one, not Russian; Russian where lingua cannot tell. Not Bulgarian or Macedonian: their trigrams took
# short Russian lines ("Моя мама упала и не может встать…").
_CYRILLIC_LANGUAGES = ("RUSSIAN", "UKRAINIAN", "BELARUSIAN", "KAZAKH", "SERBIAN", "MONGOLIAN")
_TOLD_BY_LINGUA = {"ru": _CYRILLIC_LANGUAGES, "ar": ("ARABIC", "PERSIAN", "URDU")}


def _code(found, otherwise: str) -> str:
    """The ISO 639-1 code of the language lingua found, `otherwise` where it found none."""
    return found.iso_code_639_1.name.lower() if found is not None else otherwise


def language(text: str) -> str | None:
    """The language a message is written in, as an ISO 639-1 code: `zh` for Chinese characters and
    pinyin (unless the characters are a name in a text of twice as many Latin words), `ja`, `ko`,
    the languages of other scripts by their letters (`_SCRIPTS`: Russian, Arabic, Bengali, Burmese…; Cyrillic and
    Arabic letters told apart by lingua, Nepali from Hindi by its words), or a Latin-script language: one typed in
    letters lingua does not know it by by its words (`_told_by_words`: Hindi, romaji, Arabizi…), else English by its
    words, else lingua's (`en` where lingua cannot tell); None for none."""
    text = toneless(text)
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    folded = unicodedata.normalize("NFKC", text).lower()
    words = _LATIN_WORD.findall(folded)
    if _CJK.search(text):
        characters = len(_CJK.findall(_BRACKETED.sub(" ", text)))  # "paracetamol (对乙酰氨基酚)": a name
        written = len(words) + len(_OTHER_SCRIPT_WORD.findall(_CJK.sub(" ", folded)))  # "можно заказывать с 美团 или
        # только через 团购?" is Russian
        if written < 4 or written < 2 * characters:  # "帮我buy一些milk"; not "Insulin 诺和锐 runs out…"
            return "zh"
        text = _CJK.sub(" ", text)  # English with a drug's or a place's Chinese name in it
    letters = _DIGIT_OR_DANDA.sub("", text)  # "building ২৯ flat ১১০২" is English; "।" is Bengali's too
    if found := next((code for code, script in _SCRIPTS if len(script.findall(letters)) >= 2), None):
        among = _TOLD_BY_LINGUA.get(found)  # the languages of one script
        return _code(_lingua(among).detect_language_of(text), found) if among else _told_by_words(folded) or found
    if sum(len(w) for w in words) < 2:
        return None
    if is_pinyin(text):
        return "zh"
    if len(words) < 3:
        return "en"
    if told := _told_by_words(folded):
        return told
    if _english(folded):
        return "en"
    found = _lingua(_LATIN_LANGUAGES).detect_language_of(text) or (_likelier(text) if len(words) >= 5 else None)
    return _code(found, "en")


def _told_by_words(folded: str) -> str | None:
    """The language of `lexicon/romanised.tsv` three different words of which the text holds, more than of any other
    language there: one typed in letters lingua does not know it by ("zensoku no inhaler ga kyou de kireru, yobi mo
    nai desu": Japanese, not French; Vietnamese without its marks, Hindi in Latin letters, Arabizi), or that it
    takes for another (Nepali in Devanagari is not Hindi). Its words are letters with their marks ("मेरो") and digits
    (Arabizi writes letters with them: "3imara")."""
    words = set("".join(ch if ch.isalnum() or unicodedata.category(ch)[0] == "M" else " " for ch in folded).split())
    (most, code), (then, _) = sorted(((len(listed & words), code) for code, listed in _romanised()), reverse=True)[:2]
    return code if most >= 3 and most > then else None


@cache
def _romanised() -> tuple[tuple[str, frozenset[str]], ...]:
    """lexicon/romanised.tsv: each language's words, as NFKC writes them."""
    return tuple((code, frozenset(unicodedata.normalize("NFKC", words).split()))
                 for _, (code, words, _example) in _rows(LEXICON / "romanised.tsv"))


def _likelier(text: str):
    """The likelier of the two languages lingua cannot tell apart in `text` ("Salamat po sa lahat, ingat kayo palagi!":
    Indonesian or Tagalog; "chay! khoi day dac trong can ho": Vietnamese without its marks, or Swahili): a language
    that is not English either way, so that the coordinators read it; None where English is one of the two."""
    first, second = _lingua(_LATIN_LANGUAGES).compute_language_confidence_values(text)[:2]
    return None if "ENGLISH" in (first.language.name, second.language.name) else first.language


def _english(folded: str) -> bool:
    """Whether two of the words are English words foreign residents text, one of them no word of other languages too
    ("to" and "i" are Polish, "me" and "can" Vietnamese typed without marks, "is" and "we" Dutch), or English words
    beside an address's are a good part of the words ("bldg 7 apt 1101 rice"; not "Tulong! Hindi humihinga ang
    asawa ko, bldg 12 rm 302"). Words are whole words of any letters: "istemişim" has no "im" in it."""
    words = _WORD.findall(folded)
    english = _ENGLISH_WORDS.intersection(words)
    said = english - _ADDRESS_WORDS
    if len(said) >= 2 and said - _SHARED:
        return True
    return bool(said) and len(english) >= 2 and 4 * len(english) >= len(words)


# English words that are words of other languages too ("to" Polish, "the" Hindi in Latin letters, "do" Portuguese, "ok"
# every language's, "help" and "water" Dutch)
_SHARED = frozenset("i to me can is we her he my of are im has for on so do it the ok ty list help water".split())


def reply_language(text: str) -> str | None:
    """The catalog to answer in: Chinese for Chinese, English for every other language."""
    written = language(text)
    return None if written is None else "zh" if written == "zh" else "en"


_EVERYONES = re.compile(r"^[\W_]*(?:ok(?:ay|ok)?|kk|k)(?:[\W_]+ok(?:ay)?)*[\W_]*$", re.IGNORECASE)


def everyones(text: str) -> bool:
    """Tell whether a message is only a word every language texts ("ok", "OK 👍", "okay!"): it tells nothing of the
    sender's language, whom the hotline answers in the one it knows them by."""
    return _EVERYONES.match(text) is not None
