"""The Twilio adapter: the only module of the hotline that imports `twilio`.

It does four things, and nothing else in the app needs to know how Twilio does them:

- checks webhook signatures (`validate_signature`);
- renders the domain's typed replies (`hotline.domain.replies`) as TwiML (`render_sms`,
  `render_voice`), with one table (`VOICES`) mapping our languages to Twilio's voices;
- sends SMS and places calls through a `Transport`: `TwilioTransport` speaks to Twilio's REST API
  (or to `TWILIO_API_URL`) with twilio-python's own client, `ConsoleTransport` only logs;
- turns every failure of a send into a `SendError` that says whether to retry.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml import TwiML
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, Gather, Hangup, Pause, Record, Redirect, Say, VoiceResponse
from urllib3.exceptions import NewConnectionError

from hotline.domain import phones, replies

log = logging.getLogger(__name__)

TWILIO_API_URL = "https://api.twilio.com"
OPTED_OUT = 21610  # the recipient texted STOP; Twilio refuses until they text START


# ---------------------------------------------------------------------------------------------
# Webhook signatures
# ---------------------------------------------------------------------------------------------


def validate_signature(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """Tell whether `signature` (X-Twilio-Signature) signs this URL and form with the auth token."""
    # RequestValidator would crash on a missing signature, and an empty token would let anyone
    # compute a valid one.
    if not auth_token or not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


# ---------------------------------------------------------------------------------------------
# TwiML
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoiceSettings:
    """Twilio's attributes for speaking and hearing one of our languages."""

    say_language: str
    say_voice: str
    gather_language: str  # speech recognition codes differ from <Say>'s: cmn-Hans-CN, not zh-CN
    rate: str | None  # SSML <prosody rate>; None for a voice that ignores SSML


# Every value is in twilio-node's enums (../shared/acceptance/twiml_enums.json). Polly neural
# voices honour <prosody rate>, which slows speech down for elderly callers.
VOICES: dict[str, VoiceSettings] = {
    "zh": VoiceSettings("cmn-CN", "Polly.Zhiyu-Neural", "cmn-Hans-CN", "85%"),
    "en": VoiceSettings("en-US", "Polly.Joanna-Neural", "en-US", "85%"),
}
DEFAULT_LANG = "zh"  # Mandarin first: a language we do not know is spoken as Mandarin

# Characters XML 1.0 cannot carry; one in a reply (echoed from an SMS, say) would make the
# whole TwiML document unreadable for Twilio.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(text: str) -> str:
    return _NOT_XML.sub("", text)


def render_sms(reply: replies.Reply) -> str:
    """Render an SMS answer as TwiML (`<Response/>` when there is nothing to say)."""
    response = MessagingResponse()
    for verb in reply:
        if not isinstance(verb, replies.Message):
            raise TypeError(f"not an SMS verb: {verb!r}")
        if text := _text(verb.text):  # an empty <Message> is an error at Twilio (14103)
            response.message(text)
    return response.to_xml()


def render_voice(reply: replies.Reply) -> str:
    """Render one step of a call as TwiML."""
    response = VoiceResponse()
    for verb in reply:
        response.nest(_voice_verb(verb))
    return response.to_xml()


def _voice_verb(verb: replies.Verb) -> TwiML:
    match verb:
        case replies.Say():
            return _say(verb)
        case replies.Pause(seconds=seconds):
            return Pause(length=seconds)
        case replies.Gather():
            return _gather(verb)
        case replies.Record():
            return Record(
                action=verb.action,
                method="POST",
                max_length=verb.max_length,
                timeout=verb.timeout,
                finish_on_key=verb.finish_on_key,
                play_beep=True,
                trim="trim-silence",
                recording_status_callback=verb.recording_status_callback,
            )
        case replies.Redirect(url=url):
            return Redirect(url, method="POST")
        case replies.Dial():
            dial = Dial(action=verb.action, method="POST", timeout=verb.timeout, caller_id=verb.caller_id)
            dial.number(verb.number)
            return dial
        case replies.Hangup():
            return Hangup()
    raise TypeError(f"not a voice verb: {verb!r}")


def _settings(lang: str) -> VoiceSettings:
    return VOICES.get(lang) or VOICES[DEFAULT_LANG]


def _say(verb: replies.Say) -> Say:
    settings = _settings(verb.lang)
    text = _text(verb.text)
    say = Say(None if settings.rate else text, language=settings.say_language, voice=settings.say_voice)
    if settings.rate:
        say.prosody(text, rate=settings.rate)
    return say


