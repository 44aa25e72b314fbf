"""The corpus's sample sent through the webhook (test_corpus.py) runs on one compound per test process; the
agreement per kind (test_reading.py, test_spoken.py) is printed at the end of `make test` (tests/conftest.py)
and the disagreements written to test-artifacts/understanding/."""

from __future__ import annotations

import pytest

from tests.conftest import SteppingClock, hotline_env
from tests.understanding.harness import Compound


@pytest.fixture(scope="session")
def corpus_clock() -> SteppingClock:
    """The corpus's one clock: it keeps stepping from kind to kind, whatever ran in between."""
    return SteppingClock()


@pytest.fixture(scope="session")
def corpus_compound(tmp_path_factory, corpus_clock):
    return Compound(tmp_path_factory.mktemp("corpus"), hotline_env("sqlite://", HOTLINE_CRISIS_LINE="12356"),
                    corpus_clock)


@pytest.fixture
def compound(corpus_compound):
    """The compound, built once per test process on the corpus's clock: the kinds are no xdist group, so each
    worker takes some, and tests with apps on clocks of their own may run between two of them."""
    return corpus_compound
