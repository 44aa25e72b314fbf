"""What a message is most like among the labelled messages: a second reader beside the rules.

Pure: no database, no web. The rules (`reading`, `parsing`) are written one wording at a time, each from
the message that asked for it, and they miss wordings nobody wrote a rule for. This reader learns from all
the labelled messages at once (tests/data/messages and the exams read for rules, tests/data/exams/dev_*):
a logistic regression over the message's characters, one to four at a time, trained by
`tools/train_kinds.py` (`make model`, scikit-learn) and kept in `lexicon/kinds.tsv.gz`. Here it is only
applied: the weights of the character groups a text holds are added up for each kind and turned into
likelihoods, in plain Python.

The rules decide what is done; this reader is asked three things. Whether a message the rules read as nothing
grave is, by the likelihoods, likely an emergency, crisis or a welfare check (`decide._grave`): it then goes
before a person rather than to nobody, or, where it is sure, is filed as that (`decide._learned`). Whether a
message the rules would take for a need is more likely a question, a rumour or thanks (`decide._likelier`). And,
taught on the needs alone (`lexicon/urgency.tsv.gz`), whether a need the rules read as one that can wait is
surely one that cannot (`decide._urgent`).
"""

from __future__ import annotations

import gzip
import math
from array import array
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType

MODEL = Path(__file__).resolve().parent / "lexicon" / "kinds.tsv.gz"
URGENCY = MODEL.with_name("urgency.tsv.gz")  # the same reader, taught only whether a need can wait
LONGEST = 4  # characters in the longest group read
SCALE = 1000  # the weights are kept as integers of this many parts of one
GRAVE = ("emergency", "crisis", "welfare")  # what a dispatcher puts before a person at once
# How likely grave a message must read to go before a person when the rules find nothing grave in it. Chosen on
# the labelled lines read out of fold (five folds by file, each read by a model trained on the other four; with the
# first model, which also learnt 26 lines that give no kind as needs): at 0.5, 37 more of their 2,308 grave lines
# went before a person and 118 more of their 5,170 ordinary ones; at 0.7, 26 and 27; at 0.85, 14 and none. A grave
# line missed weighs more than an ordinary one read by a person.
LIKELY_GRAVE = 0.7
# How likely grave a volunteer's word about a job must read to go before a person with the job word recorded, where it
# is written in a language the rules read no grave words in (`decide._likely_grave_at_a_door`): the reader learnt
# almost no such messages, so it reads them less surely. Of the 84 labelled volunteer messages in such languages, at
# 0.5 it put 10 of the 28 grave ones the rules then missed before a person, and 2 of the 44 ordinary ones ("todo
# bien", "já tá boa" after a fright); at 0.4 the same 10 and 4; at 0.6, 7 and 1. Rows were then written for those
# wordings, and a reviewer wrote 240 more volunteer messages (ordinary news after a job word, and grave): of those the
# rules leave to this reader, with a past or well-ended fright set aside (`decide._over`), at 0.5 it put 3 grave and 3
# ordinary ones before a person ("la abuela estaba dormida, se lo dejé a la vecina", 0.58), at 0.6 3 and 1. A
# coordinator reading a delivery note costs little; a fall or a farewell closed as a delivery does not.
AT_A_DOOR = 0.6
# The least a message must say for this reader to be asked: letters or characters besides an address, a greeting,
# thanks, digits and punctuation (`message.FILLER`). With fewer its dots weigh most ("好吧..." read as crisis), and
# of the 10,110 labelled lines none that is grave and says fewer than twelve is missed by the rules.
SHORTEST = 6
# How sure thanks must read to be taken for thanks where the rules read a need ("米收到了 谢谢"): out of fold, at
# 0.95 three more of the training lines' 535 thanks were answered as thanks, at 0.8 eight, and no need either way.
SURE = 0.8
# How likely a welfare check (FILED_WELFARE) or an emergency (FILED_EMERGENCY) must read, and how unlikely crisis, for a
# message the rules read no surer than grave to be filed as one (`decide._learned`, `filed_grave`): its volunteer
# knocks, where a coordinator alone would read it. Chosen on the read sets, which it never learned from (46 files,
# 3,674 lines). With both bars lowered from SURE to 0.6, 34 more of their lines were filed as a dispatcher files them
# and none fewer, and 7 went elsewhere than a coordinator (six needs and a Polish farewell filed as emergencies); but
# an emergency filed wrongly sends its writer to 120 and a volunteer at a run ("Telefon mamy nie reaguje, chyba się
# rozładował", a dead phone, reads an emergency 0.71), so an emergency asks more: at 0.72, 17 more of the read sets'
# lines and 3 moved; at 0.75, 13 and 1; at SURE, 4 and none. Crisis at CRISIS_DOUBT or more is left to a coordinator,
# who has the crisis line's words (a crisis said obliquely in grave_8 was filed as an emergency without that bar).
# On the held-out exams: 13 more of 4,520, none fewer.
FILED_WELFARE = 0.6
FILED_EMERGENCY = 0.72
CRISIS_DOUBT = 0.2
# The labels of the needs the urgency reader learns from (`tools/train_kinds.py`): the dispatcher's `urgent`.
URGENT, CAN_WAIT = "urgent", "can_wait"
# How sure it must be that a need the rules read as one that can wait cannot (`decide._urgent`). Of those needs, on the
# held-out exams, at 0.8 it made 26 urgent that a dispatcher calls urgent and 2 that it does not, at 0.9 15 and none;
# on the read sets at 0.8 one of each (masks gone before tomorrow's test read urgent, 0.81), at 0.85 one and none.
SURELY_URGENT = 0.85
# The labels the reader learns: a dispatcher's kind, those that only say what a word about a request or a job is
# taken together (a volunteer's accept, done, decline…; a resident's cancel, status, follow-up…).
LEARNED = {
    "need": "need", "emergency": "emergency", "crisis": "crisis", "welfare": "welfare", "question": "question",
    "help_text": "question", "rumour": "rumour", "spam": "spam", "thanks": "thanks",
    "follow_up": "about_a_request", "status": "about_a_request", "cancel": "about_a_request",
    "not_received": "about_a_request", "repeat": "about_a_request",
    "accept": "volunteer_word", "done": "volunteer_word", "decline": "volunteer_word", "list": "volunteer_word",
    "off": "volunteer_word", "on": "volunteer_word",
}


