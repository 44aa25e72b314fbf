"""The words a pattern cannot match without, so that a rule is tried only on a text that holds one.

Pure: no database, no web. A message is read against some 490 rules (`reading.load_rules`), and most
of them name words the message does not hold. `needed(pattern)` works out, from the pattern's parsed
form (`re._parser`), literal strings one of which occurs in every text the pattern finds anything in
(the empty string, which every text holds, when the pattern gives no such strings: it is always
tried). `held(text)` says which of all the words needed so far a text holds, once per text, in one
pass of an Aho-Corasick automaton over it (pyahocorasick), as Python's regex engine would find them: each
character folded as the engine compares it (its simple lower case, and one of the few characters the
engine also takes for it: `ſ` for `s`, `ı` for `i`), so that finding the folded word finds what a
case-insensitive pattern would. A rule none of whose words the text holds could not have matched:
skipping it changes nothing that is read.
"""

from __future__ import annotations

import _sre
import re
import threading
from functools import cache, lru_cache
from re import _casefix, _parser
from re._constants import (
    ATOMIC_GROUP,
    BRANCH,
    IN,
    LITERAL,
    MAX_REPEAT,
    MIN_REPEAT,
    POSSESSIVE_REPEAT,
    SUBPATTERN,
)

import ahocorasick

HELD_AHEAD = 512  # texts whose words each process keeps: one SMS is looked at once, read by many rules
ANYTHING = frozenset([""])  # what a pattern that gives no words needs: every text holds the empty string

# Every word some pattern needs, and an Aho-Corasick automaton (pyahocorasick) that finds all of them a text
# holds in one pass, with how many words it was made from. It is made again, whole, when words were added
# since, and replaced in one assignment: a thread looking a text up meanwhile reads one as it was.
_WORDS: set[str] = set()
_finder: tuple[ahocorasick.Automaton | None, int] = (None, 0)
_making = threading.Lock()


def needed(pattern: re.Pattern) -> frozenset[str]:
    """Words (folded) one of which is in every text `pattern` finds a match in; ANYTHING when there are
    none to be sure of (the pattern must then always be tried). `held` looks for them from now on."""
    words = _needs(_parser.parse(pattern.pattern, pattern.flags))
    if not words:
        return ANYTHING
    words = frozenset(fold(word) for word in words)
    with _making:  # not while the automaton is made from them
        _WORDS.update(words)
    return words


def held(text: str) -> frozenset[str]:
    """The words needed by some pattern that `text` holds, as the regex engine would find them, and the
    empty string: a pattern none of whose words (`needed`) are among them cannot match the text."""
    return _held(fold(text), _finding())


@lru_cache(maxsize=HELD_AHEAD)
def _held(folded: str, _words_known: int) -> frozenset[str]:
    finder = _finder[0]  # made from that many words or, if some were added meanwhile, more: never fewer
    if finder is None:
        return ANYTHING
    return ANYTHING.union([word for _, word in finder.iter(folded)])


def _finding() -> int:
    """How many words the automaton knows, made again first if some were added since (a text's words are
    then looked up again)."""
    global _finder
    if _finder[1] != len(_WORDS):
        with _making:
            if _finder[1] != len(_WORDS):
                finder = ahocorasick.Automaton()
                for word in _WORDS:
                    finder.add_word(word, word)
                finder.make_automaton()
                _finder = (finder, len(_WORDS))
    return _finder[1]


@lru_cache(maxsize=HELD_AHEAD)
def fold(text: str) -> str:
    """The text with each character as the regex engine compares it, case-insensitively."""
    return text.translate(_FOLDING)


def _needs(items) -> frozenset[str] | None:
    """Strings one of which every match of the sequence `items` holds, the rarest such set found among
    its parts; None when no part gives one."""
    best: frozenset[str] | None = None
    run: frozenset[str] = frozenset([""])  # the strings the characters in a row can be, classes of a few too

    def consider(words: frozenset[str] | None) -> None:
        nonlocal best
        if words and all(words) and (best is None or _commonness(words) < _commonness(best)):
            best = words

    for op, argument in items:
        if op is LITERAL:
            run = frozenset(word + chr(argument) for word in run)
            continue
        one_of = _needs_of(op, argument) if op is IN else None
        if one_of and len(one_of) <= RUN_WORDS:  # `a[çc]mıyor`: "açmiyor" or "acmiyor", whole
            if len(run) * len(one_of) > RUN_WORDS:
                consider(run)
                run = frozenset([""])
            run = frozenset(word + ch for word in run for ch in one_of)
            continue
        consider(run)
        run = frozenset([""])
        consider(_needs_of(op, argument))
    consider(run)
    return best


RUN_WORDS = 16  # the spellings a run of characters may stand for, through classes such as `[çc]`, and be needed whole


def _needs_of(op, argument) -> frozenset[str] | None:
    """What one element of a pattern needs: a group what its content needs, a repeat (at least once) what
    its item needs, alternatives what all of them need together, a class of plain characters one of them."""
    if op is SUBPATTERN:
        return _needs(argument[-1])
    if op is ATOMIC_GROUP:
        return _needs(argument)
    if op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
        least, _, item = argument
        return _needs(item) if least >= 1 else None
    if op is BRANCH:
        alternatives = [_needs(branch) for branch in argument[1]]
        return None if any(a is None for a in alternatives) else frozenset().union(*alternatives)
    if op is IN and all(kind is LITERAL for kind, _ in argument):  # [打叫拨]; a negated or ranged class is none
        return frozenset(chr(code) for _, code in argument)
    return None  # anything else: a class, `.`, an anchor, a lookaround, a back-reference


def _commonness(words: frozenset[str]) -> float:
    """About how likely a message holds one of `words`: the rarer, the more rules a message skips."""
    return sum(_chance(word) for word in words)


def _chance(word: str) -> float:
    chance = 1.0
    for ch in word:
        chance *= 0.5 if ch.isspace() else 0.1 if ch.isascii() else 0.02
    return chance


@cache
def _equals() -> dict[int, int]:
    """Each lower-case character the engine takes for others (`_casefix`), with the one it stands for."""
    same: dict[int, int] = {}
    for code, others in _casefix._EXTRA_CASES.items():
        group = {code, *others}
        for member in list(group):
            group.update(_casefix._EXTRA_CASES.get(member, ()))
        same[code] = min(group)
    return same


class _Folding(dict):
    """`str.translate`'s table for `fold`, filled as characters are met."""

    def __missing__(self, code: int) -> int:
        lower = _sre.unicode_tolower(code)
        self[code] = folded = _equals().get(lower, lower)
        return folded


_FOLDING = _Folding()
