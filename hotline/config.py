"""Configuration from the environment (SPEC "Configuration")."""

from __future__ import annotations

import math
import os
import re
import secrets
from pathlib import Path


class ConfigError(ValueError):
    """A setting that cannot be used; the app refuses to start with it."""


def parse_buildings(spec: str) -> frozenset[int]:
    """Read `1-36,40,41` into the set of building numbers."""
    buildings: set[int] = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
        if not m:
            raise ConfigError(f"HOTLINE_BUILDINGS: cannot read {part!r}")
        if m.group(3):
            buildings.add(int(m.group(3)))
        else:
            low, high = int(m.group(1)), int(m.group(2))
            if low > high or high - low > 10_000:
                raise ConfigError(f"HOTLINE_BUILDINGS: bad range {part!r}")
            buildings.update(range(low, high + 1))
    if not buildings:
        raise ConfigError("HOTLINE_BUILDINGS names no building")
    return frozenset(buildings)


def parse_seconds_list(spec: str) -> tuple[int, ...]:
    """Read `300,900` into seconds."""
    try:
        return tuple(int(p) for p in spec.split(",") if p.strip())
    except ValueError as e:
        raise ConfigError(f"not a list of seconds: {spec!r}") from e


def parse_quiet_hours(spec: str) -> tuple[int, int] | None:
    """Read `22:00-07:00` into minutes after midnight (start, end); empty means off."""
    if not spec.strip():
        return None
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", spec)
    if not m:
        raise ConfigError(f"HOTLINE_QUIET_HOURS: cannot read {spec!r}")
    h1, m1, h2, m2 = map(int, m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ConfigError(f"HOTLINE_QUIET_HOURS: cannot read {spec!r}")
    return h1 * 60 + m1, h2 * 60 + m2


# SMS segments a second. A long code at Twilio sends one; a phone's SIM in mainland China is flagged as
# spam by its carrier well before that, so the gateway sends one every five seconds unless told otherwise.
TWILIO_SEND_RATE = 1.0
GATEWAY_SEND_RATE = 0.2


def _instance_secret(instance: Path) -> str:
    """Generate the secret key once into the instance folder and reuse it."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def from_environment(instance: Path, env: dict[str, str] | None = None) -> dict:
    """Build the app's settings from environment variables, with SPEC's defaults."""
    env = dict(os.environ if env is None else env)
    get = env.get
    try:
        settings = {
            "SQLALCHEMY_DATABASE_URI": get("DATABASE_URL") or f"sqlite:///{instance / 'hotline.db'}",
            "SECRET_KEY": get("SECRET_KEY") or _instance_secret(instance),
            "TWILIO_ACCOUNT_SID": get("TWILIO_ACCOUNT_SID") or None,
            "TWILIO_AUTH_TOKEN": get("TWILIO_AUTH_TOKEN") or None,
            "TWILIO_PHONE_NUMBER": get("TWILIO_PHONE_NUMBER") or None,
            "TWILIO_API_URL": (get("TWILIO_API_URL") or "https://api.twilio.com").rstrip("/"),
            "TWILIO_HTTP_TIMEOUT": float(get("TWILIO_HTTP_TIMEOUT") or 10),  # seconds per REST call
            "PUBLIC_BASE_URL": (get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            "HOTLINE_BUILDINGS": parse_buildings(get("HOTLINE_BUILDINGS") or "1-36"),
            "HOTLINE_DEFAULT_REGION": (get("HOTLINE_DEFAULT_REGION") or "CN").upper(),
            "HOTLINE_TIMEZONE": get("HOTLINE_TIMEZONE") or "Asia/Shanghai",
            "HOTLINE_ACCEPT_TIMEOUT": int(get("HOTLINE_ACCEPT_TIMEOUT") or 900),
            "HOTLINE_DELIVERY_TIMEOUT": int(get("HOTLINE_DELIVERY_TIMEOUT") or 21600),
            "HOTLINE_RETRY_DELAYS": parse_seconds_list(get("HOTLINE_RETRY_DELAYS") or "300,900"),
            "HOTLINE_SEND_RATE": float(get("HOTLINE_SEND_RATE") or "nan"),  # unset: the carrier's pace, below
            "HOTLINE_QUIET_HOURS": parse_quiet_hours(get("HOTLINE_QUIET_HOURS") or ""),
            "HOTLINE_CRISIS_LINE": (get("HOTLINE_CRISIS_LINE") or "12356").strip(),  # China's psychological line
            "HOTLINE_COMPOUND_NAME": " ".join((get("HOTLINE_COMPOUND_NAME") or "").split())[:60],  # as residents say it
            "HOTLINE_SPOOL_DIR": get("HOTLINE_SPOOL_DIR") or str(instance / "spool"),
            "HOTLINE_TRUSTED_PROXIES": int(get("HOTLINE_TRUSTED_PROXIES") or 0),
            "SMS_GATEWAY_URL": (get("SMS_GATEWAY_URL") or "").rstrip("/") or None,
            "SMS_GATEWAY_CREDENTIALS": get("SMS_GATEWAY_CREDENTIALS") or None,  # `login:password`, or a token
            "SMS_GATEWAY_SIGNING_KEY": get("SMS_GATEWAY_SIGNING_KEY") or None,
            "HOTLINE_GATEWAY_DOWN_AFTER": int(get("HOTLINE_GATEWAY_DOWN_AFTER") or 300),
            "SMS_GATEWAY_HTTP_TIMEOUT": float(get("SMS_GATEWAY_HTTP_TIMEOUT") or 10),  # seconds per send to the phone
            "SMS_GATEWAY_HEALTH_TIMEOUT": float(get("SMS_GATEWAY_HEALTH_TIMEOUT") or 3),  # seconds for its /health
            "RATELIMIT_STORAGE_URI": get("RATELIMIT_STORAGE_URI") or "memory://",  # redis:// for several processes
            "RATELIMIT_KEY_PREFIX": get("RATELIMIT_KEY_PREFIX") or "hotline-admin",
        }
    except ValueError as e:
        raise ConfigError(str(e)) from e
    gateway = settings["SMS_GATEWAY_URL"]
    if math.isnan(settings["HOTLINE_SEND_RATE"]):
        settings["HOTLINE_SEND_RATE"] = GATEWAY_SEND_RATE if gateway else TWILIO_SEND_RATE
    if not settings["HOTLINE_SEND_RATE"] > 0:
        raise ConfigError("HOTLINE_SEND_RATE must be positive")
    if not 0 < settings["TWILIO_HTTP_TIMEOUT"] <= 60:
        raise ConfigError("TWILIO_HTTP_TIMEOUT must be a number of seconds from 0 to 60")
    for name in ("SMS_GATEWAY_HTTP_TIMEOUT", "SMS_GATEWAY_HEALTH_TIMEOUT"):
        if not 0 < settings[name] <= 60:
            raise ConfigError(f"{name} must be a number of seconds from 0 to 60")
    if gateway and not (settings["SMS_GATEWAY_CREDENTIALS"] and settings["SMS_GATEWAY_SIGNING_KEY"]):
        raise ConfigError("SMS_GATEWAY_CREDENTIALS and SMS_GATEWAY_SIGNING_KEY are required with SMS_GATEWAY_URL")
    if gateway and not settings["PUBLIC_BASE_URL"]:
        raise ConfigError("PUBLIC_BASE_URL is required with SMS_GATEWAY_URL: the phone posts its webhooks there")
    has_credentials = bool(settings["TWILIO_ACCOUNT_SID"] and settings["TWILIO_AUTH_TOKEN"])
    if has_credentials and not settings["PUBLIC_BASE_URL"]:
        raise ConfigError("PUBLIC_BASE_URL is required when Twilio credentials are set")
    if has_credentials and not settings["TWILIO_PHONE_NUMBER"]:
        raise ConfigError("TWILIO_PHONE_NUMBER is required when Twilio credentials are set")
    settings["SESSION_COOKIE_SECURE"] = (settings["PUBLIC_BASE_URL"] or "").startswith("https://")
    settings["SESSION_COOKIE_HTTPONLY"] = True
    settings["SESSION_COOKIE_SAMESITE"] = "Lax"
    return settings
