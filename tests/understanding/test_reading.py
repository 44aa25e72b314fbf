"""Every labelled message of tests/data/messages read and decided with no database (tests/understanding/fast.py):
agreement with the dispatcher per kind, against the floors of floors.json; the disagreements are written to
test-artifacts/understanding/<kind>.txt. tests/understanding/test_corpus.py sends a sample of the lines through
the real webhook, to prove that the hotline does what was decided."""

from __future__ import annotations

import json

import pytest

from tests.understanding import fast
from tests.understanding.harness import CALLERS, CORPUS, agreement, corpus_files, judge, load

FLOORS = json.loads((CORPUS / "floors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_agreement_with_the_dispatcher(path, record_property):
    lines = [line for line in load(path) if line.sender not in CALLERS]
    if not lines:
        pytest.skip(f"{path.stem}: only spoken lines, read by tests/understanding/test_spoken.py")
    wrong, non_requests_routed = [], 0
    for line in lines:
        outcome = fast.run(line)
        if disagreements := judge(line, outcome):
            wrong.append(f"{line.where}  {line.text!r}  ({line.sender})\n    " + "; ".join(disagreements))
        non_requests_routed += line.expect.get("request") is False and outcome.routed_to_volunteer
    agreed = agreement(record_property, path.stem, len(lines), wrong,
                       f"non-requests routed to volunteers: {non_requests_routed}")
    floor = FLOORS[path.stem]
    assert agreed >= floor["agreement"], f"{path.stem}: {agreed:.1%} < {floor['agreement']:.1%}:\n" + "\n".join(
        wrong[:20])
    assert non_requests_routed <= floor["non_requests_routed"]
