"""The one place that knows what time it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Return the current time, UTC-aware."""
    return _source()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace where the time comes from (tests step it); None restores the real clock."""
    global _source
    _source = source or (lambda: datetime.now(UTC))
