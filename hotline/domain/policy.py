"""The settings the domain works by, read once from the app's configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Policy:
    """Buildings, timers and sending rules of this installation."""

    buildings: frozenset[int] = frozenset(range(1, 37))
    region: str = "CN"
    timezone: ZoneInfo = ZoneInfo("Asia/Shanghai")
    accept_timeout: timedelta = timedelta(seconds=900)
    delivery_timeout: timedelta = timedelta(seconds=21600)
    retry_delays: tuple[int, ...] = (300, 900)
    send_rate: float = 1.0
    quiet_hours: tuple[int, int] | None = None
    conversation_ttl: timedelta = timedelta(hours=6)
    public_base_url: str | None = None

    @property
    def urgent_accept_timeout(self) -> timedelta:
        """Urgent requests move on three times faster."""
        return self.accept_timeout / 3

    @classmethod
    def from_config(cls, config) -> Policy:
        """Build the policy from a Flask config mapping."""
        return cls(
            buildings=config["HOTLINE_BUILDINGS"],
            region=config["HOTLINE_DEFAULT_REGION"],
            timezone=ZoneInfo(config["HOTLINE_TIMEZONE"]),
            accept_timeout=timedelta(seconds=config["HOTLINE_ACCEPT_TIMEOUT"]),
            delivery_timeout=timedelta(seconds=config["HOTLINE_DELIVERY_TIMEOUT"]),
            retry_delays=config["HOTLINE_RETRY_DELAYS"],
            send_rate=config["HOTLINE_SEND_RATE"],
            quiet_hours=config["HOTLINE_QUIET_HOURS"],
            public_base_url=config["PUBLIC_BASE_URL"],
        )
