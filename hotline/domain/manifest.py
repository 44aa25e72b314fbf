"""What each building asked for, added up for group buying: items read from the details in both languages.

`count_items("大米一袋，鸡蛋十个")` gives `{"rice": 1, "eggs": 10}`; `"2 bags of rice, 30 eggs"` gives
`{"rice": 2, "eggs": 30}`. A number written next to an item (before it, or right after it) is its
quantity, otherwise the item counts once. Addresses (`12号楼302室`, `Bldg 12 Rm 302`, `12-302`) are
removed first, so a room number is never read as a quantity.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.domain.numerals import CHINESE_DIGIT, chinese_digits
from hotline.domain.parsing import whole_number
from hotline.models import OPEN_STATUSES, Category, Household, Request, Status


@dataclass(frozen=True)
class Item:
    """Something people ask for, with its names in Chinese and English and the words that mean it."""

    key: str
    zh: str
    en: str
    words: tuple[str, ...]  # regular expressions, matched case-insensitively
    medicine: bool = False

    def label(self, lang: str) -> str:
        """Name the item in `zh` or `en`."""
        return self.en if lang == "en" else self.zh


ITEMS: tuple[Item, ...] = (
    Item("rice", "大米", "rice", (r"大米", r"(?<![玉小厘毫千])米(?!饭|线|粉)", r"\brice\b")),
    Item("eggs", "鸡蛋", "eggs", (r"鸡蛋", r"(?<![松])蛋(?!糕|白质)", r"\beggs?\b")),
    Item("formula", "奶粉", "baby formula", (r"奶粉", r"\b(?:baby\s+)?formula\b")),
    Item("milk", "牛奶", "milk", (r"牛奶", r"(?<!酸)奶", r"\bmilk\b")),
    Item("yogurt", "酸奶", "yogurt", (r"酸奶", r"\byog(?:h)?urts?\b")),
    Item("noodles", "面条/方便面", "noodles", (r"方便面", r"泡面", r"挂面", r"面条", r"\b(?:instant\s+)?noodles?\b",
                                               r"\bramen\b")),
    Item("flour", "面粉", "flour", (r"面粉", r"\bflour\b")),
    Item("bread", "面包", "bread", (r"面包", r"\bbread\b")),
    Item("vegetables", "蔬菜", "vegetables",
         (r"蔬菜", r"青菜", r"(?<![饭点])菜(?!单|刀)", r"\bvegetables?\b", r"\bveg(?:gie)?s?\b", r"\bgreens\b")),
    Item("fruit", "水果", "fruit", (r"水果", r"\bfruits?\b")),
    Item("meat", "肉", "meat", (r"猪肉", r"牛肉", r"鸡肉", r"(?<![肌])肉", r"\bmeat\b", r"\bpork\b", r"\bbeef\b",
                               r"\bchicken\b")),
    Item("oil", "食用油", "cooking oil",
         (r"食用油", r"花生油", r"菜籽油", r"(?<![酱香麻加汽柴])油", r"\b(?:cooking\s+)?oil\b")),
    Item("water", "饮用水", "drinking water",
         (r"矿泉水", r"饮用水", r"桶装水", r"瓶装水", r"\b(?:bottled\s+)?water\b")),
    Item("tofu", "豆腐", "tofu", (r"豆腐", r"\btofu\b")),
    Item("salt", "盐", "salt", (r"盐", r"\bsalt\b")),
    Item("diapers", "尿不湿", "diapers", (r"尿不湿", r"尿布", r"纸尿裤", r"\bdiapers?\b", r"\bnapp(?:y|ies)\b")),
    Item("bp_medicine", "降压药", "blood-pressure medicine",
         (r"降压药", r"降血压", r"\bblood[-\s]?pressure\s+(?:medicine|medication|pills?|tablets?)\b",
          r"\bamlodipine\b", r"氨氯地平", r"\bnifedipine\b", r"硝苯地平"), medicine=True),
    Item("insulin", "胰岛素", "insulin", (r"胰岛素", r"\binsulin\b"), medicine=True),
    Item("metformin", "二甲双胍", "metformin", (r"二甲双胍", r"\bmetformin\b"), medicine=True),
    Item("aspirin", "阿司匹林", "aspirin", (r"阿司匹林", r"\baspirin\b"), medicine=True),
    Item("paracetamol", "退烧药", "fever medicine",
         (r"退烧药", r"布洛芬", r"对乙酰氨基酚", r"扑热息痛", r"泰诺", r"\bparacetamol\b", r"\bacetaminophen\b",
          r"\bibuprofen\b", r"\btylenol\b", r"\bfever\s+(?:medicine|pills?)\b"), medicine=True),
    Item("heart_medicine", "心脏药", "heart medicine",
         (r"速效救心丸", r"硝酸甘油", r"救心丸", r"\bnitroglycerin\b", r"\bheart\s+(?:medicine|pills?)\b"),
         medicine=True),
    Item("cold_medicine", "感冒药", "cold medicine", (r"感冒药", r"\bcold\s+(?:medicine|pills?)\b"), medicine=True),
)
BY_KEY = {item.key: item for item in ITEMS}

_UNITS = (
    r"(?:个|只|颗|枚|袋|包|盒|瓶|罐|桶|箱|板|把|斤|公斤|千克|条|块|份|支|片|粒|听|提|打"
    r"|kg|kgs|kilos?|g|l|bags?|boxes|box|bottles?|packs?|packets?|cartons?|cans?|tins?|trays?|dozens?|loaf|loaves"
    r"|pieces?|pcs|of)"
)
_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "a dozen": 12, "half a dozen": 6,
}
_NUMBER = re.compile(
    r"\d+|[零〇一二两三四五六七八九十百]+|\b(?:" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"(?:\d+|[零一二两三四五六七八九十百]+)\s*(?:号楼|栋|幢|号|楼)\s*(?:\d+\s*(?:单元|室|房|号)?)?"
    r"|\d+\s*(?:单元|室|房)"
    r"|\b(?:bldg|building|blk|block|room|rm|apt|flat|unit|no)\.?\s*#?\s*\d+|\b\d+\s*[-/]\s*\d+\b",
    re.IGNORECASE,
)
_WORDS = [(item, re.compile("|".join(f"(?:{w})" for w in item.words), re.IGNORECASE)) for item in ITEMS]
MAX_QUANTITY = 999


def _chinese_number(text: str) -> int | None:
    """Read 十二, 三十, 两, 一百零五; a run of digits is a guess at a count (三四个: 3 or 4) and reads as the larger."""
    if len(text) > 1 and all(ch in CHINESE_DIGIT for ch in text):
        return max(int(CHINESE_DIGIT[ch]) for ch in text)
    digits = chinese_digits(text)
    return int(digits) if digits else None


def read_number(text: str) -> int | None:
    """Read a quantity written in digits, Chinese numerals or English words."""
    text = text.strip().lower()
    if (number := whole_number(text)) is not None:
        return number
    if text in _EN_NUMBERS:
        return _EN_NUMBERS[text]
    return _chinese_number(text)


@dataclass
class _Number:
    start: int
    end: int
    value: int
    used: bool = False


def _clean(text: str) -> str:
    """Normalise full-width characters and blank out addresses (same length, so spans stay valid)."""
    text = unicodedata.normalize("NFKC", text or "")
    return _ADDRESS.sub(lambda m: " " * len(m.group(0)), text)


def count_items(text: str, drug: str | None = None) -> Counter[str]:
    """Count the items asked for in `text` (and the named drug), with their quantities."""
    text = _clean(text)
    if drug and _clean(drug) not in text:
        text = f"{text} ; {_clean(drug)}"
    numbers = [_Number(m.start(), m.end(), v) for m in _NUMBER.finditer(text) if (v := read_number(m.group(0)))]
    found: list[tuple[int, int, Item]] = []
    taken: list[tuple[int, int]] = []
    for item, pattern in _WORDS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue  # part of a longer name already counted (鸡蛋 before 蛋)
            taken.append((m.start(), m.end()))
            found.append((m.start(), m.end(), item))
    counts: Counter[str] = Counter()
    for start, end, item in sorted(found, key=lambda f: f[0]):
        quantity = _quantity_before(text, start, numbers) or _quantity_after(text, end, numbers) or 1
        counts[item.key] += min(quantity, MAX_QUANTITY)
    return counts


_GAP_BEFORE = re.compile(r"^\s*(?:x|×|\*)?\s*" + _UNITS + r"?\s*(?:of\s+)?(?:the\s+)?$", re.IGNORECASE)
_GAP_AFTER = re.compile(r"^\s*[:：]?\s*(?:x|×|\*)?\s*$", re.IGNORECASE)


def _quantity_before(text: str, start: int, numbers: list[_Number]) -> int | None:
    for n in reversed(numbers):
        if n.end <= start and not n.used and _GAP_BEFORE.match(text[n.end:start]):
            n.used = True
            return n.value * _dozens(text[n.end:start])
        if n.end <= start:
            return None
    return None


def _quantity_after(text: str, end: int, numbers: list[_Number]) -> int | None:
    for n in numbers:
        if n.start >= end:
            if not n.used and _GAP_AFTER.match(text[end:n.start]):
                n.used = True
                return n.value * _dozens(text[n.end:n.end + 8])
            return None
    return None


def _dozens(unit_text: str) -> int:
    return 12 if re.match(r"\s*(?:打|dozens?)\b", unit_text, re.IGNORECASE) else 1


@dataclass(frozen=True)
class Line:
    """One request on a building's printout: its room, and what it asks for with how many of each."""

    request: Request
    items: tuple[tuple[Item | str, int], ...]  # an item of ITEMS, or a name read as written (a drug, an offer)


