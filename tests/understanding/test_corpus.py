"""Every labelled message of tests/data/messages through the real hotline; agreement per kind.

A kind's agreement may not fall below its floor in floors.json (raise a floor when the hotline
reads better); the disagreements are written to test-artifacts/understanding/<kind>.txt.
"""

from __future__ import annotations

import json

import pytest

from tests.understanding.harness import CALLERS, CORPUS, corpus_files, judge, load

ARTIFACTS = CORPUS.parents[2] / "test-artifacts" / "understanding"
FLOORS = json.loads((CORPUS / "floors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_agreement_with_the_dispatcher(compound, path, record_property):
    lines = [line for line in load(path) if line.sender not in CALLERS]
    if not lines:
        record_property("agreement", f"{path.stem:<22}    not measured: spoken lines need a voice harness")
        pytest.skip(f"{path.stem}: only spoken lines, which the SMS harness does not read")
    wrong, non_requests_routed = [], 0
    for line in lines:
        outcome = compound.run(line)
        if disagreements := judge(line, outcome):
            wrong.append(f"{line.where}  {line.text!r}  ({line.sender})\n    " + "; ".join(disagreements)
                         + f"\n    answered: {outcome.answered or outcome.replies}")
        non_requests_routed += line.expect.get("request") is False and outcome.routed_to_volunteer
    agreement = 1 - len(wrong) / len(lines) if lines else 1.0
    record_property("agreement", f"{path.stem:<22} {agreement:7.1%}  ({len(lines) - len(wrong)}/{len(lines)}),"
                                 f" non-requests routed to volunteers: {non_requests_routed}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{path.stem}.txt").write_text("\n".join(wrong) + "\n", encoding="utf-8")
    floor = FLOORS[path.stem]
    assert agreement >= floor["agreement"], f"{path.stem}: {agreement:.1%} < {floor['agreement']:.1%}:\n" + "\n".join(
        wrong[:20])
    assert non_requests_routed <= floor["non_requests_routed"]


def test_every_labelled_message_is_in_the_corpus_once():
    seen: dict[tuple[str, str], str] = {}
    for path in corpus_files():
        for line in load(path):
            first = seen.setdefault((line.text, line.sender), line.where)
            assert first == line.where, f"{line.where} repeats {first}: {line.text!r} from {line.sender}"
