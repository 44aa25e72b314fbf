"""Numbers written in Chinese numerals (`十二`, `一百二十八`, `一二零一`, `廿六`), read as digits.

Pure: no database, no web. Shared by the address reading, the job numbers a volunteer writes and the
voice menu's spoken numbers.
"""

from __future__ import annotations

import re

CHINESE_DIGIT = dict(zip("零〇洞一幺二两三四五六七八九", "00011223456789", strict=True))  # 洞, 幺: 0, 1 said aloud
CHINESE_UNIT = {"十": 10, "百": 100, "千": 1000}


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


_NUMERAL = re.compile(r"[零〇洞一幺二两三四五六七八九十百千廿卅]+")


def in_digits(text: str) -> str:
    """The text with each number written in Chinese numerals in digits, where it is surely a number: with a
    unit (`一百二十八`, `二十一`, `十点`) or three digits or more said one by one (`一二七`); `两`, `三` and
    `一` alone stay words ("两单都送到了", "三点")."""
    def digits(match: re.Match) -> str:
        run = match[0]
        if len(run) < 3 and not any(ch in CHINESE_UNIT or ch in "廿卅" for ch in run):
            return run
        return chinese_digits(run) or run

    return _NUMERAL.sub(digits, text)
