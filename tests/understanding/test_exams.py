"""The held-out exams of tests/data/exams (see its README): each read and decided with no database, its
agreement with the dispatcher and how many of its grave lines go before a person at once printed at the end
of the run, against the floors of tests/data/exams/floors.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.understanding import fast
from tests.understanding.harness import judge, load

EXAMS = Path(__file__).resolve().parents[1] / "data" / "exams"
FLOORS = json.loads((EXAMS / "floors.json").read_text(encoding="utf-8"))
GRAVE = ("emergency", "crisis", "welfare")  # what a dispatcher would put before a person at once
BEFORE_A_PERSON = (*GRAVE, "grave")  # …and what the hotline does so with


@pytest.mark.parametrize("path", sorted(EXAMS.glob("*.jsonl")), ids=lambda p: p.stem)
def test_held_out_exam(path, record_property):
    lines = load(path)
    outcomes = [(line, fast.run(line)) for line in lines]
    agreed = sum(not judge(line, outcome) for line, outcome in outcomes)
    grave = [(line, outcome) for line, outcome in outcomes if line.expect.get("kind") in GRAVE]
    reached = sum(outcome.kind in BEFORE_A_PERSON for _, outcome in grave)
    record_property("agreement", f"exam {path.stem:<17} {agreed / len(lines):7.1%}  ({agreed}/{len(lines)}), "
                                 f"grave lines before a person at once: {reached}/{len(grave)}")
    floor = FLOORS[path.stem]
    assert agreed >= floor["agreed"], f"{path.stem}: {agreed} lines agree, fewer than {floor['agreed']}"
    assert reached >= floor["before_a_person"], f"{path.stem}: {reached} grave lines before a person"