def room_order(room: str) -> tuple:
    """Sort rooms as people count them: `2` before `10`, `302` before `1201`, `B1` after `A9`."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", room))


@dataclass
class BuildingManifest:
    """What one building asked for: item totals, and the requests they came from."""

    building: int
    totals: Counter[str] = field(default_factory=Counter)
    requests: list[Request] = field(default_factory=list)
    unread: list[Request] = field(default_factory=list)  # asked for something no item names
    other_drugs: Counter[str] = field(default_factory=Counter)  # drugs named but not in ITEMS
    offers: Counter[str] = field(default_factory=Counter)  # group-buy joins: the offer's item -> quantity
    counted: dict[int, Counter[str]] = field(default_factory=dict)  # request number -> the items read in it

    def asking_for(self, key: str) -> list[int]:
        """Return the numbers of the requests (not group-buy joins) that ask for item `key`."""
        return [number for number, counted in self.counted.items() if counted[key]]

    def joined(self, item: str) -> list[int]:
        """Return the numbers of the group-buy joins of the offer of `item`."""
        return [r.number for r in self.requests if r.offer is not None and r.offer.item == item]

    def lines(self) -> list[Line]:
        """Return one line per request, by room, then by number."""
        lines = []
        for r in sorted(self.requests, key=lambda r: (room_order(r.household.room), r.number)):
            if r.offer is not None:
                items: tuple[tuple[Item | str, int], ...] = ((r.offer.item, r.quantity or 1),)
            else:
                counted = self.counted.get(r.number, Counter())
                items = tuple((item, counted[item.key]) for item in ITEMS if counted[item.key])
                if r.drug and not any(item.medicine for item, _n in items):
                    items += ((r.drug.strip()[:60], 1),)
            lines.append(Line(r, items))
        return lines

    def items(self) -> list[tuple[Item, int]]:
        """Return the items with their totals, food first, then medicine, each in the order of ITEMS."""
        return [(item, self.totals[item.key]) for item in ITEMS if self.totals[item.key]]


def build(
    session: Session, statuses: tuple[Status, ...] = OPEN_STATUSES, buildings: set[int] | None = None
) -> list[BuildingManifest]:
    """Add up the food and medicine requests in `statuses`, per building."""
    query = (
        select(Request)
        .join(Household)
        .options(selectinload(Request.household), selectinload(Request.offer), selectinload(Request.resident))
        .where(
            Request.status.in_(statuses),
            Request.category.in_((Category.FOOD, Category.MEDICINE)),
            Request.purged_at.is_(None),
        )
        .order_by(Household.building, Request.id)
    )
    if buildings:
        query = query.where(Household.building.in_(sorted(buildings)))
    manifests: dict[int, BuildingManifest] = {}
    for r in session.scalars(query):
        m = manifests.setdefault(r.household.building, BuildingManifest(r.household.building))
        m.requests.append(r)
        if r.offer is not None:  # a join: the offer says what, the join says how many
            m.offers[r.offer.item] += r.quantity or 1
            continue
        counted = m.counted[r.number] = count_items(r.details, r.drug)
        m.totals.update(counted)
        if r.drug and not any(BY_KEY[key].medicine for key in counted):
            m.other_drugs[r.drug.strip()[:60]] += 1
        elif not counted:
            m.unread.append(r)
    return list(manifests.values())


def offer_totals(manifests: list[BuildingManifest]) -> Counter[str]:
    """Add up every building's group-buy joins by offered item."""
    total: Counter[str] = Counter()
    for m in manifests:
        total.update(m.offers)
    return total


def grand_total(manifests: list[BuildingManifest]) -> list[tuple[Item, int]]:
    """Add up every building's totals."""
    total: Counter[str] = Counter()
    for m in manifests:
        total.update(m.totals)
    return [(item, total[item.key]) for item in ITEMS if total[item.key]]