def _gather(verb: replies.Gather) -> Gather:
    gather = Gather(
        input="dtmf speech" if verb.speech else "dtmf",
        action=verb.action,
        method="POST",
        timeout=verb.timeout,
        num_digits=verb.num_digits,
        finish_on_key=verb.finish_on_key,
        language=_settings(verb.lang).gather_language,
        # Only with speech: "auto" ends on a pause in speech, hints steer the recogniser.
        speech_timeout="auto" if verb.speech else None,
        hints=",".join(verb.hints) if verb.speech and verb.hints else None,
        action_on_empty_result=True if verb.action_on_empty else None,
    )
    for prompt in verb.prompts:
        gather.nest(_voice_verb(prompt))
    return gather


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


class SendError(Exception):
    """A send, call or recording request that Twilio did not (or may not have) carried out.

    permanent  retrying cannot help (invalid or opted-out number, body too long...);
               otherwise the failure is transient and the outbox retries it later.
    code       Twilio's error code (21610, 21211...) when Twilio sent one.
    status     the HTTP status when there was an answer.
    ambiguous  Twilio may have accepted the request anyway (5xx, or a timeout or reset after the
               request was sent): a retry may deliver it twice, and the outbox counts it.
    throttled  HTTP 429: too fast for the account or the number; slow down and retry.
    opted_out  the recipient opted out (21610): never retry, tell someone by other means.
    offline    the carrier could not be reached at all (the gateway phone is off, or refuses our
               credentials): nothing was sent and no attempt is used up; the message waits.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: int | None = None,
        status: int | None = None,
        ambiguous: bool = False,
        throttled: bool = False,
        opted_out: bool = False,
        offline: bool = False,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.status = status
        self.ambiguous = ambiguous
        self.throttled = throttled
        self.opted_out = opted_out
        self.offline = offline


class Transport(Protocol):
    """What the outbox and the purge need from a carrier: send, call, fetch and delete recordings.

    Every method either succeeds or raises `SendError`. `send_sms` and `place_call` return the
    carrier's id of the message or call (status callbacks refer to it); `name` is what the outbox
    rows it carried say (`twilio`, `gateway`, `console`).
    """

    name: str

    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        """Send an SMS and return its SID."""
        ...

    def place_call(self, to: str, twiml: str, status_callback: str | None) -> str:
        """Call a number that will hear `twiml`, and return the call's SID."""
        ...

    def fetch_recording(self, recording_sid: str) -> tuple[bytes, str]:
        """Return a recording's audio and its content type."""
        ...

    def delete_recording(self, recording_sid: str) -> None:
        """Delete a recording at Twilio (done when it is already gone)."""
        ...


class _ApiUrlHttpClient(TwilioHttpClient):
    """twilio-python's own HTTP client, pointed at `api_url` instead of https://api.twilio.com.

    twilio-python builds every URL from the hard-coded https://api.twilio.com, then hands it to
    its HTTP client: rewriting that prefix here is the one place where the host can change while
    the requests stay exactly the ones twilio-python makes (path, form, headers, auth).
    """

    def __init__(self, api_url: str, timeout: float):
        super().__init__(timeout=timeout)  # a (connect, read) timeout on every request
        self.api_url = api_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        """Send twilio-python's request to `api_url`."""
        return super().request(method, self.to_api_url(url), *args, **kwargs)

    def to_api_url(self, url: str) -> str:
        """Rewrite a https://api.twilio.com URL to `api_url`."""
        if url.startswith(TWILIO_API_URL + "/"):
            return self.api_url + url[len(TWILIO_API_URL) :]
        return url

    def get_bytes(self, url: str, auth: tuple[str, str]) -> requests.Response:
        """GET a binary resource (twilio-python's Response keeps only the decoded text)."""
        return self.session.get(self.to_api_url(url), auth=auth, timeout=self.timeout, allow_redirects=True)


_RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")


class TwilioTransport:
    """Send through Twilio's REST API with twilio-python's client (to `api_url` if given).

    Requests time out after `timeout` seconds so that a hanging API cannot hold the worker, and
    every failure becomes a `SendError` (see there for what it says).
    """

    name = "twilio"  # what each outbox row it carried says

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        api_url: str = TWILIO_API_URL,
        timeout: float = 10.0,
    ):
        self.account_sid = account_sid
        self.from_number = from_number
        self.api_url = api_url.rstrip("/")
        self._http = _ApiUrlHttpClient(self.api_url, timeout)
        # The client reads TWILIO_EDGE/TWILIO_REGION from `environment` and rewrites the host with
        # them. It uses `environment or os.environ`, so an empty dict would still read os.environ:
        # a non-empty mapping without those keys is what keeps stray variables out.
        self._client = Client(
            account_sid,
            auth_token,
            http_client=self._http,
            environment={"TWILIO_ACCOUNT_SID": account_sid},
        )

    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        """Send an SMS from the hotline's number and return its SID."""
        with _send_errors():
            message = self._client.messages.create(
                to=to, from_=self.from_number, body=body, status_callback=status_callback
            )
            return _sid(message.sid)

    def place_call(self, to: str, twiml: str, status_callback: str | None) -> str:
        """Call `to` from the hotline's number with inline TwiML and return the call's SID."""
        with _send_errors():
            call = self._client.calls.create(
                to=to,
                from_=self.from_number,
                twiml=twiml,
                # No StatusCallbackEvent: Twilio then reports `completed` (with its final status),
                # and Twilio's OpenAPI schema refuses a single event as a non-array form field.
                status_callback=status_callback,
            )
            return _sid(call.sid)

    def fetch_recording(self, recording_sid: str) -> tuple[bytes, str]:
        """Download a recording as MP3 with the account's credentials."""
        _check_recording_sid(recording_sid)
        url = f"{TWILIO_API_URL}/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}.mp3"
        with _send_errors():
            response = self._http.get_bytes(url, auth=self._client.auth)
        if response.status_code != 200:
            raise _status_error(response.status_code, _error_code(response), "recording fetch failed")
        return response.content, response.headers.get("Content-Type", "audio/mpeg")

    def delete_recording(self, recording_sid: str) -> None:
        """Delete a recording at Twilio; one that is already gone counts as deleted."""
        _check_recording_sid(recording_sid)
        try:
            with _send_errors():
                self._client.recordings(recording_sid).delete()
        except SendError as error:
            if error.status != 404:
                raise


