"""Read what people text: a resident's need and address, or a command word.

Pure: no database, no web. Everything is read from the text after `_normalise` (NFKC, lower
case, one space between words, simplified characters, pinyin as Chinese), so full-width digits,
letters and `＃` read as ASCII, and `drug` and `runs_out` come back lower case ("Saturday" reads
"saturday").
Patterns use `re.ASCII` so that `\\d` is 0-9 and `\\b` sits between ASCII letters and anything
else, Chinese characters included ("需要rice" has a word boundary before "rice").

The building and the room are read by `address.read_address`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from hotline.domain.address import floors_away, read_address
from hotline.domain.numerals import chinese_digits
from hotline.domain.reading import (
    READ_AHEAD,
    asked_in_clause,
    blanked,
    calm_rules,
    category_rules,
    drug_rules,
    first_found,
    gravity,
    matching,
    named,
    need_rules,
    set_aside_past,
    simplify,
    taken_back,
    time_left_rules,
    without_needs_nothing,
)
from hotline.models import Category

_FLAGS = re.ASCII | re.VERBOSE


@dataclass(frozen=True)
class Parsed:
    """What a resident's free text says about their need and where they live."""

    category: Category | None
    urgent: bool
    emergency: bool
    building: int | None
    unknown_building: int | None
    room: str | None
    drug: str | None
    runs_out: str | None
    for_other: bool
    nearby: bool = False  # no building written, and the room is a door of the writer's own building
    floors_away: int | None = None  # no address written, and a neighbour this many floors above (+) or below (-)
    pet_waits: bool = False  # a pet's food or litter only, the pet not left alone: never urgent


class Word(StrEnum):
    """A command word, from a resident or a volunteer."""

    STATUS = "status"  # resident: my open and recent requests
    CANCEL = "cancel"  # resident: cancel request N (bare CANCEL is OPT_OUT)
    NOT_RECEIVED = "not_received"  # resident: request N was marked delivered but never came
    ENGLISH = "english"  # resident: answer me in English
    CHINESE = "chinese"  # resident: answer me in Chinese
    HELP = "help"  # resident: start a request conversation
    OPT_OUT = "opt_out"  # Twilio's opt-out words: send nothing more
    OPT_IN = "opt_in"  # Twilio's opt-in words
    ACCEPT = "accept"  # volunteer: I take request N
    DONE = "done"  # volunteer: request N delivered
    DECLINE = "decline"  # volunteer: I can't, pass request N on
    LIST = "list"  # volunteer: my open requests
    OFF = "off"  # volunteer: stop sending me new requests
    ON = "on"  # volunteer: send me new requests again
    JOIN = "join"  # resident: join the group buy offered, with a quantity (`number`) if given
    THANKS = "thanks"  # resident: thanks, it came (a kind answer, never a new request)
    LATE = "late"  # coordinator: the overdue and emergency requests (from a resident: STATUS)
    FOLLOW_UP = "follow_up"  # resident, in their own words: where is what I asked for? (never typed as a word)
    UNANSWERED = "unanswered"  # volunteer: nobody opened, left it at the door (delivered, and a welfare check)


@dataclass(frozen=True)
class Visit:
    """When a volunteer says they will come: the hour and minute as said, the part of the day when said
    (`am`, `pm`), and whether it is tomorrow; or, said from now ("20分钟后到", "in half an hour"), the
    minutes from now (`in_minutes`), which `at` turns into a time of day."""

    hour: int  # 1-12
    minute: int
    part: str | None
    tomorrow: bool = False
    in_minutes: int | None = None

    def at(self, local_now: datetime) -> Visit:
        """The time of day this visit is at, read from `local_now` (the compound's local time) when it
        was said from now: rounded up to the next five minutes, as people say a time."""
        if self.in_minutes is None:
            return self
        then = (local_now + timedelta(minutes=self.in_minutes)).replace(second=0, microsecond=0)
        then += timedelta(minutes=-then.minute % 5)
        visit = _visit(then.hour, then.minute, "pm" if then.hour >= 12 else "am", then.date() > local_now.date())
        return visit or self


@dataclass(frozen=True)
class Command:
    """A whole message that is a command word, with the request number when written (and, for a
    volunteer's OK, the time they said they will come)."""

    word: Word
    number: int | None
    coming: Visit | None = None


