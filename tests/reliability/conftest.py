"""Fixtures of the process-level reliability tests: installations, the stand-in, the figures.

Every test here has a FAST form (the default, part of `make test`) and a FULL form
(`HOTLINE_RELIABILITY=full`, `make test-reliability`); `stack.scale(fast, full)` picks the sizes.
The figures each test measures are printed at the end of the run and appended to
test-artifacts/reliability/figures.jsonl.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import postgres_reason
from tests.reliability.stack import FULL, ROOT, Stack
from tests.reliability.standin import RecordingStandin

ARTIFACTS = ROOT / "test-artifacts" / "reliability"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def figures(record_property, request):
    """Record what a test measured: shown at the end of the run, kept in test-artifacts/."""

    def record(**values) -> None:
        text = ", ".join(f"{k}={_fmt(v)}" for k, v in values.items())
        record_property("figures", text)
        print(f"FIGURES {request.node.nodeid}: {text}")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with open(ARTIFACTS / "figures.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps({"test": request.node.nodeid, "full": FULL, "at": time.time(), **values},
                               default=str) + "\n")

    return record


def _fmt(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request) -> str:
    """Each scenario runs on a SQLite file and on a fresh database of the machine's PostgreSQL."""
    if request.param == "postgres" and (reason := postgres_reason()):
        pytest.skip(reason)
    return request.param


@pytest.fixture
def standin():
    with RecordingStandin() as twilio:
        yield twilio


@pytest.fixture
def make_stack(request, standin):
    """Installations for this test; stopped (and their logs shown if the test failed) at the end."""
    made: list[Stack] = []

    def make(database: str, name: str = "hotline", twilio_url: str | None = None, **env) -> Stack:
        stack = Stack(database, twilio_url or standin.url, name=name, **env)
        made.append(stack)
        return stack

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for stack in made:
        if failed:
            print(f"==== logs of {stack.tmp}\n{stack.log_tail()}")
        stack.stop()