class ConsoleTransport:
    """Log sends instead of making them: the embedded default, without a Twilio account."""

    name = "console"

    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        """Log the SMS (without its body) and return a made-up SID."""
        sid = _console_sid()
        log.info("console SMS %s to %s, %d characters", sid, phones.mask(to), len(body))
        return sid

    def place_call(self, to: str, twiml: str, status_callback: str | None) -> str:
        """Log the call and return a made-up SID."""
        sid = _console_sid()
        log.info("console call %s to %s", sid, phones.mask(to))
        return sid

    def fetch_recording(self, recording_sid: str) -> tuple[bytes, str]:
        """Fail: the console keeps no recordings."""
        raise SendError("the console transport has no recordings", permanent=True)

    def delete_recording(self, recording_sid: str) -> None:
        """Do nothing: the console keeps no recordings."""


def _console_sid() -> str:
    return "CONSOLE" + secrets.token_hex(16)


def _sid(sid: str | None) -> str:
    if not sid:  # a 2xx without a SID: something answered, but we cannot tell what happened
        raise SendError("Twilio answered without a SID", permanent=False, ambiguous=True)
    return sid


def _check_recording_sid(recording_sid: str) -> None:
    # It comes from a webhook form: it must not be able to point anywhere else in the API.
    if not _RECORDING_SID.fullmatch(recording_sid):
        raise SendError("not a recording SID", permanent=True)


@contextmanager
def _send_errors():
    """Turn whatever twilio-python or requests raise into a SendError."""
    try:
        yield
    except SendError:
        raise
    except (TwilioRestException, TwilioServiceException) as error:
        # twilio-python uses the HTTP status as the code when the body has none
        code = error.code if isinstance(error.code, int) and error.code != error.status else None
        message = error.msg if isinstance(error, TwilioRestException) else error.title
        raise _status_error(error.status, code, message) from error
    except requests.RequestException as error:
        if never_sent(error):
            raise SendError(f"could not connect: {error}", permanent=False) from error
        # a read timeout, or a reset after the request went out: Twilio may have taken it
        raise SendError(f"no answer: {error}", permanent=False, ambiguous=True) from error
    except ValueError as error:  # a 2xx whose body is not Twilio's JSON
        raise SendError(f"unreadable answer: {error}", permanent=False, ambiguous=True) from error
    except TwilioException as error:
        raise SendError(scrub(str(error)), permanent=True) from error


def never_sent(error: requests.RequestException) -> bool:
    """Tell whether the request cannot have reached Twilio (refused, unknown host, TLS failed)."""
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)


def _status_error(status: int, code: int | None, message: str) -> SendError:
    """Classify a Twilio answer with an error status."""
    text = scrub(f"HTTP {status}" + (f", Twilio error {code}" if code else "") + f": {message}")
    if status == 429:
        return SendError(text, permanent=False, code=code, status=status, throttled=True)
    if status >= 500:
        return SendError(text, permanent=False, code=code, status=status, ambiguous=True)
    if status == 408:  # the server gave up waiting for our request: it was not taken
        return SendError(text, permanent=False, code=code, status=status)
    return SendError(text, permanent=True, code=code, status=status, opted_out=code == OPTED_OUT)


def _error_code(response: requests.Response) -> int | None:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


# ---------------------------------------------------------------------------------------------
# Phone numbers in logs
# ---------------------------------------------------------------------------------------------

_PHONE_IN_TEXT = re.compile(r"\+?\d[\d ]{5,18}\d")


def scrub(text: str) -> str:
    """Mask the phone numbers in an error text (Twilio's messages quote the `To` number)."""
    return _PHONE_IN_TEXT.sub(lambda m: phones.mask(m.group().replace(" ", "")), text)