def groups(simplified: str) -> Counter[str]:
    """The groups of one to LONGEST characters of a text (as `reading.simplify` gives it), spaces around it
    included, each with the times it occurs."""
    text = f" {simplified} "
    counts = Counter(text[i:i + n] for n in range(1, LONGEST + 1) for i in range(len(text) - n + 1))
    counts.pop(" ", None)
    return counts


def _weight(times: int) -> float:
    """What a group found `times` times counts for, before the text is scaled to length one."""
    return 1 + math.log(times)


def _length(counts: Counter[str]) -> float:
    return math.sqrt(sum(_weight(times) ** 2 for times in counts.values())) or 1.0


def features(simplified: str) -> dict[str, float]:
    """A text as the reader sees it: each group of characters counted as `_weight(times)`, the whole scaled to
    length one, so that a long message weighs no more than a short one."""
    counts = groups(simplified)
    length = _length(counts)
    return {group: _weight(times) / length for group, times in counts.items()}


@dataclass(frozen=True)
class Model:
    """The learned weights: for each kind its intercept, for each character group its weight for each kind (as
    integers of 1/SCALE)."""

    kinds: tuple[str, ...]
    intercepts: tuple[float, ...]
    weights: dict[str, array]
    trained_on: str  # the digest of the labelled lines it learned from (`tools/train_kinds.py`)

    def likelihoods(self, simplified: str) -> dict[str, float]:
        """How likely each kind is for this text (they add up to one): the weights of its `features` added up
        for each kind, column by column, and scaled once by the text's length."""
        counts = groups(simplified)
        rows = []
        for group, times in counts.items():
            row = self.weights.get(group)
            if row is not None:
                rows.append(row if times == 1 else [w * _weight(times) for w in row])
        scale = SCALE * _length(counts)
        columns = zip(*rows, strict=True) if rows else ((),) * len(self.kinds)
        scores = [b + sum(column) / scale for b, column in zip(self.intercepts, columns, strict=True)]
        top = max(scores)
        exp = [math.exp(score - top) for score in scores]
        total = sum(exp)
        return {kind: e / total for kind, e in zip(self.kinds, exp, strict=True)}


