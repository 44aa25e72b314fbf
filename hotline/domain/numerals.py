"""Numbers written in Chinese numerals (`十二`, `一百二十八`, `一二零一`, `廿六`), and in English words after a
building or room word (`building twenty six, room six oh three`), read as digits.

Pure: no database, no web. Shared by the address reading, the job numbers a volunteer writes and the
voice menu's spoken numbers.
"""

from __future__ import annotations

import re

CHINESE_DIGIT = dict(zip("零〇洞一幺二两三四五六七八九", "00011223456789", strict=True))  # 洞, 幺: 0, 1 said aloud
CHINESE_DIGIT |= dict(zip("壹贰叁肆伍陆柒捌玖", "123456789", strict=True))  # the numerals of cheques: "壹贰柒 拒绝"
CHINESE_UNIT = {"十": 10, "百": 100, "千": 1000}
# Two of these make a number ("二零送到了": 20, "贰壹": 21); one alone is a word as often (零食); 陆 and 伍 are words
# and names even two together (陆陆续续, 队伍, 陆阿姨).
SURELY_DIGITS = frozenset("零〇洞壹贰叁肆柒捌玖")


def chinese_digits(numeral: str) -> str | None:
    """Read a number written in Chinese numerals as ASCII digits; None when it is not one.

    Said digit by digit (`一二零一`, `幺洞二`) it keeps every digit; with units (`十二`, `三十六`,
    `一百零五`, `一千二百零一`) it is read as a number. `十十` or `二十三四` are no number.
    """
    numeral = numeral.replace("廿", "二十").replace("卅", "三十")  # 廿六号楼: 26, as older people write it
    if not numeral or any(ch not in CHINESE_DIGIT and ch not in CHINESE_UNIT for ch in numeral):
        return None
    if not any(ch in CHINESE_UNIT for ch in numeral):
        return "".join(CHINESE_DIGIT[ch] for ch in numeral)
    total, digit, last_unit = 0, None, 10_000
    for ch in numeral:
        if ch in CHINESE_UNIT:
            if CHINESE_UNIT[ch] >= last_unit:
                return None
            total += (1 if digit is None else digit) * CHINESE_UNIT[ch]
            digit, last_unit = None, CHINESE_UNIT[ch]
        elif digit:  # two digits in a row (a 零 may stand before one: 一百零五)
            return None
        else:
            digit = int(CHINESE_DIGIT[ch])
    return str(total + (digit or 0))


_NUMERAL = re.compile(r"[零〇洞一幺二两三四五六七八九十百千廿卅壹贰叁肆伍陆柒捌玖]+")


def in_digits(text: str) -> str:
    """The text with each number written in Chinese numerals in digits, where it is surely a number: with a
    unit (`一百二十八`, `二十一`, `十点`), three digits or more said one by one (`一二七`), or with a nought or a
    cheque's numeral (`二零`, `壹贰柒`); `两`, `三` and `一` alone stay words ("两单都送到了", "三点"). A numeral run
    against a digit written in figures ("1十", "十1") stays as written: which number it makes is anyone's guess, and
    writing it in digits would join the two ("110")."""
    def digits(match: re.Match) -> str:
        run = match[0]
        if len(run) < 3 and not any(ch in CHINESE_UNIT or ch in "廿卅" for ch in run) \
                and not (len(run) == 2 and any(ch in SURELY_DIGITS for ch in run)):
            return run
        start, end = match.span()
        if text[start - 1:start].isdecimal() or text[end:end + 1].isdecimal():
            return run
        return chinese_digits(run) or run

    return _NUMERAL.sub(digits, text)


