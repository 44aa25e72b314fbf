"""Read what a caller said: the recogniser's words heard right, then read as a text is read.

Pure: no database, no web. Words said at a menu get the same `message.Reading` as an SMS, so the
emergency words, the needs, the urgency and what asking after a request sounds like are one list
for both. Before that, `heard_right` writes a word the
recogniser got wrong as the word it sounds exactly like (`hearing.tsv`: 将压要 is 降压药, 一岛素 is
胰岛素). When the words name no need the reading knows, `near` gives what they come close to,
closest first: the choices a caller confirms with one key.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hotline.domain import message
from hotline.domain.message import Reading
from hotline.domain.numerals import CHINESE_DIGIT, CHINESE_UNIT
from hotline.domain.parsing import Parsed
from hotline.domain.parsing import Word as Said

WORDS = Path(__file__).resolve().parent / "hearing.tsv"
NAMES = ("food", "medicine", "help")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NUMERAL = set(CHINESE_DIGIT) | set(CHINESE_UNIT) | set("0123456789")

# Sounds a southern or Shanghainese speaker (and so the recogniser) often does not tell apart:
# the fuzzy pinyin of Chinese input methods. Words that differ only in these come close.
_FOLD_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("r", "l"), ("h", "f"))
_FOLD_FINALS = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))

CLOSE = {"exact": 1.0, "folded": 0.8, "one_off": 0.6, "spelled": 0.7}
SPELLED_LIKE = 0.8  # an English word this like one of the list's (difflib's ratio) comes close


Sounds = tuple[frozenset[str], ...]  # the toneless pinyin a run of characters may be read with, one set a character


@dataclass(frozen=True)
class Word:
    """One word of the list: as meant, what it names, what motivated it, and how it is said."""

    word: str
    names: str | None  # food, medicine, help; None for a word that only helps the reading
    heard: str
    said: tuple[Sounds, ...]  # each way of saying it, syllable by syllable


@dataclass(frozen=True)
class Heard:
    """What words said at a menu mean: the words heard right, read as a text is read (`reading`)."""

    said: str  # the words as the recogniser wrote them
    reading: Reading  # the words heard right, read
    near: tuple[str, ...]  # what they come close to when they name nothing the reading knows, closest first

    @property
    def text(self) -> str:
        """The words heard right."""
        return self.reading.text

    @property
    def parsed(self) -> Parsed:
        return self.reading.parsed

    @property
    def intent(self) -> str | None:
        """crisis, rumour, question, spam (`Reading.intent`); news passed on is asked of the coordinators at the
        menu, a question."""
        intent = self.reading.intent
        return "question" if intent == "hearsay" else intent

    @property
    def asks_after(self) -> bool:
        """About a request already made, asking for nothing more ("我的药什么时候送来")."""
        return self.reading.asking_after

    @property
    def thanks(self) -> bool:
        """Nothing but thanks ("谢谢你们")."""
        return self.reading.only_thanks

    @property
    def cancels(self) -> bool:
        """Asks to cancel a request already made ("取消", "不用送了", "cancel my order")."""
        return _cancels(self.reading)


def hear(speech: str, buildings: frozenset[int]) -> Heard:
    """Read a caller's words: heard right, then read as an SMS is read, with the closest needs when unclear."""
    said = message.read(heard_right(speech), buildings)
    named = said.parsed.category or said.parsed.emergency
    return Heard(said=speech, reading=said, near=() if named else near(said.text))


# Said at a menu, 取消 or cancel anywhere asks to cancel ("我要取消", "cancel please"), as an SMS's
# sentence does ("不用送了"); a question about a cancelling ("核酸取消了吗") is a question first.
_CANCEL = re.compile(r"取消|\bcancel\b", re.IGNORECASE)


def _cancels(said: Reading) -> bool:
    command, sentence = said.command, said.resident_sentence
    return (bool(command and command.word in (Said.CANCEL, Said.OPT_OUT) and _CANCEL.search(said.text))
            or said.resident_word == "cancel" or bool(sentence and sentence.word == Said.CANCEL)
            or bool(_CANCEL.search(said.text) and said.intent is None))