def load(path: Path = MODEL) -> Model:
    """Read a model file: comments (`# trained_on <digest>` among them), then `kinds`, then `intercepts`, each
    tab-separated, then one line per character group: the group (escaped as `\\t`, `\\n` and `\\\\`) and its
    integer weights."""
    trained_on, kinds, intercepts, weights = "", (), (), {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if not kinds and line.startswith("#"):  # the comments come first: a group may start with "#"
                if line.startswith("# trained_on "):
                    trained_on = line.split()[-1]
            elif not kinds:
                kinds = tuple(line.split("\t")[1:])
            elif not intercepts:
                intercepts = tuple(int(v) / SCALE for v in line.split("\t")[1:])
            else:
                group, *row = line.split("\t")
                if len(row) != len(kinds):
                    raise ValueError(f"{path}: {len(row)} weights for {len(kinds)} kinds: {line[:40]!r}")
                weights[unescape(group)] = array("i", map(int, row))
    return Model(kinds, intercepts, weights, trained_on)


def escape(group: str) -> str:
    return group.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def unescape(group: str) -> str:
    out, chars = [], iter(group)
    for c in chars:
        if c == "\\":
            c = {"t": "\t", "n": "\n"}.get(nxt := next(chars, ""), nxt)
        out.append(c)
    return "".join(out)


@cache
def model() -> Model:
    return load()


@lru_cache(maxsize=512)
def likelihoods(simplified: str) -> Mapping[str, float]:
    """The model's likelihoods of a text, kept for the next questions about it (read-only: they are shared)."""
    return MappingProxyType(model().likelihoods(simplified))


def _grave(simplified: str) -> dict[str, float]:
    """The likelihoods of the grave kinds (GRAVE) alone."""
    found = likelihoods(simplified)
    return {kind: found.get(kind, 0.0) for kind in GRAVE}


@cache
def urgency_model() -> Model:
    return load(URGENCY)


@lru_cache(maxsize=512)
def surely_urgent(simplified: str) -> bool:
    """A need that cannot wait, more than SURELY_URGENT of the time, by the labelled needs (`URGENCY`)."""
    return urgency_model().likelihoods(simplified)[URGENT] > SURELY_URGENT


def filed_grave(simplified: str) -> str | None:
    """An emergency or a welfare check ("emergency", "welfare"), likelier than every other kind and than its bar
    (FILED_EMERGENCY, FILED_WELFARE), and crisis less likely than CRISIS_DOUBT; None otherwise."""
    found = likelihoods(simplified)
    kind = max(found, key=found.get)
    bar = {"emergency": FILED_EMERGENCY, "welfare": FILED_WELFARE}.get(kind)
    return kind if bar is not None and found[kind] > bar and found.get("crisis", 0.0) < CRISIS_DOUBT else None


def likely_grave(simplified: str, least: float = LIKELY_GRAVE) -> bool:
    """An emergency, crisis or a welfare check, more than seven times in ten (LIKELY_GRAVE), or than `least`."""
    return sum(_grave(simplified).values()) > least


def gravest(simplified: str) -> str | None:
    """The grave kind (GRAVE) the model reads likelier than the other two together, if one is: what to say to
    a message it finds likely grave (the crisis line's words to someone who may end their life)."""
    grave = _grave(simplified)
    kind = max(grave, key=grave.get)
    return kind if grave[kind] > sum(grave.values()) - grave[kind] else None


def likeliest(simplified: str, least: float = 0.5) -> str | None:
    """The kind more likely than all the others taken together (or than `least`), if one is."""
    found = likelihoods(simplified)
    kind = max(found, key=found.get)
    return kind if found[kind] > least else None