_EN_DIGIT = dict(zip("zero oh o one two three four five six seven eight nine".split(),
                     (0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_EN_TEEN = dict(zip("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(),
                    range(10, 20), strict=True))
_EN_TENS = dict(zip("twenty thirty forty fifty sixty seventy eighty ninety".split(), range(20, 100, 10), strict=True))


def _any_of(words) -> str:
    """The words as one alternation, the longest first (so "seventeen" is not read as "seven")."""
    return "|".join(sorted(words, key=len, reverse=True))


_EN_WORD = _any_of((*_EN_DIGIT, *_EN_TEEN, *_EN_TENS, "hundred"))
_BUILDING_WORDS = "building|bldg|bld|blk|block|tower"
_ROOM_WORDS = "room|rm|apartment|apt|flat|unit"
# A place word, then the number in words: "bldg twenty-six", "room six oh three", "apt twelve oh one".
_EN_PLACE_NUMBER = re.compile(
    rf"(?<![a-z])((?:{_BUILDING_WORDS}|{_ROOM_WORDS})\.?\s+(?:no\.?\s*|number\s+)?)"
    rf"((?:{_EN_WORD})(?:[\s-]+(?:and\s+)?(?:{_EN_WORD}))*)(?![a-z])")
_EN_BUILDING = re.compile(_BUILDING_WORDS)
_A_ROOM = re.compile(  # a room written: "room 302", "apt twelve oh one", "1201", "six oh three"
    rf"(?<![a-z])(?:{_ROOM_WORDS})\.?\s+(?:no\.?\s*)?(?:\d|(?:{_EN_WORD})\b)"
    rf"|(?<![0-9])\d{{3,4}}(?![0-9])|\b(?:{_EN_WORD})[\s-]+(?:oh|o|zero)\b")


def english_digits(words: str) -> str | None:
    """Read a number said in English words as digits, digit by digit or in tens as people say a flat
    (`six oh three`: 603, `twenty six`: 26, `twelve oh one`: 1201, `six hundred and three`: 603); None when
    the words make no number (`hundred` alone) or only noughts (`o`, `zero`)."""
    said = [word for word in re.split(r"[\s-]+", words) if word and word != "and"]
    digits, i = "", 0
    while i < len(said):
        if said[i] in _EN_DIGIT and said[i + 1:i + 2] == ["hundred"]:
            below, used = _below_a_hundred(said[i + 2:])
            digits, i = digits + str(_EN_DIGIT[said[i]] * 100 + below), i + 2 + used
        elif said[i] in _EN_TEEN or said[i] in _EN_TENS:
            number, used = _below_a_hundred(said[i:])
            digits, i = digits + str(number), i + used
        elif said[i] in _EN_DIGIT:
            digits, i = digits + str(_EN_DIGIT[said[i]]), i + 1
        else:
            return None
    return digits if digits.strip("0") else None  # "bld o": a letter, no building nought


def _below_a_hundred(said: list[str]) -> tuple[int, int]:
    """The number under a hundred that the words start with ("twenty six", "twelve", "three"), and how many words
    it takes: (0, 0) when they start with none."""
    first = said[0] if said else ""
    if first in _EN_TEEN:
        return _EN_TEEN[first], 1
    if first in _EN_TENS:
        unit = _EN_DIGIT.get(said[1], 0) if len(said) > 1 else 0
        return _EN_TENS[first] + unit, 2 if unit else 1
    return (_EN_DIGIT[first], 1) if _EN_DIGIT.get(first) else (0, 0)


_EN_COUNTING = _any_of((*(w for w in _EN_DIGIT if w not in ("zero", "oh", "o")), *_EN_TEEN, *_EN_TENS))
# A job number said in English words, two or more, where a job is named: first in the message, after "#" or after a
# word about a job ("sorry can't do one-two-eight"); not a time, a quantity or a floor ("before seven thirty", "twenty
# five kilos", "twenty one floors"), nor a flat said with "oh" ("twelve oh one").
_EN_JOB = re.compile(
    rf"(^\W*|#\s*|\b(?:job|number|no\.?|order|request|do|take|taking|took|deliver|delivered|dropped|done|accept|accepted"
    rf"|decline|declined)\s+#?\s*)((?:{_EN_COUNTING})(?:[\s-]+(?:{_EN_COUNTING}))+)(?![a-z])(?![\s-]*(?:oh|o|zero)\b)"
    r"(?!\s*(?:floors?|storeys?|stories|flights?|kilos?|kg|minutes?|mins?|hours?|hrs?|o'?clock|am|pm|bags?|bottles?"
    r"|packs?|boxes|people|yuan|rmb|days?|weeks?)\b)")


def job_digits(text: str) -> str:
    """The text as a volunteer's job numbers are read in it: Chinese numerals in digits (`in_digits`), and a number
    said in two English words or more where a job is named (`_EN_JOB`: "one twenty-eight can't", "twenty one
    delivered", "sorry can't do one-two-eight"); one word alone stays a word ("one more bag", "two left")."""
    text = in_digits(text)
    if _EN_JOB.search(text) is None:
        return text
    return _EN_JOB.sub(lambda match: match[1] + (english_digits(match[2]) or match[2]), text)


def english_in_digits(text: str) -> str:
    """The text with each number said in English words after a building or room word in digits ("building twenty
    six room six oh three": "building 26 room 603"); other number words stay words ("two days of food left"), and so
    does a building's where no room is written ("is building one locked down too?")."""
    if _EN_PLACE_NUMBER.search(text) is None:  # most messages: no number in words after a place word
        return text
    with_a_room = _A_ROOM.search(text) is not None

    def digits(match: re.Match) -> str:
        number = english_digits(match[2])
        if number is None or not with_a_room and _EN_BUILDING.match(match[1]):
            return match[0]
        return f"{match[1]}{number}"

    return _EN_PLACE_NUMBER.sub(digits, text)
