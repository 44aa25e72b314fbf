"""Every rule of the lexicon, its own example decided in full as the rule means it.

tests/unit/test_reading.py checks that each rule's pattern finds the message that motivated it. That is not
enough: a rule can match its example and change nothing, because another reading decides the message first
(a carrying word found in "刚搬来", a fridge named where nothing in it broke, a question by its form around a
cancel). Here each example is read and decided as a first message from its sender (`fast.run`: Mrs Gu at
12-302; the one who asked #41 for resident words and follow-ups; the volunteer 李明 for volunteers' words),
and the decision must be what the rule's kind says: a food rule's example is a need for food, an emergency
rule's goes before a person, a cancel's cancels. An example of several messages written one after another
("…; …") is decided message by message.

Kinds that are parts of a reading and mean nothing alone (the signs' words, the crisis cues, which make crisis
words only two together, addresses, definitions, asking words) are checked where they are read, in
tests/unit/test_reading.py; they have no entry in `MEANS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hotline.domain import reading
from tests.understanding import fast
from tests.understanding.harness import SAME, Line, Outcome

LEXICON = Path(reading.__file__).parent / "lexicon"
BEFORE_A_PERSON = ("emergency", "crisis", "welfare", "grave")
NEED = ("need", "repeat")


def _kind(*kinds: str) -> Callable[[Outcome], bool]:
    return lambda out: out.kind in kinds or any((out.kind, kind) in SAME for kind in kinds)


def _category(category: str) -> Callable[[Outcome], bool]:
    """A need of that kind. A need for help may also be filed as an emergency or go before a person (the second
    reader's say, `decide._learned`): the rule's word is the category, and theirs is help."""
    kinds = (*NEED, *BEFORE_A_PERSON) if category == "help" else NEED
    return lambda out: out.kind in kinds and out.category == category


def _urgent(out: Outcome) -> bool:
    return out.kind in NEED and out.urgent or out.kind in BEFORE_A_PERSON


# What a rule's example is decided as, by the rule's file and kind.
MEANS: dict[tuple[str, str], Callable[[Outcome], bool]] = {
    **{("categories.tsv", kind): _category("food") for kind in ("food", "food_out")},
    **{("categories.tsv", kind): _category("help") for kind in ("help", "supplies", "device", "carry")},
    ("categories.tsv", "medicine"): _category("medicine"),
    ("drugs.tsv", "drug"): _category("medicine"),
    ("categories.tsv", "welfare"): _kind("welfare"),
    **{("categories.tsv", kind): _kind("thanks") for kind in ("thanks", "received", "small_talk")},
    ("grave.tsv", "crisis"): _kind("crisis"),
    **{("grave.tsv", kind): _kind(*BEFORE_A_PERSON) for kind in ("grave", "earnest", "remains")},
    ("needs.tsv", "emergency"): _kind(*BEFORE_A_PERSON),
    **{("needs.tsv", kind): _urgent for kind in ("urgent", "out", "vital", "staple")},
    # A story told, a past or feared event: never filed as an emergency. In a language the rules do not read
    # otherwise, it still goes before a coordinator (`decide._unread`), as any message with no need they can read.
    **{("needs.tsv", kind): lambda out: out.kind != "emergency" for kind in ("not_emergency", "all_well")},
    **{("intents.tsv", kind): _kind("question", "crisis")
       for kind in ("question", "advice", "offer", "own_case", "service", "what_if", "still_fine", "asks_nothing")},
    **{("intents.tsv", kind): _kind("rumour", "question") for kind in ("rumour", "hearsay", "true_asked")},
    **{("intents.tsv", kind): _kind("spam") for kind in ("spam", "advert")},
    ("intents.tsv", "crisis"): _kind("crisis"),
    ("intents.tsv", "help_text"): _kind("help_text"),
    ("intents.tsv", "follow_up"): _kind("follow_up"),
    ("intents.tsv", "needs_nothing"): lambda out: not out.request,
    ("resident_words.tsv", "cancel"): _kind("cancel"),
    ("resident_words.tsv", "status"): _kind("status"),
    ("resident_words.tsv", "not_received"): _kind("not_received", "follow_up", "status"),
    ("resident_words.tsv", "change"): _kind(*NEED),
    **{("volunteer_words.tsv", kind): _kind(kind) for kind in ("accept", "decline", "done", "off", "on", "list")},
}
SENDERS = {"resident_words.tsv": "asker", "volunteer_words.tsv": "volunteer", ("intents.tsv", "follow_up"): "asker"}


def _examples() -> Iterator[pytest.param]:
    for name, kind in sorted(MEANS):
        path = LEXICON / name
        for number, fields in reading._rows(path):
            if fields[0] != kind:
                continue
            sender = SENDERS.get((name, kind)) or SENDERS.get(name, "resident")
            for text in fields[2].split("; "):
                yield pytest.param(name, number, kind, text, sender, id=f"{name}:{number}:{kind}:{text[:16]}")


@pytest.mark.parametrize(("name", "number", "kind", "text", "sender"), list(_examples()))
def test_every_rule_example_is_decided_as_its_rule_means(name, number, kind, text, sender):
    outcome = fast.run(Line(name, number, text, sender, {}))
    assert MEANS[name, kind](outcome), f"{name}:{number} ({kind}) {text!r} was decided {outcome}"
