"""Read a building and a room from a message: `12号楼302`, `12-302`, `Bldg 12 Rm 302`, `十二号三零二`.

Pure: no database, no web. Read from the text as `parsing` normalises it (NFKC, lower case,
simplified characters, other languages' building and room words as ours: `reading.simplify`).
Patterns use `re.ASCII` so that `\\d` is 0-9.

Address choices (the lead relies on these):
- A building is read only from an explicit building form: `12号楼`, `12栋`, `12幢`, `12号`
  (not after `月`, so `5月12号` is a date), `Bldg 12`, `Building 12`, `Blk 12`, `12-302`,
  `12/302`, `12#302`, `#12-302`, `B12 302`, `B17 R908` (B + number counts only when a room number follows),
  Chinese numerals `十二号楼`, `三十六栋`, `第十六幢 一千零三室` (numbers with units read as digits first), and
  English words after a building or room word (`building twenty six`, `room six oh three`). `12楼` is NOT a
  building: in Shanghai it is as often floor 12, and asking costs less than a volunteer at the wrong door. A bare
  number is never a building.
- A room is 3-4 digits with an optional letter, either marked (`302室`, `302房`, `Rm 302`,
  `room 1201`, `apt`, `flat`, `unit`) or written right after a building (`12号302`,
  `Bldg 12, 302`, past an entrance or floor: `12号楼2单元302`, `12栋3楼302`).
- Nothing followed by a quantity unit (`302个`, `30 eggs`, `2 days`) is a room or a building.
- A number that the words around it make something else is no place either
  (`lexicon/not_addresses.tsv`, each rule with its example: `41号再加一斤鸡蛋` names request 41).
- When several buildings are written, the first of the compound's wins; else the first one
  written is `unknown_building`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from hotline.domain.numerals import chinese_digits, english_in_digits, in_digits
from hotline.domain.reading import LEXICON, Rules, blanked, load_rules

_FLAGS = re.ASCII | re.VERBOSE


@cache
def not_address_rules() -> Rules:
    """Numbers that are no building or room, by the words around them (`lexicon/not_addresses.tsv`)."""
    return load_rules(LEXICON / "not_addresses.tsv", re.IGNORECASE | re.ASCII)


def _without_other_numbers(text: str) -> str:
    """The text with the numbers that are no place blanked out ("41号再加一斤鸡蛋": request 41)."""
    return blanked(not_address_rules(), text, lambda match: " " * len(match[0]))

# A number followed by one of these is a quantity, a price, an age or a duration (个 before who lives there is
# Shanghainese 的: "11号楼201个张老伯"; 桶装水, 瓶装水 are bottled water: "5号楼1301 桶装水没了").
_QUANTITY = r"""
    (?! \s* (?: 元|块|斤|公斤|克|只|袋(?!装)|包|盒|瓶(?!装)|箱|桶(?!装)|天|岁|年|小时|分钟|片|粒|支|毫升|人
              | 个(?![老阿小]|[^\d\s]{1,2}(?:老伯|阿姨|阿婆|老太|伯伯|爷叔|家))
              | yuan\b|rmb\b|kg\b|g\b|ml\b|days?\b|bags?\b|eggs?\b|pcs\b|pieces?\b|boxe?s?\b
              | bottles?\b|packs?\b|hours?\b|hrs?\b|min(?:ute)?s?\b|years?\b|yrs?\b|people\b ) )
