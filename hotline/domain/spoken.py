"""Written for the ear: where someone lives, and people's and places' names, in the listener's language.

A voice reads what it is given: `12-302` as "twelve minus three hundred and two", `志愿者Li` with a
Mandarin voice stumbling over half a Latin name, a Chinese name not at all in English. So what a
call says is written to be heard: `12号楼302室` / `building 12, room 302`; a volunteer named as
people of the listener's language name them (`李伟` to a Mandarin listener, `Li Wei` in English; a
Chinese name written in pinyin whole, never its surname alone; `Tom` of `Tom Baker`); the compound's
name in pinyin for English listeners. Request numbers are said digit by digit (`voice.spoken_digits`).
Pure: no Flask, no Twilio.
"""

from __future__ import annotations

import re
import unicodedata

from hotline.domain.reading import is_pinyin_word

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Surnames of two characters (`欧阳娜娜` is Ouyang Nana, not Ou Yangnana).
DOUBLE_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "夏侯", "慕容", "尉迟", "公孙", "长孙",
                   "宇文", "司徒", "端木", "南宫", "西门", "独孤", "轩辕", "万俟")
# Surnames said otherwise than the character's everyday sound, which is what pypinyin gives (曾 ceng).
SURNAME_SOUNDS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "查": "zha", "缪": "miao",
    "翟": "zhai", "乐": "yue", "覃": "qin", "盖": "ge", "秘": "bi", "繁": "po", "句": "gou", "员": "yun",
    "薄": "bo", "召": "shao", "折": "she", "都": "du", "种": "chong", "重": "chong", "尉迟": "yuchi",
    "万俟": "moqi",
}


def address(building: object, room: object, lang: str) -> str:
    """Say a household: `12`, `302` -> `12号楼302室` (`building 12, room 302` in English)."""
    building, room = str(building or "").strip(), str(room or "").strip()
    if lang == "en":
        return ", ".join(part for part in (building and f"building {building}", room and f"room {room}") if part)
    return f"{building}号楼" * bool(building) + f"{room}室" * bool(room)


def person(name: str, lang: str) -> str:
    """The name a reader or listener of `lang` is told a person by (a volunteer to whoever asked, whoever
    asked to a volunteer), in words their language's voice can read: the one first-name rule.

    A Chinese name is said whole: as written to a Mandarin listener, in pinyin in English. A name
    written in Latin letters is a Chinese name in pinyin when every word is pinyin (`Li Wei`: said
    whole, since its first word is the surname), else its first word is the first name (`Tom`).
    """
    words = name.split()
    if not words:
        return ""
    if CJK.search(name):
        whole = "".join(words)
        return whole if lang == "zh" else chinese_name_in_pinyin(whole)
    if len(words) > 1 and all(is_pinyin_word(word) for word in words):
        return " ".join(words)
    return words[0]


def place(name: str, lang: str) -> str:
    """A place's name for a listener of `lang`: a Chinese name in pinyin in English (`春华苑` -> `Chun Hua Yuan`)."""
    name = " ".join(name.split())
    if lang == "zh" or not CJK.search(name):
        return name
    return " ".join(syllable.capitalize() for syllable in _pinyin(name) if syllable.strip())


def chinese_name_in_pinyin(name: str) -> str:
    """Write a Chinese name as it is said in English: surname, then the given name (`欧阳娜娜` -> `Ouyang Nana`)."""
    surname = next((s for s in DOUBLE_SURNAMES if name.startswith(s) and len(name) > len(s)), name[:1])
    family = SURNAME_SOUNDS.get(surname) or "".join(_pinyin(surname))
    given = "".join(_pinyin(name[len(surname):]))
    return " ".join(part.capitalize() for part in (family, given) if part)


def _pinyin(text: str) -> list[str]:
    """Toneless pinyin, `ü` as `u` (what an English voice reads best: 吕 -> `lu`)."""
    from pypinyin import lazy_pinyin  # loaded on the first call that needs it, as reading.py does

    return [_bare(syllable).replace("ü", "u") for syllable in lazy_pinyin(text, v_to_u=True)]


def _bare(text: str) -> str:
    """Drop the tone marks, keeping `ü`."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) or c == "\u0308")
    return unicodedata.normalize("NFC", kept)