@cache
def words() -> tuple[Word, ...]:
    """The list of `hearing.tsv`, longest words first."""
    found = []
    for number, line in enumerate(WORDS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        word, names, heard, *said = line.split("\t")
        if names != "-" and names not in NAMES:
            raise ValueError(f"{WORDS.name}:{number}: {names!r} is none of {NAMES}")
        if said:
            ways = tuple(tuple(frozenset([s]) for s in way.split()) for way in said[0].split("|"))
        elif _CJK.search(word):
            ways = (sounds(word),)
        else:
            ways = ()  # an English word: compared by its spelling
        found.append(Word(word, None if names == "-" else names, heard, ways))
    return tuple(sorted(found, key=lambda w: -max((len(way) for way in w.said), default=0)))


@cache
def sounds(text: str) -> Sounds:
    """How each character of a text is read, toneless: as in its words, or as it is most often read
    (将 jiang, 降 jiang as in 降压, not xiang); nothing for what is not a Chinese character."""
    from pypinyin import Style, lazy_pinyin, pinyin  # loaded on first use, as reading.py does

    found: list[frozenset[str]] = [frozenset()] * len(text)
    for run in _CJK_RUN.finditer(text):
        in_words = lazy_pinyin(run[0], style=Style.NORMAL, errors=_unread)
        for offset, (ch, read) in enumerate(zip(run[0], in_words, strict=True)):
            most_often = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=_unread)[0][:1]
            found[run.start() + offset] = frozenset([read, *most_often]) - {""}
    return tuple(found)


def _unread(characters: str) -> list[str]:
    """No reading, one for each character pypinyin has none for (Cantonese 㗎, 嘅's rarer kin): so each character
    keeps its place among the readings."""
    return [""] * len(characters)


def fold(syllable: str) -> str:
    """A syllable as a speaker who does not tell z from zh or n from l says it."""
    for long, short in _FOLD_INITIALS:
        if syllable.startswith(long) and not (long == "h" and not syllable.startswith("hu")):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FOLD_FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


def _how_close(heard: Sounds, way: Sounds) -> str | None:
    """How close what was heard sounds to a way of saying a word: exact, folded, one_off, or not."""
    if len(heard) < len(way) or not all(heard):
        return None
    if all(have & want for have, want in zip(heard, way, strict=True)):
        return "exact"
    misses = sum(not ({fold(s) for s in have} & {fold(s) for s in want}) for have, want in zip(heard, way, strict=True))
    if misses == 0:
        return "folded"
    return "one_off" if misses == 1 and len(way) >= 3 else None


def _stands_alone(text: str, start: int, end: int) -> bool:
    """A number said in words is that number only when no other digit is said next to it (一二零一 is a room)."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before not in _NUMERAL and after not in _NUMERAL


def heard_right(speech: str) -> str:
    """Write each run of characters that sounds exactly like a word of the list as that word."""
    text = " ".join(speech.split())
    heard = sounds(text)
    out, at = [], 0
    while at < len(text):
        for word in words():
            taken = next((len(way) for way in word.said if _fits(text, heard, at, word, way)), 0)
            if taken:
                out.append(word.word)
                at += taken
                break
        else:
            out.append(text[at])
            at += 1
    return "".join(out)


def _fits(text: str, heard: Sounds, at: int, word: Word, way: Sounds) -> bool:
    if _how_close(heard[at : at + len(way)], way) != "exact":
        return False
    return not word.word.isdigit() or _stands_alone(text, at, at + len(way))


def near(text: str) -> tuple[str, ...]:
    """What words that name nothing the reading knows come close to (food, medicine, help), closest first."""
    best: dict[str, tuple[float, int]] = {}
    latin = [(m.start(), m[0]) for m in re.finditer(r"[a-z]{4,}", text.lower())]
    heard = sounds(text)
    for word in words():
        if word.names is None:
            continue
        for at, closeness in _places(heard, word, latin):
            score = CLOSE[closeness]
            if word.names not in best or (-score, at) < (-best[word.names][0], best[word.names][1]):
                best[word.names] = (score, at)
    return tuple(sorted(best, key=lambda names: (-best[names][0], best[names][1])))


def _places(heard: Sounds, word: Word, latin: list[tuple[int, str]]):
    """Where and how closely a word of the list is said in the text."""
    if not word.said:
        for at, said in latin:
            if difflib.SequenceMatcher(None, said, word.word).ratio() >= SPELLED_LIKE:
                yield at, "spelled"
        return
    for way in word.said:
        for at in range(len(heard) - len(way) + 1):
            closeness = _how_close(heard[at : at + len(way)], way)
            if closeness:
                yield at, closeness