"""
_ROOM = r"[a-z]?\d{3,4}[a-z]?"
_CN_ROOM = r"[零〇一二三四五六七八九幺洞]{3,4}"  # 三零二, 一二零一: a room said digit by digit

_DASH_PLACE = re.compile(
    rf"""
    (?<![0-9a-z/.:-]) \#? \s* (\d{{1,3}})       # building: 12, #12 (not part of a date or phone)
    \s* [-/\#\u2013\u2014] \s*                 # 12-302, 12/302, and 12#302 (# for 号)
    (?: \d{{1,2}} \s* [-/\u2013\u2014] \s* )?   # 12-3-302: the entrance (单元) between
    ({_ROOM}) (?![0-9a-z/\u2013\u2014-]|[.:]\d)  # room: 302, 1201, 302b; a full stop or colon may follow
    {_QUANTITY}
    """,
    _FLAGS,
)
_CN_PLACE = re.compile(
    r"""
    (?<![0-9./-]) (?<![0-9]:) (\d{1,3}) \s* (?: 号楼 | 栋 | 幢 )   # "地址：17号楼104室", not a time's "10:12"
    | (?<![0-9月./:-]) (?<!月\s)                # 5月12号 is a date; "七个月 26号楼" is not
      (\d{1,3}) \s* 号(?![房室线码床机位])
    """,
    _FLAGS,
)
_CN_NUMERAL_PLACE = re.compile(
    r"""
    (?<![这那同每哪整])                         # 这一栋 is "this building", not building 1
    ([零〇一二两三四五六七八九十廿卅]{1,4}) \s*
    (?: 号楼 | 栋 | 幢 | 号(?=\s*(?:[a-z]?\d{3,4}|[零〇一二三四五六七八九幺洞]{3,4}(?![零〇一二三四五六七八九十])))
                                                # bare 一号 is a date unless a room follows: 十二号三零二
      | 洞(?=\s*[零〇一二三四五六七八九幺]{3,4}) ) # 十二洞三零二: 栋 typed by voice
    """,
    _FLAGS,
)
_EN_PLACE = re.compile(
    r"""
    (?<![a-z]) (?: building|bldng|bldg|bld|blg|blk|block ) \.? \s* -? \s*   # Bldg-6
    (?: no\.? \s* )? \#? \s* (\d{1,3}) (?![0-9])
    """,
    _FLAGS,
)
_B_PLACE = re.compile(
    r"""
    (?<![a-z0-9]) b (\d{1,2}) (?![0-9])       # B12 is building 12 only when a room follows;
    (?= \s* [-/,]? \s* (?: (?:rm|room|apt|unit|flat|r(?=\d)) \.? \s* )? \#? \s* \d{3,4} (?![0-9]) )
    """,  # B302 alone stays a room
    _FLAGS,
)
_ROOM_AFTER_PLACE = re.compile(
    rf"""
    \s* (?: [,、./-] | 的 )? \s*
    (?: (?: \d{{1,2}} | [一二三四五六七八九十]{{1,2}} ) \s* (?: 单元|楼|层 ) \s* [,、]? \s* )?
                                                # 12号楼2单元302, 12栋3楼302: entrance or floor, then room
    (?: (?: room|rm|apartment|apt|flat|unit|房间|r(?=\d) ) \.? \s* -? \s* )?     # B17 R908, Flat-401
    (?: no\.? \s* )? \#? \s*
    ({_ROOM}|{_CN_ROOM}) (?![0-9a-z:/零〇一二三四五六七八九十百千]|\.\d)
    {_QUANTITY}
    """,
    _FLAGS,
)
_ROOM_SUFFIXED = re.compile(rf"(?<![0-9a-z零〇一二三四五六七八九十])({_ROOM}|{_CN_ROOM})\s*(?:室|房(?!东))", _FLAGS)
_ROOM_PREFIXED = re.compile(
    r"""
    (?<![a-z]) (?: room|rm|apartment|apt|flat|房间|房号 ) (?![a-z]) \.? \s* (?: (?:号)?是 \s* )?
    (?: no\.? \s* )? \#? \s* ([a-z]?\d{1,4}[a-z]?) (?![0-9a-z])
    """,
    _FLAGS,
)
# A number shaped like a room (floor 1 to 39, door 01 to 16) standing alone, read only once a building is:
# "smoke under the door of 1504 in building 22", "28号楼三楼楼道里有煤气味 301那个老头敲门不应". Never 110,
# 119 or 120, the emergency numbers.
_LONE_ROOM = re.compile(
    rf"""
    (?<![0-9a-z.:/\#-]) (?!1(?:10|19|20|22)(?![0-9]))
    ( [1-3]?[0-9] (?: 0[1-9] | 1[0-6] ) ) (?![0-9a-z:/]|\.\d|\s*[号点楼层栋幢单])
    {_QUANTITY}
    """,
    _FLAGS,
)
# A neighbour's door by its number alone: "楼上402的老伯伯", "隔壁502王老师", "my downstairs neighbour in 202".
_NEIGHBOURS_ROOM = re.compile(
    r"""
    (?: 楼上 | 楼下 | 隔壁 | 对门 | 对面 | 邻居 | 同层 | 同一层 ) (?:的|家)? \s* ([1-3]?[0-9][0-9]{2}) (?![0-9])
    | (?<![a-z]) (?: neighbou?r | next\ door | upstairs | downstairs | across\ the\ hall
                   | (?:guy|lady|man|woman|couple|family|granny|grandpa|grandma) (?=\s+(?:in|at|from)\b) )
      \s* (?: in | at | from | of )? \s* \#? \s* ([1-3]?[0-9][0-9]{2}) (?![0-9])
    """,
    _FLAGS,
)
# The commonest surnames, for 老陈 and 王老师.
_SURNAME = ("[王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅"
            "沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白"
            "崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文]")
# Who lives behind a door, after its number or its place: 阿婆, 老陈, 王老师 (the commonest surnames)…
_PEOPLE = rf"""
    (?: 阿婆|阿姨|老伯|伯伯|老太太|老太|老头|老人|老先生|爷爷|奶奶|外婆|外公|婆婆|阿爷|爷叔|孃孃|嬢嬢|阿叔|阿伯
      | 小夫妻|老夫妻|老夫妇|夫妻|小两口|老两口|两口子|孕妇|租客
      | 小姑娘|小伙子|后生仔|外国人|老外|小?宝宝|小孩|小朋友|邻居
      | 老{_SURNAME}                                               # 老陈, 502的老陈报一下
      | ling\s?ju\b                                               # 邻居 in pinyin
      | {_SURNAME} (?: 老师|阿姨|老伯|师傅|先生|太太|阿婆|伯伯|奶奶|爷爷|婆婆) )  # 王老师, 张阿姨
"""
# …or the household: "1002那家小两口", "502那户" (after a place, 那户 leads to people: "楼下那家药店" is a shop).
_WHO_LIVES = rf"(?: {_PEOPLE} | 一家|人家|那家|那户|这家|住户 )"
# …unless what follows says they helped the writer, or are a nuisance: no need of theirs ("楼上邻居送了我几只").
_HELPED = r"""(?! [^。！？!?\s]{0,4} (?: 帮我|帮忙|给我|给的|送的|替我|送了我|送我|说(?:她|他|伊)?会
                                    |说(?:可以|能|这里|这个)|天天|吵架|都很好|已经有人|有人管 ) )"""
# A door written by its number alone, then who lives behind it: "602嘅伯伯", "502的老陈", "1002那家小两口",
# "402王老师家", "301门口的报纸堆了三天". Like a neighbour's door, it is in the writer's own building.
_DOOR_OF = re.compile(
    rf"""
    (?<![0-9a-z.:/\#-]) (?<!住)(?<!住在)(?<!^有)(?<![^还]有) (?! 1(?:10|12|19|20)(?![0-9]) )  # not a home, a count,
    ( [1-3]?[0-9] (?: 0[1-9] | 1[0-6] ) ) (?![0-9]) \s* (?: 的|嘅|𠮶个|𠮶位|那个|那位|个|家 )? \s*  # nor 110, 120
    (?= (?: {_WHO_LIVES} | 门口|家门口 ) {_HELPED} )
    """,
    _FLAGS,
)
# A neighbour's flat told by where it is from the writer's own, with who lives there: "楼下那户老两口" is one floor
# down, "楼上的楼上那家" two up, "the old lady directly below me" one down. Read where no room is written: the flat
# is worked out from the writer's own on the roster (decide.address). Not "楼上漏水" (a leak is the writer's own).
# 住着一对老夫妻, 那个独居阿姨: who lives there, between the place and the person
_WHO_THERE = r"(?:住着|住的是|住的|有)? \s* (?:一对|一个|一位|个|位)? \s* (?:独居|孤老|一个人住的?)? \s*"
_MINE = r"(?:me|mine|us|ours|my)"
_WHO_EN = r"(?:flat|apartment|lady|man|woman|guy|couple|family|granny|grandpa|grandma)"
_NOT_THEIR_NEED = r"(?! \s+ (?:gave|brought|lent|helped|sent|says|said|told) \b)"  # "…gave me some rice"
_SOMEONE_ELSES = r"(?<![妈爸婆公姐妹哥弟舅姨叔]家)(?<!楼上)(?<!楼下)"  # not 我妈家楼下, nor 楼上楼下的邻居
_THAT_HOME = r"的|个|嘅|那户|那家|那个|那间|那|头|𠮶家|𠮶户|𠮶个|de\b"  # 楼下那家(的), 楼下𠮶家个 (Cantonese)
_FLOORS_AWAY = tuple(
    (floors, re.compile(rf"{_SOMEONE_ELSES} (?:{where}) (?!楼上|楼下) \s* (?:{_THAT_HOME})? \s* (?:个|嘅|的)?"
                        rf" \s* {_WHO_THERE} {_PEOPLE} {_HELPED} | (?:{english}) {_NOT_THEIR_NEED}", _FLAGS))
    for floors, where, english in (
        (2, r"楼上的楼上 | 楼上楼上", r"\b two \s floors \s (?:up|above) \b"),
        (-2, r"楼下的楼下 | 楼下楼下", r"\b two \s floors \s (?:down|below) \b"),
        (1, r"(?<!下的)楼上 | 正上面 | 正上方 | 上面那户 | 上一层",
         rf"\b (?: upstairs \s neighbou?r | (?:right|directly|just|immediately|{_WHO_EN}) \s above \s {_MINE} ) \b"),
        (-1, r"(?<!上的)楼下 | 正下面 | 正下方 | 下面那户 | 下一层",
         rf"\b (?: downstairs \s neighbou?r | (?:right|directly|just|immediately|{_WHO_EN}) \s"
         rf" (?:below|beneath|under) \s {_MINE} ) \b"),
    )
)


def floors_from(room: str, floors: int) -> str | None:
    """The door `floors` above (+) or below (-) `room` ("302", -1: "202"; "302A": "202A"); None where the room is
    no floor and door ("B2", "1-302") or the floor would be none (below the first): then the room is asked. The
    roster is not read: a floor above the top one is asked about by the volunteer at the door."""
    written = re.fullmatch(r"(\d{1,2})(\d{2})([A-Z]?)", room.upper())
    if written is None or int(written[1]) + floors < 1:
        return None
    return f"{int(written[1]) + floors}{written[2]}{written[3]}"


def floors_away(text: str, door: str | None = None) -> int | None:
    """How many floors above (+) or below (-) the writer's own a neighbour lives who is told of by where they are
    ("楼下那户老两口": -1); None when no such neighbour is. With `door`, only a neighbour told of from that door,
    written just before ("15号楼602楼下那家老太太": -1 from 602) or, in English, just after ("the flat above 1101")."""
    for floors, pattern in _FLOORS_AWAY:
        for match in pattern.finditer(text):
            if door is None or (match[0].lstrip()[:1] in "楼正上下"  # "701 right below me" is 701 itself
                                and re.search(rf"(?<![0-9]){door}\s*(?:室|号|房)?\s*$", text[:match.start()])):
                return floors
    if door is not None:
        for floors, pattern in _FROM_A_DOOR:
            if (match := pattern.search(text)) and re.match(rf"(?:#|no\.?\s*)?{door}(?![0-9])", text[match.end():]):
                return floors
    return None


# A neighbour's flat told from a door written after it, in English: "the flat above 1101", "the room under 702".
_FROM_A_DOOR = tuple(
    (floors, re.compile(rf"\b (?:flat|room|apartment|apt|unit|one|place|door) \s (?:right\s|directly\s|just\s)?"
                        rf"(?:{where}) \s+ (?=[#\d]|no\b)", _FLAGS))
    for floors, where in ((1, r"above|over"), (-1, r"under|below|beneath|underneath"))
)


# A relative who lives somewhere, then a door: "我婆婆住602", "my mum lives in Minhang, her neighbour in 1201": no door
# of the writer's own building.
_RELATIVE_LIVES = re.compile(
    r"(?:我|my|our)\s*(?:的\s*)?(?:妈妈|妈|母亲|爸爸|爸|父亲|婆婆|外婆|奶奶|外公|爷爷|女儿|儿子|姐姐|妹妹|哥哥|弟弟|舅舅|阿姨"
    r"|mum|mom|mother|dad|father|daughter|son|sister|brother|grandma|grandmother|grandpa|grandfather|aunt|uncle)"
    r"[^。！？.!?]{0,16}(?:住|lives?|rents?|stays?)",
    re.IGNORECASE,
)
# A door after where someone lives, with no building: "我妈住1201" is a room, and the building is asked.
_LIVES_AT = re.compile(r"(?<=住)(?:在)?\s*([1-3]?[0-9](?:0[1-9]|1[0-6]))(?![0-9])" + _QUANTITY, _FLAGS)
# "unit" last: in "bldg 3 unit 2 room 302" the unit is the entrance.
_ROOM_UNIT = re.compile(r"(?<![a-z])unit\s*\#?\s*([a-z]?\d{1,4}[a-z]?)(?![0-9a-z])", _FLAGS)

@dataclass(frozen=True)
class _Place:
    start: int
    building: int
    room: str | None


def _places(text: str) -> list[_Place]:
    """Return every building written in the text, in reading order, with a room written with it."""
    places = [_Place(m.start(), int(m[1]), m[2]) for m in _DASH_PLACE.finditer(text)]
    for pattern in (_CN_PLACE, _EN_PLACE, _B_PLACE, _CN_NUMERAL_PLACE):
        for match in pattern.finditer(text):
            written = next(group for group in match.groups() if group)
            digits = written if written.isdigit() else chinese_digits(written)
            if digits:
                number = int(digits)
                after = _ROOM_AFTER_PLACE.match(text, match.end())
                places.append(_Place(match.start(), number, after[1] if after else None))
    return sorted(places, key=lambda place: place.start)


def _room_digits(room: str | None) -> str | None:
    """A room as the hotline writes it: `302`, `1201`, `302B` (三零二 read as 302; `0901`, the floor written with
    two digits, as 901)."""
    if room and not room.isascii():
        room = chinese_digits(room)
    room = room.upper() if room else None
    if room and room.startswith("0") and len(unpadded := room.lstrip("0")) >= 3:
        return unpadded
    return room


# The writer's own flat, said to be theirs before its number: "我住5号楼201，我妈在23号楼601", "I rent 9-502. My
# landlady … 9-402". The help goes to the other flat written, or to the neighbour's door named
# ("我是12号302的，对门304").
_OWN = re.compile(
    r"(?:我|本人|阿拉|我们)(?:家)?(?:是|住|住在|在|家在|家住)\s*$"
    r"|\b(?:i live (?:in|at)|i'?m (?:in|at|from)|i am (?:in|at|from)|i rent|we live (?:in|at)|we'?re (?:in|at))\s*$"
    r"|\btôi ở\s*$",
    re.IGNORECASE,
)


# A neighbour's door, then who lives there: the help goes to them ("对门304王阿婆一个人住", "楼下1001住的是我小学老师").
_NEIGHBOUR_NAMED = re.compile(
    "(?:" + _NEIGHBOURS_ROOM.pattern + ")" + rf"""
    (?= [^。！？.!?]{{0,6}} (?: 阿婆|阿姨|老伯|伯伯|老太|老头|老人|爷爷|奶奶|外婆|外公|老师|住的是|一个人|独居
                          | 夫妻|小两口|两口子|一家|孕妇|租客|小姑娘|小伙子|老{_SURNAME}  # "隔壁304的老陈"
                          | \s(?:lady|man|woman|granny|grandpa|grandma|couple|family|neighbou?r) ) )
    """,
    _FLAGS,
)


def _own(text: str, place: _Place) -> bool:
    return _OWN.search(text, max(0, place.start - 14), place.start) is not None


def read_address(text: str, buildings: frozenset[int]) -> tuple[int | None, int | None, str | None, bool, bool]:
    """Return (building, unknown_building, room, elsewhere, nearby) as written in the normalised text:
    `elsewhere`, the flat read is not the one the writer says is theirs, also written; `nearby`, no building is
    written and the room is a door of the writer's own building ("楼下501的阿婆", "602嘅伯伯", "lady in 1201")."""
    text = _without_other_numbers(in_digits(english_in_digits(text)))  # once: every reader below reads it so
    places = _places(text)
    own = {(place.building, _room_digits(place.room)) for place in places if _own(text, place)}
    # Another flat written in full besides the writer's own (not "5号电池", "3号下的单", nor their own again): that one
    others = [place for place in places if place.room and (place.building, _room_digits(place.room)) not in own]
    if own and others:
        places = others
    known = [place for place in places if place.building in buildings]
    place = known[0] if known else (places[0] if places else None)
    if place is not None and place.room is None:  # "I live in bldg 21. The old man next door, 21-305…"
        place = next((p for p in places if p.building == place.building and p.room), place)
    room = place.room if place else None
    door = _NEIGHBOUR_NAMED.search(text) if own and not others else None
    if door is not None:  # "我住33号楼1101，楼下1001住的是…", not "楼上402漏水漏到我家了"
        room = next(group for group in door.groups() if group)
    nearby = False
    for pattern in (_ROOM_SUFFIXED, _ROOM_PREFIXED, _ROOM_UNIT, _NEIGHBOURS_ROOM, _DOOR_OF, _LIVES_AT) + (
            (_LONE_ROOM,) if known else ()):
        if room is None and (match := pattern.search(text)):
            room = next(group for group in match.groups() if group)
            nearby = place is None and pattern in (_NEIGHBOURS_ROOM, _DOOR_OF) and not _RELATIVE_LIVES.search(text)
    room = _room_digits(room)
    # the writer's own flat, then a neighbour told by place: "我住15号楼602 楼下那家老太太…" is 15-502,
    # …or from a flat written just before: "15号楼602楼下那家老太太…" is 15-502 too
    moved = bool(door is None and room and not (own and others)
                 and (floors := floors_away(text, None if own else room)) is not None)
    if moved:
        room = floors_from(room, floors)  # None: no floor and door to count from, the room is asked
    elsewhere = bool(own and others) or door is not None or moved
    if place is None:
        return None, None, room, elsewhere, nearby
    if known:
        return place.building, None, room, elsewhere, False
    return None, place.building, room, elsewhere, False
