"""The one place that knows what time it is.

Time is passed in: each app is made with a clock (`create_app(clock=...)`, the real UTC clock unless
one is given), and while one of its app contexts is pushed (a request, a worker's step, a CLI
command), `now()` reads that app's clock. The binding is a context variable, so two apps in one
process, and two threads serving them, each read their own. Outside any app, `now()` is the real time.
The domain calls `now()` and imports no web framework: the app binds its clock (`hotline/application.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def real() -> datetime:
    """The machine's time, UTC-aware: every app's clock unless it was made with another."""
    return datetime.now(UTC)


_current: ContextVar[Clock] = ContextVar("hotline_clock", default=real)


def now() -> datetime:
    """Return the current time on the clock of the app being served, UTC-aware."""
    return _current.get()()


def bind(source: Clock) -> Token[Clock]:
    """Read `source` from now on in this thread (or task), until `unbind` is given the token."""
    return _current.set(source)


def unbind(token: Token[Clock]) -> None:
    """Go back to the clock read before `bind` returned `token`."""
    _current.reset(token)


@contextmanager
def reading(source: Clock) -> Iterator[None]:
    """Read `source` within the block, as an app's context does; for code that runs without an app."""
    token = bind(source)
    try:
        yield
    finally:
        unbind(token)
