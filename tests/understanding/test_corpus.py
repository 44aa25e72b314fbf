"""The labelled corpus through the real hotline: of each file, the first line of every kind from every
sender's situation is texted to the signed SMS webhook (tests/understanding/harness.py), and what the
hotline did must be what reading and deciding it in memory says it does (tests/understanding/fast.py).
So the wiring is proved line by line, while the whole corpus is judged against the dispatcher without a
database (tests/understanding/test_reading.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.understanding import fast
from tests.understanding.harness import CALLERS, Line, corpus_files, judge, load


def sample(lines: list[Line]) -> list[Line]:
    """The first line of each kind from each sender."""
    first: dict[tuple[str, str], Line] = {}
    for line in lines:
        first.setdefault((line.sender, line.expect.get("kind", "need")), line)
    return list(first.values())


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_the_hotline_does_what_it_decided(compound, path):
    lines = sample([line for line in load(path) if line.sender not in CALLERS])
    if not lines:
        pytest.skip(f"{path.stem}: only spoken lines, read by tests/understanding/test_spoken.py")
    apart = []
    for line in lines:
        decided = fast.run(line)
        done = compound.run(line)
        as_decided = replace(line, expect={name: decided.value(name) for name in line.expect})
        if differences := judge(as_decided, done):  # `want` is what was decided
            apart.append(f"{line.where}  {line.text!r}  ({line.sender})\n    " + "; ".join(differences))
    assert not apart, f"{len(apart)} of {len(lines)} lines done otherwise than decided:\n" + "\n".join(apart)


def test_every_labelled_message_is_in_the_corpus_once():
    seen: dict[tuple[str, str], str] = {}
    for path in corpus_files():
        for line in load(path):
            first = seen.setdefault((line.text, line.sender), line.where)
            assert first == line.where, f"{line.where} repeats {first}: {line.text!r} from {line.sender}"
