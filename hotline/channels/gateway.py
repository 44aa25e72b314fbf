"""The phone gateway adapter: the only module of the hotline that imports `android_sms_gateway`.

Where Twilio cannot give a compound a number residents can text (mainland China), an Android phone
with a local SIM running "SMS Gateway for Android" carries the hotline's SMS. This module:

- checks the phone's webhook signatures (`verify_signature`) and reads its event envelopes
  (`read_event`) as the hostile input they are;
- sends SMS through the phone's `POST /messages` with the app's maintained client
  (`GatewayTransport`): the phone's own server on the compound's LAN, or the app's cloud relay,
  which answer the same paths; every failure becomes a `SendError`;
- asks the phone whether it is alive (`GatewayTransport.check_health`) and registers the webhooks
  it posts to the hotline (`GatewayTransport.register_webhooks`).

The phone splits a long text into parts itself (a multipart SMS); the outbox paces it by its
segments.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from android_sms_gateway import APIClient, HealthStatus, Message, TextMessage, Webhook, WebhookEvent
from android_sms_gateway.errors import APIError
from android_sms_gateway.http import RequestsHttpClient

from hotline.channels.twilio import SendError, never_sent, scrub

log = logging.getLogger(__name__)

NAME = "gateway"  # what the outbox rows it carried say
SID_PREFIX = "AG:"  # Inbound.sid of an SMS the phone received: its envelope id, beside Twilio's SM…
SIGNATURE_SKEW = timedelta(minutes=5)  # a signed event older or newer than this is refused
RECEIVED, SENT, DELIVERED, FAILED, PING = "sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping"
WEBHOOKS = (RECEIVED, SENT, DELIVERED, FAILED, PING)  # what the hotline registers, one webhook each
_TIMESTAMP = re.compile(r"\d{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_EVENT_ID = re.compile(r"[\x21-\x7e]{1,64}")  # printable, no spaces: it becomes an Inbound SID
TEXT_LIMIT = 1600


# ---------------------------------------------------------------------------------------------
# Webhooks from the phone
# ---------------------------------------------------------------------------------------------


def sign(key: str, body: bytes, timestamp: str) -> str:
    """The phone's `X-Signature`: lower-case hex HMAC-SHA256 of the raw body followed by `X-Timestamp`."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def signed_event(key: str, kind: str, payload: dict, at: float, event_id: str | None = None,
                 device_id: str = "hotline-simulator") -> tuple[bytes, dict[str, str]]:
    """What the phone posts about `kind` at Unix time `at`: the JSON envelope (a fresh `id` unless given)
    and its `X-Timestamp` and `X-Signature` headers, made with `key` by the app's rule. For the phone
    simulator and the tests' stand-in, which play the phone."""
    envelope = {"id": event_id or secrets.token_urlsafe(15), "webhookId": f"hotline-{kind.replace(':', '-')}",
                "deviceId": device_id, "event": kind, "payload": payload}
    body = json.dumps(envelope, ensure_ascii=False).encode()
    stamp = str(int(at))
    return body, {"X-Timestamp": stamp, "X-Signature": sign(key, body, stamp)}


def verify_signature(key: str | None, body: bytes, timestamp: str, signature: str, now: datetime) -> bool:
    """Tell whether the phone signed this body at `timestamp` with `key`, within SIGNATURE_SKEW of `now`."""
    if not key or not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_SKEW.total_seconds():
        return False
    return hmac.compare_digest(sign(key, body, timestamp), signature)


@dataclass(frozen=True)
class Event:
    """One event the phone posted: the envelope's `id` names this delivery of it (a retry repeats it);
    `message_id` is the message's, derived from its content and not unique for one received."""

    id: str
    kind: str  # `sms:received`, `sms:sent`...
    message_id: str = ""
    sender: str = ""
    text: str = ""
    parts: int | None = None  # sms:sent: how many parts the phone sent
    reason: str = ""  # sms:failed: why


def read_event(body: bytes) -> Event | None:
    """Read a webhook body into an `Event`; None when it is no envelope the app sends."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), dict):
        return None
    event_id, kind, payload = envelope.get("id"), envelope.get("event"), envelope["payload"]
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id) or not isinstance(kind, str):
        return None
    parts = payload.get("partsCount")
    return Event(
        id=event_id,
        kind=kind[:40],
        message_id=_text(payload.get("messageId"), 64),
        # `phoneNumber` is the deprecated name of `sender` for a received SMS
        sender=_text(payload.get("sender") or payload.get("phoneNumber"), 40),
        text=_text(payload.get("message")),
        parts=parts if isinstance(parts, int) and not isinstance(parts, bool) and 0 < parts < 100 else None,
        reason=_text(payload.get("reason"), 200),
    )


def _text(value: object, limit: int = TEXT_LIMIT) -> str:
    """A JSON field as text a database can hold: no NUL, no lone surrogates, at most `limit` long."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


