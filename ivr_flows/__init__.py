"""The hotline's conversations as data (`*.json`) and the small pure engine that steps them.

    from ivr_flows import flow, engine
    state, turn = engine.start(flow("voice"), {"known": True})
    state, turn = engine.step(flow("voice"), state, engine.Inbound(digits="1"))

Flows are loaded and validated once per process (`flows()` runs at app start, so a broken flow
stops the app from starting rather than a caller's call).
"""

from __future__ import annotations

from functools import cache

from ivr_flows import engine
from ivr_flows.engine import Flow, FlowError, load_all

__all__ = ["Flow", "FlowError", "engine", "flow", "flows", "load_all"]


@cache
def flows() -> dict[str, Flow]:
    """Return every flow of the folder, validated (read once per process)."""
    return load_all()


def flow(name: str) -> Flow:
    """Return the validated flow `name`."""
    try:
        return flows()[name]
    except KeyError:
        raise FlowError(f"{name}.json: no such flow") from None
