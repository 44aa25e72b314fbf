"""The Flask app class: each of its app contexts binds the app's clock for as long as it is pushed."""

from __future__ import annotations

from flask import Flask
from flask.ctx import AppContext

from hotline import clock


class ClockedContext(AppContext):
    """An app context during which `clock.now()` reads its app's clock: every request, worker step and CLI
    command runs in one. Bound before Flask's own push (the `appcontext_pushed` receivers read it) and
    released after its pop (the teardowns read it too)."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._clock_tokens: list = []

    def push(self) -> None:
        self._clock_tokens.append(clock.bind(self.app.extensions["clock"]))
        try:
            super().push()
        except BaseException:
            clock.unbind(self._clock_tokens.pop())
            raise

    def pop(self, *args, **kwargs) -> None:
        try:
            super().pop(*args, **kwargs)
        finally:
            clock.unbind(self._clock_tokens.pop())


class Hotline(Flask):
    """The hotline's app: Flask, with app contexts that carry its clock."""

    def app_context(self) -> ClockedContext:
        return ClockedContext(self)
