"""The project's Twilio stand-in (tests/twilio_standin.py), extended for process-level tests.

`RecordingStandin` adds, without changing the stand-in itself:
- `delay`: every POST to Messages/Calls is held that long before it is handled (a slow Twilio);
  `hold()` holds them until `release()` instead (a Twilio as slow as the test wants, no clock read);
- `arrivals`: how many such POSTs came in (a send is in flight once it grows), with a wait, and
  `in_flight`: how many are being held or handled right now;
- `created`: every message or call Twilio took (201), with the moment it took it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

from tests.twilio_standin import TwilioStandin, _Handler


@dataclass(frozen=True)
class Created:
    """One message or call the stand-in accepted."""

    at: float  # time.time() when it was taken
    resource: str  # "Messages" or "Calls"
    to: str
    body: str


class _DelayingHandler(_Handler):
    def do_POST(self):
        standin = self.server.standin
        if not self.path.split("?")[0].endswith(("/Messages.json", "/Calls.json")):
            return super().do_POST()
        standin._arrive()
        try:
            if standin.delay > 0:
                standin._stopping.wait(standin.delay)
            while not (standin._released.is_set() or standin._stopping.is_set()):
                standin._released.wait(0.1)
            super().do_POST()
        finally:
            with standin._arrived:
                standin.in_flight -= 1


class RecordingStandin(TwilioStandin):
    """Twilio's REST API on 127.0.0.1 that can be slow, and that remembers when it took what."""

    def __init__(self):
        super().__init__()
        self.delay = 0.0  # seconds each message or call is held before it is taken
        self.created: list[Created] = []
        self.arrivals = 0
        self.in_flight = 0
        self._arrived = threading.Condition()
        self._released = threading.Event()
        self._released.set()

    def hold(self) -> None:
        """Hold every message or call that comes in from now on, until `release`."""
        self._released.clear()

    def release(self) -> None:
        """Let the held sends, and all that come after, be taken."""
        self._released.set()

    def _handler(self) -> type[_Handler]:
        return _DelayingHandler

    def _arrive(self) -> None:
        with self._arrived:
            self.arrivals += 1
            self.in_flight += 1
            self._arrived.notify_all()

    def idle(self) -> bool:
        """Tell whether no send is being held or handled right now (a "hang" included)."""
        with self._arrived:
            return self.in_flight == 0

    def wait_arrivals(self, count: int, timeout: float) -> bool:
        """Wait until at least `count` sends have come in."""
        with self._arrived:
            return self._arrived.wait_for(lambda: self.arrivals >= count, timeout)

    def _create(self, resource: str, params: dict[str, str]) -> tuple[int, dict]:
        status, answer = super()._create(resource, params)
        if status == 201:
            with self.lock:
                self.created.append(Created(time.time(), resource, params.get("To", ""), params.get("Body", "")))
        return status, answer

    def messages(self) -> list[Created]:
        """The SMS Twilio took, in the order it took them."""
        with self.lock:
            return [c for c in self.created if c.resource == "Messages"]

    def copies(self) -> Counter:
        """How many times each SMS body was taken."""
        return Counter(c.body for c in self.messages())
