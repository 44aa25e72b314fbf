"""The corpus runs once per test process, on a compound of its own; agreement per kind is printed
at the end of `make test` and written to test-artifacts/understanding/."""

from __future__ import annotations

import pytest

from hotline import clock as hotline_clock
from tests.conftest import SteppingClock, hotline_env
from tests.understanding.harness import Compound


def pytest_terminal_summary(terminalreporter):
    rows = []
    for key in ("passed", "failed"):
        for report in terminalreporter.stats.get(key, []):
            if getattr(report, "when", "") == "call":
                rows += [value for name, value in report.user_properties if name == "agreement"]
    if rows:
        terminalreporter.section("understanding: agreement with the dispatcher, per kind")
        for row in sorted(rows):
            terminalreporter.write_line(row)


@pytest.fixture(scope="session")
def compound(tmp_path_factory):
    hotline_clock.set_source(SteppingClock())
    try:
        yield Compound(tmp_path_factory.mktemp("corpus"), hotline_env("sqlite://", HOTLINE_CRISIS_LINE="12356"))
    finally:
        hotline_clock.set_source(None)