class _TimeoutSession(requests.Session):
    """A requests session whose every request times out: the app's client sets no timeout of its own."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):
        """Send with the session's timeout unless one is given."""
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


class GatewayTransport:
    """Send SMS through an Android phone's "SMS Gateway" app, with the app's own Python client.

    `url` is the phone's local server (`http://192.168.1.20:8080`) or the cloud relay
    (`https://api.sms-gate.app/3rdparty/v1`); `credentials` are `login:password` (basic auth), or a
    token alone. The phone places no calls and keeps no recordings.
    """

    name = NAME

    def __init__(self, url: str, credentials: str, timeout: float = 10.0, health_timeout: float = 3.0):
        login, colon, password = credentials.partition(":")
        if not colon:  # a token (the cloud relay's JWT)
            login, password = None, credentials
        self.url = url.rstrip("/")
        self._client = APIClient(login, password, base_url=self.url, http=RequestsHttpClient(_TimeoutSession(timeout)))
        # A phone that hangs on /health is as good as away: its check gives up sooner than a send does.
        self._health = APIClient(login, password, base_url=self.url,
                                 http=RequestsHttpClient(_TimeoutSession(health_timeout)))

    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        """Hand the SMS to the phone and return the id its `sms:sent`/`delivered`/`failed` events carry."""
        message = Message(phone_numbers=[to], text_message=TextMessage(text=body), with_delivery_report=True)
        with _send_errors():
            state = self._client.send(message)
        if not state.id:
            raise SendError("the phone answered without a message id", permanent=False, ambiguous=True)
        return state.id[:64]

    def place_call(self, to: str, twiml: str, status_callback: str | None) -> str:
        """Fail: a phone gateway places no calls."""
        raise SendError("the phone gateway places no calls", permanent=True)

    def fetch_recording(self, recording_sid: str) -> tuple[bytes, str]:
        """Fail: the phone gateway keeps no recordings."""
        raise SendError("the phone gateway has no recordings", permanent=True)

    def delete_recording(self, recording_sid: str) -> None:
        """Do nothing: the phone gateway keeps no recordings."""

    def check_health(self) -> str | None:
        """Ask the phone's `/health`: None when it answers that it can work, else why not."""
        try:
            with _send_errors():
                health = self._health.health_check()
        except SendError as error:
            return str(error)
        if health.status == HealthStatus.FAIL:
            return "the phone says it cannot work (health: fail)"
        return None

    def register_webhooks(self, url: str) -> list[str]:
        """Point each of WEBHOOKS at `url` (under a fixed id, so registering again replaces, never
        adds); return the events registered."""
        with _send_errors():
            for event in WEBHOOKS:
                self._client.create_webhook(Webhook(id=f"hotline-{event.replace(':', '-')}", url=url,
                                                    event=WebhookEvent(event)))
        return list(WEBHOOKS)


@contextmanager
def _send_errors() -> Iterator[None]:
    """Turn whatever the app's client or requests raise into a SendError."""
    try:
        yield
    except SendError:
        raise
    except APIError as error:
        raise _status_error(error.status_code or 0, error.response) from error
    except requests.HTTPError as error:  # the client's DELETE raises requests' own
        raise _status_error(error.response.status_code if error.response is not None else 0, None) from error
    except requests.RequestException as error:
        if never_sent(error):  # refused, no route, unknown host: the phone is off or off the network
            raise SendError(f"the phone cannot be reached: {type(error).__name__}", permanent=False,
                            offline=True) from error
        raise SendError(f"no answer from the phone: {type(error).__name__}", permanent=False,
                        ambiguous=True) from error
    except (ValueError, KeyError, TypeError) as error:  # a 2xx whose body is not the app's JSON
        raise SendError(f"unreadable answer from the phone: {error!r}"[:200], permanent=False,
                        ambiguous=True) from error


def _status_error(status: int, answer: dict | None) -> SendError:
    """Classify an answer of the phone (or the relay) with an error status."""
    said = answer.get("message") if isinstance(answer, dict) else None
    text = f"HTTP {status} from the phone" + (f": {said}" if isinstance(said, str) else "")
    text = scrub(text[:300])  # the app's messages may quote the recipient
    if status in (401, 403):  # wrong credentials: every message would fail alike, so they wait for a fix
        return SendError(text, permanent=False, status=status, offline=True)
    if status == 429:
        return SendError(text, permanent=False, status=status, throttled=True)
    if status == 503:  # "queue limits exceeded; ensure device is online": nothing was taken
        return SendError(text, permanent=False, status=status, offline=True)
    if status >= 500:
        return SendError(text, permanent=False, status=status, ambiguous=True)
    if status == 408:
        return SendError(text, permanent=False, status=status)
    return SendError(text, permanent=True, status=status)
