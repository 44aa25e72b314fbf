"""Failed admin logins, counted per client address and per name: guessing slows down, and nobody
can lock a user out.

An address that fails too often (`ADMIN_LOGIN_LIMIT`) waits, whatever name it tries. A name that
fails too often from anywhere (`ADMIN_LOGIN_NAME_LIMIT`) waits only for the addresses that have
been failing: a stranger guessing someone's name from a few addresses cannot keep its owner out,
and a guesser with many addresses gets one try from each before that address waits too. The
counts live where Flask-Limiter keeps them (`RATELIMIT_STORAGE_URI`, Redis for several web
processes).
"""

from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many


class LoginThrottle:
    """The failed-login counts of the admin login."""

    def __init__(self, limiter: Limiter, prefix: str):
        self.limiter, self.prefix = limiter, prefix

    def refused(self, address: str, name: str) -> bool:
        """Tell whether a login from `address` for `name` must wait (the attempt itself is not counted)."""
        by_address = self._limits("ADMIN_LOGIN_LIMIT")
        if self._over(by_address, "address", address):
            return True
        return self._over(self._limits("ADMIN_LOGIN_NAME_LIMIT"), "name", name) and self._failing(by_address, address)

    def failed(self, address: str, name: str) -> None:
        """Count a failed login against its address and its name."""
        for item in self._limits("ADMIN_LOGIN_LIMIT"):
            self.limiter.limiter.hit(item, *self._key("address", address))
        for item in self._limits("ADMIN_LOGIN_NAME_LIMIT"):
            self.limiter.limiter.hit(item, *self._key("name", name))

    @staticmethod
    def _limits(setting: str) -> list[RateLimitItem]:
        return parse_many(current_app.config[setting])  # read per attempt: tests lower the limits

    def _key(self, kind: str, value: str) -> tuple[str, ...]:
        return self.prefix, "login", kind, value.strip().lower()[:80]

    def _over(self, items: list[RateLimitItem], kind: str, value: str) -> bool:
        return any(not self.limiter.limiter.test(item, *self._key(kind, value)) for item in items)

    def _failing(self, items: list[RateLimitItem], address: str) -> bool:
        """Tell whether the address has failed within its limits' windows."""
        key = self._key("address", address)
        return any(self.limiter.limiter.get_window_stats(item, *key).remaining < item.amount for item in items)
