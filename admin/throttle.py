"""Failed admin logins, counted so that guessing stays slow and its owner still gets in: OWASP's
device cookies ("Slow Down Online Guessing Attacks with Device Cookies").

- A browser that logged in as a user keeps a signed *known device* cookie for that name (the name
  and a random nonce, signed with the app's secret key; a new nonce at every login).
- An attempt from any other browser is counted per client address (`ADMIN_LOGIN_LIMIT`; an IPv6
  address by its /64, the block one subscriber is given) and per name (`ADMIN_LOGIN_NAME_LIMIT`).
  Over either, it waits: the per-name count is a hard ceiling on the guesses at one name, however
  many addresses they come from.
- An attempt from a known device of that name is counted on its own (`ADMIN_LOGIN_DEVICE_LIMIT`)
  and passes the address and name counts: its owner logs in while strangers guess the name, and
  while someone behind the same NAT has been failing. A known device that fails too often is
  treated as any other browser until its own count clears.

Whoever must wait is told how long (the counts' windows are fixed: the wait is until the window
that is full ends). The counts live in the `limits` library's storage (`RATELIMIT_STORAGE_URI`, Redis
for several web processes), in fixed windows.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
import time
from dataclasses import dataclass

from flask import Response, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many
from limits.strategies import RateLimiter

DEVICE_COOKIE = "hotline_device"
DEVICE_PATH = "/admin/login"  # the only page that reads it
DEVICE_DAYS = 180
DEVICES_PER_BROWSER = 5  # names one browser is a known device for (a shared office computer)

Scope = tuple[list[RateLimitItem], tuple[str, ...]]


def address_key(address: str) -> str:
    """The client an address stands for: an IPv4 address, or an IPv6 address's /64 (one subscriber
    has a whole /64 and can send from any address in it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _name(value: str) -> str:
    return value.strip().lower()[:80]


@dataclass
class Attempt:
    """One login attempt: how long it must wait first (seconds, 0 for none), and what it counts against."""

    throttle: LoginThrottle
    scopes: list[Scope]
    wait: int

    def failed(self) -> None:
        """Count this attempt's failure."""
        for items, key in self.scopes:
            for item in items:
                self.throttle.strategy.hit(item, *key)


class LoginThrottle:
    """The failed-login counts of the admin login, and the known-device cookies."""

    def __init__(self, strategy: RateLimiter, prefix: str):
        self.strategy, self.prefix = strategy, prefix  # the rate-limiting strategy over the counts' storage

    def attempt(self, address: str, name: str, cookie: str | None) -> Attempt:
        """Weigh an attempt to log in as `name` from `address`, with the browser's device cookie if any."""
        device = self._device(cookie, name)
        if device is not None:
            scopes = [(self._limits("ADMIN_LOGIN_DEVICE_LIMIT"), self._key("device", device))]
            if not self._wait(scopes):
                return Attempt(self, scopes, 0)
        scopes = [(self._limits("ADMIN_LOGIN_LIMIT"), self._key("address", address_key(address))),
                  (self._limits("ADMIN_LOGIN_NAME_LIMIT"), self._key("name", name))]
        return Attempt(self, scopes, self._wait(scopes))

    def remember_device(self, response: Response, cookie: str | None, name: str) -> None:
        """Make the browser a known device of `name` (a new nonce), keeping the other names it knows."""
        others = [entry for entry in self._entries(cookie) if entry[0] != _name(name)]
        entries = [[_name(name), secrets.token_urlsafe(16)], *others][:DEVICES_PER_BROWSER]
        response.set_cookie(
            DEVICE_COOKIE, self._serializer().dumps(entries), max_age=DEVICE_DAYS * 24 * 3600, path=DEVICE_PATH,
            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax",
        )

    # -- the device cookie ---------------------------------------------------------------------

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hotline-known-device")

    def _entries(self, cookie: str | None) -> list[list[str]]:
        if not cookie:
            return []
        try:
            entries = self._serializer().loads(cookie, max_age=DEVICE_DAYS * 24 * 3600)
        except BadSignature:  # forged, altered, expired, or signed with another secret key
            return []
        if not isinstance(entries, list):
            return []
        return [e for e in entries if isinstance(e, list) and len(e) == 2 and all(isinstance(v, str) for v in e)]

    def _device(self, cookie: str | None, name: str) -> str | None:
        """The nonce of this browser as a known device of `name`, if it is one."""
        return next((nonce for known, nonce in self._entries(cookie) if known == _name(name)), None)

    # -- the counts ------------------------------------------------------------------------------

    @staticmethod
    def _limits(setting: str) -> list[RateLimitItem]:
        return parse_many(current_app.config[setting])  # read per attempt: tests lower the limits

    def _key(self, kind: str, value: str) -> tuple[str, ...]:
        return self.prefix, "login", kind, _name(value)

    def _wait(self, scopes: list[Scope]) -> int:
        """Seconds until every count of `scopes` takes one more failure (0: it does now)."""
        ends = [self.strategy.get_window_stats(item, *key).reset_time
                for items, key in scopes for item in items if not self.strategy.test(item, *key)]
        # the limits library keeps its windows by the system clock, not the hotline's: so must this
        return max(1, math.ceil(max(ends) - time.time())) if ends else 0
