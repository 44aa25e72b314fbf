"""The hotline's conversations as data (`*.json`) and the small pure engine that steps them.

    from ivr_flows import flow, engine
    state, turn = engine.start(flow("voice"), {"known": True})
    state, turn = engine.step(flow("voice"), state, engine.Inbound(digits="1"))

Flows are loaded and validated once (`load_all` runs at app start, so a broken flow stops the
app from starting rather than a caller's call).
"""

from __future__ import annotations

from functools import cache

from ivr_flows import engine
from ivr_flows.engine import Flow, FlowError, load_all

__all__ = ["Flow", "FlowError", "engine", "flow", "load_all"]


@cache
def flow(name: str) -> Flow:
    """Return the validated flow `name` (read once per process)."""
    return engine.load(name)
