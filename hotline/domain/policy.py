"""The settings the domain works by, read once from the app's configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
    daily_requests: int = 10  # requests one number may open a day (volunteers are exempt)
    public_base_url: str | None = None
    crisis_line: str = "12356"  # the psychological assistance line given to someone in crisis
    compound_name: str = ""  # the calls the hotline places open with it; "" says "本小区" / "your compound"
    voice_link: Callable[[int], str] | None = field(default=None, compare=False)  # request number -> link

    def quiet_until(self, now: datetime) -> datetime | None:
        """When quiet hours end, if `now` is within them (for alerts that can wait)."""
        if self.quiet_hours is None:
            return None
        start, end = self.quiet_hours
        local = now.astimezone(self.timezone)
        minute = local.hour * 60 + local.minute
        inside = start <= minute < end if start <= end else (minute >= start or minute < end)
        if not inside:
            return None
        ends = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
        if ends <= local:
            ends += timedelta(days=1)
        return ends.astimezone(now.tzinfo)

    @property
    def urgent_accept_timeout(self) -> timedelta:
        """Urgent requests move on three times faster."""
        return self.accept_timeout / 3

    def accept_timeout_for(self, urgent: bool) -> timedelta:
        """How long a volunteer has to accept a request, urgent or not."""
        return self.urgent_accept_timeout if urgent else self.accept_timeout

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
            crisis_line=config["HOTLINE_CRISIS_LINE"],
            compound_name=config.get("HOTLINE_COMPOUND_NAME", ""),
            voice_link=config.get("VOICE_MESSAGE_LINK"),
        )
