"""The words a rule cannot match without: a rule is skipped only where it could not have matched."""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain import address, literals, reading

DATA = Path(__file__).resolve().parents[1] / "data"
RULES = (reading.intent_rules() + reading.drug_rules() + reading.need_rules() + reading.category_rules()
         + reading.grave_rules() + reading.sign_rules() + reading.resident_rules() + reading.household_rules()
         + reading.volunteer_rules() + reading.door_rules() + reading.time_left_rules()
         + address.not_address_rules())


# `make test-rules`: every labelled line and example in each form it may take; `make test`: one labelled line in 32
# and the examples, as the rules read them.
EVERY_FORM = os.environ.get("HOTLINE_RULES_CHECK", "").strip().lower() == "full"


def examples() -> list[str]:
    """The rules' own examples and counter-examples."""
    return [rule.example for rule in RULES] + [rule.counter for rule in RULES if rule.counter]


def labelled() -> list[str]:
    """Every line of the labelled corpus and the exams (`make test`: one in 32, by a checksum of the text, so that a
    line is in or out whatever other lines are added)."""
    texts = []
    for path in sorted(DATA.glob("*/*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts if EVERY_FORM else [text for text in texts if zlib.crc32(text.encode()) % 32 == 0]


def corpus() -> list[str]:
    """Every line of the labelled corpus and the exams, and the rules' own examples and counter-examples."""
    return examples() + labelled()


def forms(text: str) -> tuple[str, ...]:
    """A text as written, as the rules read it (`simplify`), and in capitals (the case the rules' words are folded
    from)."""
    return text, reading.simplify(text), text.upper()


def tried(rule: reading.Rule, text: str) -> bool:
    return not rule.needs.isdisjoint(literals.held(text))


SHARDS = 4  # the rules in four parts, each its own test: the test processes share the work


@functools.cache
def searched() -> dict[str, frozenset[str]]:
    """The texts the rules are searched in, each with the words it holds: the rules' examples and one labelled line in
    32, as the rules read them (`make test-rules`: every line and example in each form: as written, as read, in
    capitals)."""
    texts = {form for text in examples() + labelled()
             for form in (forms(text) if EVERY_FORM else (reading.simplify(text),))}
    return {text: literals.held(text) for text in texts}


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_rule_the_corpus_matches_is_tried_on_it(shard):
    """Every rule searched in every text it would not be tried on (a rule tried on a text needs no search: it is not
    skipped there), a part of the rules at a time."""
    texts = searched()
    missed = [(rule.kind, rule.pattern.pattern[:60], text) for rule in RULES[shard::SHARDS]
              for text, held in texts.items() if rule.needs.isdisjoint(held) and rule.pattern.search(text)]
    assert not missed


FILES = (reading.intent_rules(), reading.drug_rules(), reading.need_rules(), reading.category_rules(),
         reading.grave_rules(), reading.sign_rules(), reading.resident_rules(), reading.household_rules(),
         reading.volunteer_rules(), reading.door_rules(), reading.time_left_rules(), address.not_address_rules())


def test_the_rules_filed_under_a_texts_words_are_those_it_may_match_in_order():
    """With the test above: `matching` finds every rule that matches, as trying them all would (the same texts)."""
    for text in {reading.simplify(text) for text in corpus()}:
        held = literals.held(text)
        for rules in FILES:
            assert rules.tried(held) == [rule for rule in rules if not rule.needs.isdisjoint(held)], text


def test_rules_of_some_kinds_keep_their_order():
    rules = reading.category_rules()
    assert rules.of("thanks", "filler") == tuple(rule for rule in rules if rule.kind in ("thanks", "filler"))
    assert rules.of("thanks", "filler") is rules.of("thanks", "filler")
    assert rules.of("no such kind") == ()


def test_most_rules_are_not_tried_on_a_plain_need():
    text = reading.simplify("12号楼302室 需要买菜，大米两袋、鸡蛋一盒，谢谢")
    assert sum(tried(rule, text) for rule in RULES) < len(RULES) / 4


@pytest.mark.parametrize(("pattern", "words"), [
    (r"[打叫拨]了?\s*120", {"120"}),
    (r"(?:买|卖)菜", {"买菜", "卖菜"}),  # the parser makes the two a class: each spelling, whole
    (r"a[çc]mıyor", {"açmiyor", "acmiyor"}),  # a letter and its plain letter (reading.bare_too)
    (r"[ab][cd][ef][gh][ij]klmno", {"iklmno", "jklmno"}),  # past RUN_WORDS spellings, a run starts again
    (r"急救(?![箱包])|救护车", {"急救", "救护车"}),
    (r"\bnot (?:being|be) (?:here|around)", {"not be"}),
    (r"(?:please )?help+", {"hel"}),
    (r"[打叫拨]", {"打", "叫", "拨"}),
])
def test_the_words_a_pattern_needs(pattern, words):
    assert literals.needed(re.compile(pattern, re.IGNORECASE)) == words


@pytest.mark.parametrize("pattern", [r"\d{3}", r"(?:foo)?", r"foo|\d+", r"[^a]b?", r"[a-z]+", r"(\w)\1"])
def test_a_pattern_that_needs_no_word_is_always_tried(pattern):
    assert literals.needed(re.compile(pattern)) == literals.ANYTHING
    assert "" in literals.held("") and "" in literals.held("anything")


@pytest.mark.parametrize(("pattern", "flags", "text"), [
    ("sik", re.IGNORECASE, "ſıK"),  # the long s, the dotless i and the Kelvin sign: the engine reads them as s, i, k
    ("STOP", re.IGNORECASE, "please stop"),
    ("stop", re.IGNORECASE | re.ASCII, "STOP"),
    ("µg", re.IGNORECASE, "ΜG"),
])
def test_a_text_holds_a_word_as_the_engine_would_find_it(pattern, flags, text):
    compiled = re.compile(pattern, flags)
    assert compiled.search(text)
    assert not literals.needed(compiled).isdisjoint(literals.held(text))


WORDS = sorted({word for rule in RULES for word in rule.needs if word})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(list("  ,.?!0123456789aAsSſıIİKµΜ十号楼室"))),
                max_size=12),
       st.sampled_from(["lower", "upper", "title"]))
def test_no_rule_is_skipped_on_a_text_it_matches(pieces, case):
    text = getattr("".join(pieces), case)()
    for rule in RULES:
        if rule.pattern.search(text):
            assert tried(rule, text), (rule.kind, rule.pattern.pattern[:60], text)


def test_a_text_looked_up_before_a_word_was_needed_is_looked_up_again():
    text = "a text with qzxv in it"
    assert "qzxv" not in literals.held(text)
    assert literals.needed(re.compile("qzxv")) == {"qzxv"}
    assert "qzxv" in literals.held(text)


def test_texts_are_looked_up_while_other_threads_add_words():
    words = [f"qzw{i:03d}" for i in range(60)]
    text = " ".join(words)
    failures = []

    def look() -> None:
        try:
            for _ in range(200):
                literals.held(text)
        except Exception as error:  # noqa: BLE001 - the failure is what the test reports
            failures.append(error)

    threads = [threading.Thread(target=look) for _ in range(3)]
    for thread in threads:
        thread.start()
    for word in words:
        literals.needed(re.compile(word))
    for thread in threads:
        thread.join()
    assert not failures
    assert set(words) <= literals.held(text)