@lru_cache(maxsize=READ_AHEAD)
def _normalise(text: str) -> str:
    """Return the text as NFKC, lower case, controls blanked, one space between words, traditional
    characters as simplified and pinyin as Chinese (`reading.simplify`)."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    # Category C is controls, format marks (zero-width space), surrogates and unassigned points.
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return simplify(text)


# --- need ----------------------------------------------------------------------------------

# Words that contain a food character without being food: 奶奶 is grandma, 外面 is outside.
_NOT_FOOD = re.compile(
    r"奶奶|外面|里面|上面|下面|前面|后面|对面|见面|表面|方面|全面|地面|面对|面前|当面|面积|面子|厘米|毫米"
)
_FOOD = re.compile(
    r"""
    \b(?: rice(?!\s+cookers?\b)|eggs?|milk|bread|vegetables?|veggies|veg|groceries|grocery|food|meat|pork|chicken
        | fish|noodles?|fruits?|formula|hungry|eat|eaten|flour|oil|snacks?|tofu
        | water (?!\s*(?:heater|pipe|leak|tank
                         |(?:is\s+)?(?:coming|pouring|leaking|running(?!\s+out)|dripping|everywhere|all\s+over|on\s+the\s+floor)))
        )\b
    | something\s+to\s+eat
    | 菜|米|面|饭|蛋|奶|吃的|食物|速食|粮|肉|水果|饿|饮用水|矿泉水|桶装水|纯净水|食品|盐
    """,
    _FLAGS,
)
_MEDICINE = re.compile(
    r"""
    \b(?: medicines?|meds|medications?|insulin|pills?|tablets?|prescriptions?|inhalers?
        | drugs?|pharmacy|blood\s+pressure|epi-?pens?|ointment|burn\s+cream )\b
    | 药|胰岛素|处方|烫伤膏|烧伤膏|软膏
    """,
    _FLAGS,
)
_HELP = re.compile(
    r"""
    (?<! for\sthe\s)(?<! for\syour\s)(?<! all\sthe\s)(?<! weeks\sof\s)(?<! days\sof\s)   # thanks for the help
    \b(?: help|carry|carrying|repair|fix|broken|rubbish|garbage|trash|parcels?|packages? )\b
    | 帮忙|帮助|搬|修|垃圾|陪|快递|坏了
    """,
    _FLAGS,
)

_EMERGENCY = re.compile(
    r"""
    (?<! phone\s )(?<! bag\s )(?<! box\s )(?<! it\s )(?<! cup\s )(?<! glass\s )   # things fall, not people
    (?<! last\s )(?<! zu\s )                       # German "zur Last (zu) fallen": to be a burden
    \b(?: fell|fallen|falls?|fall\s+down ) \b (?!\s*(?: asleep|behind|apart|in\s+love|through ))
    (?! (?<=falls) \s+ (?: möglich|nötig|notwendig|es|das|sie|du|ihr|ja|man|nicht|jemand|ich|wir|er|ein|eine
                            |noch ) \b )  # German "falls": "if" ("Falls jemand diese Woche welche besorgen kann")
    | \b(?: can'?t|cannot|can\s+not|unable\s+to ) \s+ (?: get\s+up | stand\s+up | breathe )
    | (?: \bnot|n't|\btrouble|\bdifficulty|\bdifficult|\bhard\s+to ) \s+ breath(?:e|ing)  # "is not" reads "isn't"
    | \bshort(?:ness)?\s+of\s+breath | \bchest\s+pains? | \bheart\s+attack
    | \bunconscious | \bunresponsive | \bfainted | \bpassed\s+out | \bcollapsed | \bstroke\b (?!\s+patient)
    | \bbleeding (?!\s+gums)
    | \bseizures? | \bambulance | \bcall(?:ing)?\s+120\b
    | 摔倒|跌倒|摔了|摔跤|胸痛|胸口疼|胸口痛|心口痛|心口疼|胸闷|喘不上气|喘不过气|上不来气|呼吸困难
    | 透不过气|昏迷|晕倒|昏倒|不省人事|中风|脑梗|心梗|大出血|流血不止|抽搐|急救(?![箱包药课知培常电指])|救护车|神志不清
    | 不想活|[打叫拨]了?\s*120
    """,
    _FLAGS,
)
# Medicines and care a life hangs on, nothing at all left to eat, a baby's milk gone: no "不急" makes their running
# out wait ("whenever is fine but baby has no formula left after this bottle"); more in the `vital` rules and signs
# of lexicon/needs.tsv and lexicon/signs.tsv, which also make a need urgent.
_VITAL = re.compile(r"胰岛素|\binsulin|氧气|吸氧|制氧|\boxygen\b|透析|\bdialysis\b"
                    r"|\bnada (?:de|que) comer\b|\bnothing (?:left )?to eat\b"
                    r"|一点吃的都没有|什么吃的都没有|没(?:有)?东西吃|(?:(?:米|饭)(?:缸里)?一粒|一粒米)(?:也|都)(?:呒没|没有|没|不剩)"
                    r"|冰箱(?:里)?(?:空空|啥也没|啥都没|什么都没)"
                    r"|\bno (?:more )?formula (?:left|at all)|\bout of formula\b",
                    re.IGNORECASE)
_COUNT = r"[0-9一两二三四五六七八九十几]+"
# Days without a treat are no days without food ("孩子好几天没吃水果了 急急急").
_TREATS = (r"(?!吃?(?:过|到|上)?(?:水果|西瓜|苹果|草莓|肉|荤|鱼|虾|零食|甜|蛋糕|巧克力"
           r"|蔬菜|青菜|新鲜|火锅|外卖|奶茶|咖啡)|喝(?:过|到|上)?(?:奶茶|咖啡|可乐|酒|牛奶|酸奶))")
# The writer's own alarm: urgent where a staple (lexicon/needs.tsv) or a medicine is named ("URGENT!!! coffee and
# oat milk" is not), unless a time left is written that is not soon ("地高辛还有五天的量 我急得睡不着").
_ALARM = re.compile(
    r"急|马上|尽快|立刻|立即|赶快|赶紧 | \b(?: urgent(?:ly)?|asap|emergency|immediately|right\s+away|right\s+now )\b"
    r"| (?<!nicht\s)(?<!no\ses\s)(?<!pas\s) \b(?: dringend|urgente|d'urgence|срочно )\b",
    _FLAGS,
)
_URGENT = re.compile(
    rf"""
    断粮|断药|没饭吃|没东西吃|今天就没|今天(?:就)?(?:吃|用)完
    | {_COUNT}\s*天\s*没(?:有)?吃{_TREATS} | 饿了\s*{_COUNT}\s*天
    | (?<!run\s)(?<!runs\s)(?<!running\s)     # "runs out of insulin on Saturday" is not out yet
      \bout\s+of\s+(?: food|rice|milk|formula|water|insulin|medicines?|meds|medications?|pills|tablets
                     | everything )\b
    | \b(?: haven'?t|have\s+not|hasn'?t|has\s+not|not ) \s+ eaten | \bnothing\s+(?:left\s+)?to\s+eat
    | \bno\s+(?:food|rice|water|insulin|medicine|meds)\s+(?:for|since|in)\s+(?:\d+|two|three|several|a\s+few)\s+days?
    | \bstarving\b(?![^.!?]{{0,30}}(?:😂|🤣|😆|😅|🙄|\blol\b|\blmao\b|\bhaha\w*|\bjk\b))  # "STARVING 😂 any chocolate?"
    | 好几天没{_TREATS}
    | \bruns?\s+out\s+today | \brunning\s+out\s+today | \bran\s+out
    | \blast\s+(?: pill|dose|tablet|insulin|one )s?\b
    """,
    _FLAGS,
)


# A pet's food or litter (lexicon/categories.tsv, `pet`) waits for the next round, however soon it runs out (as every
# labelled line has it)…
# …unless the pet is alone, its owner taken away ("张先生人被拉去隔离了 家里猫粮今天吃完 能不能有人去喂下猫").
_PET_ALONE = re.compile(
    r"拉去|拉走|隔离了|转运|住院|不在家|没人喂|\b(?:taken\s+(?:away|to)|in\s+quarantine|in\s+hospital)\b", _FLAGS)


# Buying, said beside a broken thing: what is to be bought is the need ("can someone buy us eggs"), not a mend.
_BUY_FOOD = re.compile(r"(?<!换)(?<!修)买(?!一?(?:个|台)新|一?台)|\bbuy (?:us |me |some )")
# A new device or a mend asked for beside food run out: the device is the need ("制氧机坏了 能送个新的吗 米也吃完了").
_DEVICE_ASKED = re.compile(r"新的|(?<!再)(?<!等)修|换(?:个|一个|罐|瓶|煤气)|\b(?:fix|repair|replace|new one)\b")


def _category(text: str, drug: str | None, emergency: bool, out: bool) -> Category | None:
    """Return the gravest need named: medicine, then food, then help; a hand with carrying, or an
    errand for someone who cannot walk, is help even when food is named, unless what they say is that
    their food ran out ("米缸见底了 腿脚不好下不了楼": food); a device broken is help even when it is for
    a medicine ("制氧机坏了 老人离不开氧气"), not when food is to be bought besides, and so is a pet's medicine;
    household supplies (toilet paper, nappies, pet food) are help unless food is named besides them
    (lexicon/categories.tsv); food named in an emergency is what was happening ("吃了一口饭就倒下去了"), and the
    emergency is help; so is a medicine named in an emergency ("吞了一瓶安眠药 叫不醒了") unless it is asked for or has
    run out (`out`)."""
    text = blanked(category_rules().of("unreached_helper"), _NOT_FOOD.sub(" ", text), " ")  # "李明电话打不通": no check
    also = named(text)
    if "welfare" in also and not emergency and "all_clear" not in also:  # "ne répond plus" in an emergency: help
        return Category.WELFARE  # at once, not a check; "打通了…人没事": reached, no check
    if "device" in also and not drug and (_DEVICE_ASKED.search(text) or not (
            (_BUY_FOOD.search(text) or "bring" in also or "food_out" in also) and _names_food(text, also))):
        return Category.HELP  # unless food is to be bought or brought, or has run out: "fridge died, could someone
        # buy us eggs and milk", "电饭煲坏了 屋里只有生米 有熟食能送点过去伐", "冰箱里东西全坏了 家里就剩几包挂面"
    if "vet" in also:  # a pet's medicine is help ("cần mua thuốc tẩy giun cho chó"), unless a person's is named too
        text = blanked(category_rules().of("vet"), text, " ")
        if not (_drug(text) or _names_medicine(text, named(text))):
            return Category.HELP
    if (drug or _names_medicine(text, also)) and (
            not emergency or out or "asking" in also or "food_out" in also):
        return Category.MEDICINE
    if "carry" in also or "cannot_walk" in also and "food_out" not in also:
        return Category.HELP
    if "supplies" in also:  # toilet paper, nappies, pet food: help, unless food is named besides them
        text = blanked(category_rules().of("supplies"), text, " ")
        also = named(text)
        if not _names_food(text, also):
            return Category.HELP
    asked = "asking" in also or "food_out" in also  # "she fell and can't walk. Needs food", "家里没吃的了"
    if _names_food(text, also) and (not emergency or asked):
        return Category.FOOD  # "吃饭时呛了 喘不上气": in an emergency, a meal is no need unless it is asked for
    if emergency or _HELP.search(text) or "help" in also:
        return Category.HELP
    return None


def _names_food(text: str, also: set[str]) -> bool:
    """Whether food is named, by parsing's words or the categories file's (`also`: `reading.named` of the text)."""
    return _FOOD.search(text) is not None or "food" in also


def _names_medicine(text: str, also: set[str]) -> bool:
    """Whether a medicine is named, by parsing's words or the categories file's (`also`: `reading.named`)."""
    return _MEDICINE.search(text) is not None or "medicine" in also


# --- drug and when it runs out -------------------------------------------------------------

# Drugs by name: hotline/domain/lexicon/drugs.tsv (reading.drug_rules), each with its example.
# "<X>药" names a drug (降压药, 感冒药, 心脏病药): X is what comes right before 药, back to the
# first verb, pronoun or particle (需要配药, 帮我妈买药, 5号楼需要药 name none).
# 药品/药物/药店/药房 are the generic words.
_CN_DRUG = re.compile(r"([\u4e00-\u9fff]{1,4})药(?![品物店房方])")
_NOT_IN_DRUG = set(
    "的买配拿取送要需吃用开些点种个没了和跟给帮我你他她妈爸在有是缺少这那位请急很都也还就能把去来到找求一号楼栋幢室住"
)
_GENERIC_DRUGS = {"处方药", "常用药", "日常药"}

_EN_WHEN = r"""
    today | tonight | (?: tomorrow|tmrw|tmr|2moro ) (?: \s+ (?:morning|night|evening) )? | the\s+day\s+after\s+tomorrow
    | (?: in\s+ )? (?: \d+|a|one|two|three|four|five|six|seven ) \s+ days?
    | this\s+week(?:end)? | next\s+week
    | (?: monday|tuesday|wednesday|thursday|friday|saturday|sunday )
"""
_CN_WHEN = r"""
    今天|今晚|明天|明早|明晚|今朝|今夜|明朝|大后天|后天|本周|这周|下周|周[一二三四五六日天末]|星期[一二三四五六日天]
    | (?: \d+ | [一两二三四五六七八九十半几]+ ) \s* (?: (?: 天|日 ) 后? | 个? \s* (?: 礼拜|星期|周 ) )
"""
_VI_SOON = r"tối\s+nay | sáng\s+mai | ngày\s+mai | hôm\s+nay"  # tonight, tomorrow morning, tomorrow, today
_RUNS_OUT = re.compile(
    rf"""
    \b(?: runs?|running|ran|will\s+run ) \s+ out \s+ (?: of\s+ (?:[a-z]+\s+){{1,3}}? )? (?: by\s+|on\s+ )?
    ({_EN_WHEN}) \b
    | \benough\s+ (?: [a-z]+\s+ )? (?: for|till|until|to\s+last ) \s+ ({_EN_WHEN}) \b
    | \blasts? \s+ (?: till|until|through ) \s+ ({_EN_WHEN}) \b                   # "only last till tomorrow morning"
    | \b(?: finish(?:es)?|runs?\s+out ) \s+ after \s+ (tonight|today) 's           # "finish after tonight's dose"
    | \bchỉ \s+ còn \s+ (?: đủ\s+ )? (?: đến|tới ) \s+ ({_VI_SOON}) \b
    | \b(?: only\s+|just\s+ )? ( (?: \d+|a|one|two|three|four|five ) \s+ days? ) \s+ (?: left|remaining )
    | ({_CN_WHEN}) \s* (?: 早上|上午|中午|下午|晚上|夜里|早晨|一早|凌晨 )? \s* (?: 就|要|会|都|也 )? \s*
      (?: 吃完|用完|没了|没有了|断药|断了|用光|吃光|停药|没药|打完|呒没了|呒没 )      # "明天早上就吃完了"
    | (?: 还剩下?|只剩下?|剩下?|还有|只有|还能吃|还可以吃|只够吃?|够吃|能吃|还够 ) \s* ({_CN_WHEN})
    """,
    _FLAGS,
)
_SOON = re.compile(
    rf"""
    today|tonight|(?<!after\s)tomorrow|\btmrw\b|\btmr\b|\b2moro\b|今天|今晚|明天|明早|明晚|今朝|今夜|明朝|半天
    | {_VI_SOON}
    | \b(?: in\s+ )? (?: 1|a|one ) \s+ day\b | (?<![0-9]) 1 \s* 天 | (?<![一二三四五六七八九十]) 一天
    """,
    _FLAGS,
)


def _drug(text: str) -> str | None:
    """Return the first drug named in the text, as written."""
    found = [(m.start(), m[0]) for rule in matching(drug_rules(), text) for m in rule.pattern.finditer(text)]
    for match in _CN_DRUG.finditer(text):
        name = match[1]
        for at in range(len(name) - 1, -1, -1):
            if name[at] in _NOT_IN_DRUG:
                name = name[at + 1 :]
                break
        if name and name + "药" not in _GENERIC_DRUGS:
            found.append((match.end() - len(name) - 1, name + "药"))
    return min(found)[1] if found else None


def _time_left(text: str) -> tuple[str, bool] | None:
    """When the medicine runs out, as written ("tomorrow", "明天", "in 2 days", "se me acaba mañana"), and whether that
    is soon (today, tonight, by tomorrow morning); in other languages by `lexicon/time_left.tsv`, the first written."""
    match = _RUNS_OUT.search(text)
    if match is not None:
        when = next(group for group in match.groups() if group)
        return when, _SOON.search(when) is not None
    soon, later = (first_found(time_left_rules().of(kind), text) for kind in ("soon", "later"))
    found = min((m for m in (soon, later) if m is not None), key=lambda m: m.start(), default=None)
    return None if found is None else (found[0], found is soon)


# --- for someone else ---------------------------------------------------------------------

# Parents, grandparents, siblings, in-laws, friends and neighbours usually live elsewhere.
# Spouses and young children are left out: "my husband fell" is still the sender's household.
_FOR_OTHER = re.compile(
    r"""
    \b(?: my|our|for ) \s+ (?: (?: elderly|old|sick|disabled|\d+[- ]years?[- ]old ) \s+ )*
    (?: mother|mom|mum|mommy|mama|father|dad|daddy|papa|parents?|grandmother|grandma|granny
      | grandfather|grandpa|grandparents?|aunt|auntie|uncle|brother|sister|friend|relatives?
      | in-laws|mother-in-law|father-in-law )\b
    | \bneighbou?rs?\b | \bon\s+behalf\s+of\b
    | (?: 我们?|帮我?|替我?|给我?|为我?|是我 ) (?: 的|家 )?
      (?: 妈妈|妈|母亲|老妈|爸爸|爸|父亲|老爸|爸妈|父母|爷爷|奶奶|外婆|外公|姥姥|姥爷|婆婆|公公
        | 岳父|岳母|丈母娘|老丈人|哥哥|哥|姐姐|姐|弟弟|弟|妹妹|妹|阿姨|叔叔|舅舅|姑姑|姨妈|伯伯
        | 亲戚|朋友|老人|家里老人 )
    | 妈妈|爸爸|母亲|父亲|爸妈|父母|爷爷|奶奶|外婆|外公|姥姥|姥爷|婆婆|公公|岳父|岳母   # said alone too
    | 邻居|隔壁
    """,
    _FLAGS,
)


def whole_number(text: str, max_digits: int = 9) -> int | None:
    """Read `text` as a whole number in ASCII digits, at most `max_digits` of them; else None.

    Not `str.isdigit` alone: it says yes to `²`, which `int` refuses, and to `٣`, which `int` reads as 3.
    """
    return int(text) if 0 < len(text) <= max_digits and text.isascii() and text.isdigit() else None


def can_wait(text: str) -> bool:
    """Whether the writer says what they ask can wait ("不急的", "sem pressa", "급한 건 아니에요"), with no "but" after
    it ("ไม่ด่วนค่ะ แต่คุณยาย…ไม่เปิดประตู": not urgent, but the old lady alone has not opened her door since Monday)."""
    simplified = simplify(text)
    found = first_found(calm_rules().of("calm"), simplified)
    return found is not None and not taken_back(simplified, found.end())


@lru_cache(maxsize=READ_AHEAD)
def parse_request(text: str, buildings: frozenset[int]) -> Parsed:
    """Read a resident's free text: the need, how urgent, the building and room, and for whom (kept per
    text and buildings: one SMS is read several times on its way, against the compound's buildings and
    against any)."""
    text = _normalise(text)
    building, unknown_building, room, elsewhere, nearby = read_address(text, buildings)
    need = _need(text)
    floors = floors_away(text) if building is None and unknown_building is None and room is None else None
    return replace(need, building=building, unknown_building=unknown_building, room=room,
                   for_other=elsewhere or need.for_other or floors is not None, nearby=nearby, floors_away=floors)


@lru_cache(maxsize=READ_AHEAD)
def _need(text: str) -> Parsed:
    """What the normalised text says of the need, whatever buildings it is read against: a `Parsed` with no
    place yet (`parse_request` adds the one read against its buildings)."""
    now = set_aside_past(text)
    grave = gravity(now)
    emergency = _EMERGENCY.search(now) is not None or "emergency" in grave
    drug = _drug(text)
    category = _category(text, drug, emergency, "out" in grave)
    left = _time_left(text) if category is Category.MEDICINE else None
    runs_out, soon = left or (None, False)
    # "nothing serious", "不急", "when possible": the sender says it can wait, but not of insulin, oxygen, dialysis,
    # nor of a drug taken daily (lexicon/drugs.tsv) they write runs out soon ("不急 有空再说 就是降压药今天吃掉最后
    # 一粒了 明天就没了"); vitamins can wait
    calm = can_wait(text) and _VITAL.search(text) is None and not (soon and drug is not None) \
        and "vital" not in grave  # "不急哈，就是宝宝奶粉今晚冲完这顿就没了": a baby's milk gone tonight
    unhurried = blanked(calm_rules(), text, " ")  # "不急" holds "急"
    pets = category is Category.HELP and next(matching(category_rules().of("pet"), text), None) is not None \
        and _PET_ALONE.search(text) is None
    urgent = emergency or category is Category.WELFARE or not calm and not pets and (  # "狗粮只剩一顿了": a pet's
        # food, not a person's; "我的菜不急 楼下阿姨好几天没声音了": someone to check on
        not grave.isdisjoint({"urgent", "vital"})
        or category is Category.MEDICINE and "out" in grave and runs_out is None
        or _URGENT.search(unhurried) is not None
        or _ALARM.search(unhurried) is not None and not _alarm_overruled(now, category, left)
        or soon
    )
    return Parsed(category=category, urgent=urgent, emergency=emergency, building=None, unknown_building=None,
                  room=None, drug=drug if category is Category.MEDICINE else None, runs_out=runs_out,
                  for_other=_FOR_OTHER.search(text) is not None, pet_waits=pets)


def _alarm_overruled(now: str, category: Category | None, left: tuple[str, bool] | None) -> bool:
    """Whether the writer's alarm words are outweighed by what they write (`now`: the text with the past set aside):
    a time left that is not soon, or neither a medicine nor a staple named (coffee, beer, cat litter, a phone
    charger); the staples are looked for only in a message that holds alarm words. A medicine named counts even where
    what is needed is what keeps it: the power gone with insulin in the fridge, an oxygen machine broken."""
    if left is not None and not left[1]:
        return True
    also = named(now)
    medicine = category is Category.MEDICINE or _names_medicine(now, also) and "vet" not in also
    return not medicine and not any(matching(need_rules().of("staple"), now))


# --- commands ------------------------------------------------------------------------------

# Twilio acts on these only when they are the whole message, so the hotline does the same.
_OPT_OUT = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "退订"}
_OPT_IN = {"start", "yes", "unstop"}

# Word -> phrases. Bare "yes" and "cancel" never get here (they are opt-in/out words above).
_PHRASES: dict[Word, tuple[str, ...]] = {
    Word.STATUS: ("status", "my requests", "my request", "状态", "查询"),
    Word.CANCEL: ("cancel", "取消"),
    Word.NOT_RECEIVED: (
        "not received",
        "not receive",
        "didn't receive",
        "did not receive",
        "never received",
        "not delivered",
        "没收到",
        "没有收到",
        "未收到",
    ),
    Word.ENGLISH: ("english", "英文", "英语"),
    Word.CHINESE: ("chinese", "中文", "汉语"),
    Word.HELP: ("help", "help me", "帮助"),  # a bare 救命 is an emergency (lexicon/needs.tsv)
    Word.ACCEPT: ("ok", "okay", "accept", "yes", "接", "接单", "好", "好的"),
    Word.DONE: ("done", "delivered", "完成", "已完成", "已送", "送到", "已送到", "已送达", "送达"),
    Word.DECLINE: ("no", "decline", "can't", "cannot", "不行", "拒绝", "不能"),
    Word.LIST: ("list", "列表"),
    Word.OFF: ("off", "off duty", "下班"),
    Word.ON: ("on", "on duty", "上班"),
    Word.LATE: ("late", "overdue", "超时", "逾期"),
}
_TAKES_NUMBER = {Word.STATUS, Word.CANCEL, Word.NOT_RECEIVED, Word.ACCEPT, Word.DONE, Word.DECLINE}
_WORD_OF = {phrase: word for word, phrases in _PHRASES.items() for phrase in phrases}

_COMMAND = re.compile(
    r"(?P<phrase>{phrases})"
    r" (?: (?:了|啦)? [\s.:,-]* (?: \# | no\. | number | 第 )? \s* (?P<number>\d{{1,9}}) (?:号|个)? )?".format(
        phrases="|".join(re.escape(p).replace(r"\ ", r"\s") for p in sorted(_WORD_OF, key=len, reverse=True))
    ),
    _FLAGS,
)
_EDGE_PUNCTUATION = " .,!?;:~'\"()[]<>…。！？，、；：「」【】-_*"
# Politeness and sentence particles around a command: "ok 457 thanks", "English please", "完成了".
_POLITE = re.compile(
    r"""
    ^ (?: (?:please|pls|plz)\b | 请 ) \s*
    | \s* (?: \b(?:thanks|thank\s+you|thx|ty|please|pls|plz) | 谢谢你?|谢了|多谢|麻烦了|了|啦|啊|呀 ) $
    """,
    _FLAGS,
)


# Joining a group buy: "JOIN", "join 2", "join x2", "参加", "参加2份", "我参加 3 盒".
_JOIN = re.compile(
    r"""
    (?: join | 我?参加 | 参团 | 报名 ) \s* (?: [x×*] \s* )?
    (?: (?P<quantity>\d{1,3}) \s* (?: 份|个|盒|箱|袋|斤|板|桶|boxes|box|packs|pack|pcs|bags|bag )? )?
    """,
    _FLAGS,
)


@lru_cache(maxsize=READ_AHEAD)
def parse_command(text: str) -> Command | None:
    """Return the command when the whole message is one, else None (then it may be a request)."""
    text = _normalise(text).strip(_EDGE_PUNCTUATION)
    if join := _JOIN.fullmatch(_POLITE.sub("", text).strip(_EDGE_PUNCTUATION)):
        return Command(Word.JOIN, int(join["quantity"]) if join["quantity"] else None)
    if text in _OPT_OUT:
        return Command(Word.OPT_OUT, None)
    if text in _OPT_IN:
        return Command(Word.OPT_IN, None)
    while (shorter := _POLITE.sub("", text, count=1).strip(_EDGE_PUNCTUATION)) != text:
        text = shorter
    match = _COMMAND.fullmatch(text)
    if match is None:
        return None
    word = _WORD_OF[" ".join(match["phrase"].split())]
    number = int(match["number"]) if match["number"] else None
    if number is not None and word not in _TAKES_NUMBER:
        return None
    return Command(word, number)


# --- the words in other words ----------------------------------------------------------------

# People rarely text a bare command word: "我的药什么时候到？", "取消买菜", "thanks, the rice came",
# "12栋302的菜已经放门口了". These read such a sentence as the word it means, when it asks for nothing new.
_NOTE_NUMBER = re.compile(r"(?:\#|no\.|number|第)\s*(\d{1,9})|(?<![0-9])(\d{1,9})\s*(?:号|个)(?![楼房室])", _FLAGS)
_NOT_RECEIVED_SAID = re.compile(
    r"""
    (?:还)?(?:没|没有|未)(?:收到|拿到|送到|送来) | 还没到
    | \b(?: didn'?t|did\s+not|never|haven'?t|have\s+not|hasn'?t|not ) \s+ (?: get|got|gotten|receive|received|arrived? )
    """,
    _FLAGS,
)
_CANCEL_SAID = re.compile(
    r"""
    ^ (?: 请|麻烦 )? (?: 帮我 )? 取消 | 不需要了 | 不用了 | 不要了
    | \bcancel\s+(?: my|the|request|order|it ) \b | \bno\s+longer\s+need | \bdon'?t\s+need\b .* \banymore
    """,
    _FLAGS,
)
_WHEN_SAID = re.compile(
    r"""
    什么时候|啥时候|多久(?:能|才|会)?到|到哪了?|怎么还没|还没来|进度
    | \bwhen\s+(?: will|is|does|do|can ) \b | \bwhere\s+is\s+my\b | \bany\s+(?: news|update ) \b
    | \bhow\s+long\b(?!\s+(?:it|they|this|that|these|those|(?:the|my|our|his|her)\s+\w+)  # not "how long it keeps"
                      \s+(?:keeps?|lasts?|stays?|will\s+(?:keep|last)|can\s+(?:keep|last)|is\s+good))
    """,
    _FLAGS,
)
_THANKS_SAID = re.compile(
    r"""
    谢谢|感谢|多谢|辛苦|收到了|已收到|拿到了|送到了|到了|唔该晒|收到(?:喇|啦|咗|嘞)|攞到(?:喇|啦|咗)  # Cantonese too
    | ขอบคุณ | 잘\s?받았 | お世[話话]に(?:なり|なって) | \bsudah\s+(?: sampai|diterima ) \b | \bsab\s+mil\s+gaya\b
    | \bvsyo\s+(?: poluchil\w*|prishlo ) \b
    | \bthanks?\b | \bthank\s+you | \bthx\b | \breceived\b | \bgot\s+(?: it|them|the|my ) \b | \barrived\b
    | \b(?: gracias|merci|danke|obrigad[oa]|grazie|agrade[cç]\w*|shukriya|teşekkür\w* ) \b
      (?!\s*,?\s*(?: ama|fakat|ancak|lekin|magar|pero|but ) \b)  # "Teşekkürler ama ekmek gelmedi": no thanks
    | спасибо | شكرا | ありがとう
    | 감사 | 고맙 | cảm\s+ơn | धन्यवाद | शुक्रिया
    """,
    _FLAGS,
)
# Asking for something (more): then the message is a need, whatever else it says.
_ASKING = re.compile(
    r"""
    需要|还要|要(?!回老家|回国|回家|回去|走了|不是|当心|注意|小心|保重)|缺|买
    | 想(?!死(?:你|你们|侬|他|她|他们|我们|咱们|大家)(?:了|啦|咯|嘞|喽|啊)|念|你们?了)  # not "想死你们了": missed
    | 急|没有了|没了|吃完|用完|断了|救(?!护车)|冇(?:晒)?(?:米|药|饭|嘢食|菜|奶粉|水)
    # "帮我配的药", "帮忙叫的车": done
    | 帮(?!(?:我|忙|阿拉)(?:把[^。！？!?，,\s]{1,6})?(?:买|配|带|送|拿|叫|扛|搬|修|打)
          (?:上[一二三四五六七八九十\d]+楼|[^。！？!?，,\s]{1,4}(?=(?:的|嘅|𠮶)(?:位|个)?(?:义工|志愿者|小伙子|师傅|人)))?
          (?:的|嘅|𠮶|咗|了|额))
    | \b(?: need|needs|(?: want|wants )(?!\s+to\s+(?:say|thank|let))|more|please\s+(?: bring|buy|send|get )|out\s+of
        |run(?:ning)?\s+out|urgent ) \b
    | (?<! the\s)(?<! your\s)(?<! all\s)\bhelp\b  # "thanks for the help" asks for none
    | 주세요 | 주실 | 주시 | 부탁 | 필요 | 있나요 | ください | お願い | できますか | いただけ(?:ます|ません)か | 欲しい
    | 只剩 | 就剩 | 快没 | 麻烦(?: 再|帮|你们帮|给 ) | 떨어졌 | 떨어져 | ありません | もうない | ないです | \bhết\b
    | \bcho\s+(?: tôi|hỏi|em|mình ) \b | \bgiúp\b | \bcần\b | \bmua\b
    | \bwala\s+na\b | \bubos\b | \bkailangan\b | \bpaki | \bpwede\s+po\b
    | \b(?: necesit(?:o|amos)(?!\s+nada) | (?:j'ai|on\s+a|nous\s+avons)\s+besoin\s+d(?:e|')(?!\s*rien)
          | brauchen?(?!\s+nichts) | ho\s+bisogno | preciso | precisamos ) \b  # "On n'a besoin de rien": none
    | нужн | потрібн
    | \b(?: getirebilir\w* | getirir\s+mi\w* | gönderebilir\w* | gönderir\s+mi\w* | lazım
          | bhej\s+(?: do|dijiye|dena|sakte ) | bhejiye | chahiye | dijiye ) \b  # asked beside teşekkür, shukriya
    """,
    _FLAGS,
)
_DELIVERED_SAID = re.compile(
    r"""
    送到|已送|送达|送过去了|放(?:在)?(?:门口|门外|楼下)|已放
    | \b(?: delivered|dropped\s+(?:it\s+|them\s+)?off|left\s+(?:it\s+|them\s+)?(?:at|outside) ) \b
    """,
    _FLAGS,
)


def _note_number(text: str) -> int | None:
    match = _NOTE_NUMBER.search(text)
    return int(match[1] or match[2]) if match else None


def parse_resident_sentence(text: str) -> Command | None:
    """Read a resident's sentence as STATUS, CANCEL, NOT_RECEIVED or THANKS when it is one of those
    said in other words, with the request number when written (`#3`, `3号`); None for anything else."""
    text = _normalise(text)
    if _EMERGENCY.search(set_aside_past(text)):  # not "多亏你们那天帮忙打了120": what is over
        return None
    text = without_needs_nothing(text)  # "别的暂时不需要了", "don't need anything else": no cancel, no asking
    if _NOT_RECEIVED_SAID.search(text):
        return Command(Word.NOT_RECEIVED, _note_number(text))
    if _CANCEL_SAID.search(text):
        return Command(Word.CANCEL, _note_number(text))
    if _WHEN_SAID.search(text):
        return Command(Word.STATUS, None)
    if _ASKING.search(set_aside_past(text).replace("不需要", "").replace("不要", "")):
        return None  # not "谢谢上礼拜帮我爸叫救护车": what is over asks for nothing
    if _THANKS_SAID.search(text) and "?" not in text:  # "¿Se puede recargar la luz? Gracias" asks (NFKC: "？" too)
        return Command(Word.THANKS, None)
    return None


# When a volunteer says they will come: "will go at 3pm", "3:30 pm", "好的 下午三点去", "明天上午10点半",
# "15:00". A time without its part of the day ("三点去") is kept as said; 一点 alone ("有一点远": a little) is none.
_CN_CLOCK = re.compile(
    r"""
    (?P<part> 上午|早上|早晨|中午|下午|傍晚|晚上 )? \s*
    (?P<hour> \d{1,2} | [一二两三四五六七八九十]{1,3} ) \s* 点 (?!钟?前)
    \s* (?: (?P<half> 半 ) | (?P<quarter> 一刻 ) | (?P<minute> \d{1,2} | [一二三四五六七八九十]{1,3} ) \s* 分? )?
    \s* (?P<said> 钟|左右|前后|以前|之前|去|到|来|过来|过去|送 )?
    """,
    _FLAGS,
)
_EN_CLOCK = re.compile(
    r"""
    (?<![0-9:.#]) (?P<hour> \d{1,2} ) (?: [:.] (?P<minute> \d{2} ) )? \s* (?P<part> a\.?m\.? | p\.?m\.? ) (?![a-z])
    | (?<![0-9:.#]) (?P<hour24> \d{1,2} ) : (?P<minute24> \d{2} ) (?![0-9])
    """,
    _FLAGS,
)
_TOMORROW = re.compile(r"明天|明早|明朝|明儿|\btomorrow\b|\btmr\b", _FLAGS)
_PART_OF_DAY = {"上午": "am", "早上": "am", "早晨": "am", "中午": "pm", "下午": "pm", "傍晚": "pm", "晚上": "pm"}


# Said from now: "20分钟后到", "半小时后", "一个半小时", "in 20 min", "in half an hour", "be there in an hour".
_CN_FROM_NOW = re.compile(
    r"""
    (?<! 点 ) (?<! 点\s ) (?<! [\d一二两三四五六七八九十] )    # 3点20分 is a time of day
    (?P<count> \d{1,3} | [一二两三四五六七八九十]{1,3} )? \s* (?: 个 )? (?P<half> 半 )? \s*
    (?P<unit> 分钟 | 分 (?=钟?\s*(?:后|以后|之后|内|左右|就|到|来)) | 小时 | 钟头 )
    """,
    _FLAGS,
)
_EN_FROM_NOW = re.compile(
    r"""
    \b in \s+ (?: (?P<half> half \s+ an? ) | (?P<count> \d{1,3} | an? | one | two | ten | fifteen | twenty | thirty ) )
    \s* (?P<unit> min(?:ute)?s? | hours? | hrs? | h ) \b (?: \s+ (?P<more> and \s+ a \s+ half ) )?
    """,
    _FLAGS,
)
_EN_COUNT = {"a": 1, "an": 1, "one": 1, "two": 2, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30}


def _from_now(text: str) -> int | None:
    """The minutes from now a volunteer says they will come in ("20分钟后到", "in half an hour"); None."""
    if match := _CN_FROM_NOW.search(text):
        if match["count"] is None and match["half"] is None:
            return None
        count = _count(match["count"]) if match["count"] else 0
        hour = match["unit"] in ("小时", "钟头")
        minutes = count * 60 + (30 if match["half"] else 0) if hour else count
        return minutes if 0 < minutes <= 12 * 60 else None
    if match := _EN_FROM_NOW.search(text):
        hour = match["unit"].startswith("h")
        if match["half"]:
            minutes = 30 if hour else 0
        else:
            count = int(match["count"]) if match["count"].isdigit() else _EN_COUNT[match["count"]]
            minutes = count * 60 + (30 if match["more"] else 0) if hour else count
        return minutes if 0 < minutes <= 12 * 60 else None
    return None


def visit_time(text: str) -> Visit | None:
    """Read the time a volunteer says they will come ("will go at 3pm", "好的 下午三点去", "20分钟后到":
    minutes from now, for `Visit.at`); None when they name no time."""
    text = _normalise(text)
    if (minutes := _from_now(text)) is not None:
        return Visit(0, 0, None, in_minutes=minutes)
    tomorrow = _TOMORROW.search(text) is not None
    for match in _CN_CLOCK.finditer(text):
        if not (match["hour"].isdigit() or match["part"] or match["said"] or match["half"] or match["minute"]):
            continue  # 一点 is also "a little"
        minute = 30 if match["half"] else 15 if match["quarter"] else _count(match["minute"])
        return _visit(_count(match["hour"]), minute, _PART_OF_DAY.get(match["part"] or ""), tomorrow)
    if match := _EN_CLOCK.search(text):
        if match["hour24"]:
            return _visit(int(match["hour24"]), int(match["minute24"]), None, tomorrow)
        return _visit(int(match["hour"]), int(match["minute"] or 0), match["part"][0] + "m", tomorrow)
    return None


def _count(numeral: str | None) -> int:
    """Read a small number in digits or Chinese numerals (`3`, `三`, `十二`); 0 for none."""
    if not numeral:
        return 0
    return int(numeral) if numeral.isdigit() else int(chinese_digits(numeral) or 0)


def _visit(hour: int, minute: int, part: str | None, tomorrow: bool) -> Visit | None:
    """A time of day as people say it (`15:00` is 3 pm), or None when it is no time of day."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if hour > 12:
        hour, part = hour - 12, "pm"
    elif hour == 0:
        hour, part = 12, "am"
    return Visit(hour, minute, part, tomorrow)


def parse_volunteer_note(text: str) -> Command | None:
    """Read a volunteer's "the rice is at the door of 12-302" or "#2 药已送到" as DONE (with the request
    number when written as one: `#2`, `2号`); None when it says no delivery ("还没送到")."""
    text = _normalise(text)
    delivered = _DELIVERED_SAID.search(text)
    if not delivered or _NOT_RECEIVED_SAID.search(text) or _EMERGENCY.search(text):
        return None
    if asked_in_clause(text, delivered):
        return None  # "请问127要送到几楼？": asked, not said
    return Command(Word.DONE, _note_number(text))
