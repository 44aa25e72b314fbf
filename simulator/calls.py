"""Twilio's voice engine, as the simulator plays it: post a call's webhooks, walk the TwiML they answer.

A call is walked verb by verb, as Twilio does: `<Say>`s are heard, `<Pause>`s pass, a `<Redirect>` is
followed at once, and a `<Gather>`, `<Record>` or `<Dial>` waits for the person at the phone. What
waits travels to the browser and back as a signed token (the leg of the call, the verb, its action and
the verbs after it), so that no call state lives in this process. Every request goes through `post`,
which takes a path under `/twilio/` and a Twilio-shaped form and returns the webhook's answer.
"""

from __future__ import annotations

import io
import math
import secrets
import wave
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

ACCOUNT_SID = "AC" + "0" * 32  # the console transport has no account: a well-formed stand-in
SAY_TO_SPEECH = {"cmn-CN": "zh-CN", "en-US": "en-US"}  # Twilio's <Say language> -> the browser's speech lang
MAX_HOPS = 12  # redirects followed in one walk; a loop of them is a bug, not a call
SIGNED_AS = "simulator-call"  # the salt of the call tokens
TOKEN_MAX_AGE = 2 * 60 * 60
VOICE_PATH = "/twilio/voice"

SAMPLE_RATE = 8000  # a phone line's
SYLLABLE_SECONDS = 0.16
MAX_MESSAGE_SECONDS = 60

Post = Callable[[str, dict[str, str]], str]
Keep = Callable[[str, bytes], None]  # keeps a recording's audio under its SID, as Twilio stores it


class CallError(ValueError):
    """The browser sent something a call cannot do (a bad token, a key where nothing listens...)."""


@dataclass(frozen=True)
class Leg:
    """Who is on the line: the call's SID, the simulated phone, the hotline, and who called whom."""

    sid: str
    phone: str
    hotline: str
    outbound: bool = False  # the hotline called the phone (a call from the outbox)

    @classmethod
    def new(cls, phone: str, hotline: str) -> Leg:
        """A new call from `phone` to the hotline."""
        return cls("CA" + secrets.token_hex(16), phone, hotline)

    def form(self, status: str = "in-progress", **extra: str) -> dict[str, str]:
        """Twilio's fields of a voice webhook for this call, and `extra`."""
        caller, callee = (self.hotline, self.phone) if self.outbound else (self.phone, self.hotline)
        return {
            "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": self.sid, "CallStatus": status,
            "Direction": "outbound-api" if self.outbound else "inbound", "From": caller, "To": callee,
            "Caller": caller, "Called": callee, **extra,
        }


@dataclass
class Walk:
    """What the phone heard in one walk, and what waits for it now (None once the call has ended)."""

    leg: Leg
    says: list[dict[str, str]] = field(default_factory=list)
    waiting: dict | None = None
    ended: bool = False

    def hear(self, say: ET.Element) -> None:
        """Note the words of a `<Say>` (inside its `<prosody>`), in their language."""
        text = " ".join("".join(say.itertext()).split())
        if text:
            language = say.get("language", "")
            self.says.append({"text": text, "lang": SAY_TO_SPEECH.get(language, language or "zh-CN")})


# --------------------------------------------------------------------------------------------
# Walking TwiML
# --------------------------------------------------------------------------------------------
def parse(xml: str) -> list[ET.Element]:
    """The verbs of a voice answer (our own TwiML); anything but a `<Response>` is an error."""
    try:
        root = ET.fromstring(xml)  # noqa: S314 - TwiML the hotline itself rendered
    except ET.ParseError as e:
        raise CallError(f"the webhook did not answer TwiML: {e}") from e
    if root.tag != "Response":
        raise CallError("the webhook did not answer TwiML")
    return list(root)


def webhook_path(url: str) -> str:
    """The path and query of a TwiML action, which must be one of the hotline's voice webhooks."""
    parts = urlsplit(url.strip())
    if parts.path != VOICE_PATH and not parts.path.startswith(VOICE_PATH + "/"):
        raise CallError("not a voice webhook")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def play(post: Post, walk: Walk, verbs: list[ET.Element]) -> Walk:
    """Walk verbs as Twilio does, following redirects, until something waits or the call ends."""
    for _ in range(MAX_HOPS):
        for i, verb in enumerate(verbs):
            if verb.tag == "Say":
                walk.hear(verb)
            elif verb.tag in ("Gather", "Record", "Dial"):
                for say in verb.iter("Say"):
                    walk.hear(say)
                walk.waiting = _waiting(verb, verbs[i + 1 :])
                return walk
            elif verb.tag == "Redirect":
                verbs = parse(post(webhook_path(verb.text or ""), walk.leg.form()))
                break
            elif verb.tag == "Hangup":
                return _ended(walk)
            # <Pause> and anything else pass by
        else:
            return _ended(walk)  # the end of a document: Twilio hangs up
    raise CallError("the call redirects in a loop")


def _ended(walk: Walk) -> Walk:
    walk.waiting, walk.ended = None, True
    return walk


def _waiting(verb: ET.Element, rest: list[ET.Element]) -> dict:
    """What a waiting verb needs of the phone, and where Twilio goes with the answer (or without one)."""
    after = "".join(ET.tostring(v, encoding="unicode") for v in rest)
    waiting = {"kind": verb.tag.lower(), "rest": f"<Response>{after}</Response>"}
    if verb.tag == "Gather":
        num_digits = verb.get("numDigits", "")
        waiting.update(
            action=webhook_path(verb.get("action", "")),
            speech="speech" in verb.get("input", ""),
            num_digits=int(num_digits) if num_digits.isdigit() else None,
            finish_on_key=verb.get("finishOnKey", "#"),
        )
    elif verb.tag == "Record":
        callback = verb.get("recordingStatusCallback")
        waiting.update(action=webhook_path(verb.get("action", "")),
                       status_callback=webhook_path(callback) if callback else None)
    else:
        number = verb.find("Number")
        waiting.update(action=webhook_path(verb.get("action", "")),
                       number=(number.text or "").strip() if number is not None else (verb.text or "").strip())
    return waiting


# --------------------------------------------------------------------------------------------
# What the phone does
# --------------------------------------------------------------------------------------------
def dial(post: Post, leg: Leg) -> Walk:
    """Call the hotline: Twilio's first request, as the call rings."""
    return play(post, Walk(leg), parse(post(VOICE_PATH, leg.form("ringing"))))


def pick_up(post: Post, leg: Leg, twiml: str) -> Walk:
    """Answer a call the hotline placed with this TwiML (the outbox renders it inline, as Twilio gets it)."""
    post("/twilio/status", leg.form("in-progress"))
    return play(post, Walk(leg), parse(twiml))


def reject(post: Post, leg: Leg) -> None:
    """Let a call from the hotline ring out: Twilio reports `no-answer`."""
    post("/twilio/status", leg.form("no-answer", CallDuration="0"))


def act(post: Post, leg: Leg, waiting: dict, action: str, value: str = "", keep: Keep | None = None) -> Walk:
    """Do `action` at what waits: press keys, speak, stay silent, leave a message, answer a dial, hang up."""
    walk = Walk(leg)
    kind = waiting["kind"]
    if action == "hangup":
        return hang_up(post, leg, waiting, value, keep)
    if action == "silence" or (action == "record" and not value.strip()):
        if kind == "dial":
            raise CallError("a dial does not wait in silence")
        return play(post, walk, parse(waiting["rest"]))  # no input: Twilio goes on (an empty message too)
    if action in ("press", "speak") and kind == "gather":
        if action == "speak" and not waiting.get("speech"):
            raise CallError("this menu does not listen for words")
        extra = {"Digits": value, "FinishedOnKey": ""} if action == "press" else {
            "SpeechResult": value, "Confidence": "0.92"}
        return play(post, walk, parse(post(waiting["action"], leg.form(**extra))))
    if action == "record" and kind == "record":
        extra = _recording(post, leg, waiting, value, keep)
        return play(post, walk, parse(post(waiting["action"], leg.form(**extra, Digits="#"))))
    if action == "dial" and kind == "dial":
        if value not in ("completed", "no-answer", "busy"):
            raise CallError("a dial ends completed, no-answer or busy")
        extra = {"DialCallStatus": value, "DialCallDuration": "42" if value == "completed" else "0"}
        return play(post, walk, parse(post(waiting["action"], leg.form(**extra))))
    raise CallError(f"cannot {action} at a {kind}")


def hang_up(post: Post, leg: Leg, waiting: dict | None, message: str = "", keep: Keep | None = None) -> Walk:
    """Hang up: at a `<Record>` Twilio still posts its action (`Digits=hangup`); nobody hears its answer."""
    if waiting is not None and waiting["kind"] == "record":
        extra = _recording(post, leg, waiting, message, keep) if message.strip() else {}
        post(waiting["action"], leg.form("completed", **extra, Digits="hangup"))
    return _ended(Walk(leg))  # its status callback follows, as for every call that ends


def finish(post: Post, leg: Leg) -> None:
    """The call is over: Twilio's status callback says `completed`."""
    post("/twilio/status", leg.form("completed", CallDuration="60"))


def _recording(post: Post, leg: Leg, waiting: dict, message: str, keep: Keep | None) -> dict[str, str]:
    """A made-up recording of a typed message, kept where the hotline fetches it: Twilio's stored-recording
    callback first, then its fields."""
    sid = "RE" + secrets.token_hex(16)
    audio = murmur(message)
    if keep is not None:
        keep(sid, audio)
    seconds = str(max(1, round(_seconds(audio))))
    fields = {"RecordingSid": sid, "RecordingDuration": seconds,
              "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"}
    if waiting.get("status_callback"):
        post(waiting["status_callback"], leg.form(**fields, RecordingStatus="completed", RecordingSource="RecordVerb"))
    return fields


# --------------------------------------------------------------------------------------------
# The token the browser holds while something waits
# --------------------------------------------------------------------------------------------
def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SIGNED_AS)


def seal(secret: str, walk: Walk) -> str | None:
    """Sign what the browser needs to go on with the call (None once it has ended)."""
    if walk.ended or walk.waiting is None:
        return None
    leg = walk.leg
    return _serializer(secret).dumps({"leg": [leg.sid, leg.phone, leg.hotline, leg.outbound], "wait": walk.waiting})


def unseal(secret: str, token: object) -> tuple[Leg, dict | None]:
    """Read a token this app signed; raise CallError for anything else."""
    if not isinstance(token, str) or not token or len(token) > 8000:
        raise CallError("no call")
    try:
        data = _serializer(secret).loads(token, max_age=TOKEN_MAX_AGE)
        sid, phone, hotline, outbound = data["leg"]
        leg = Leg(str(sid), str(phone), str(hotline), bool(outbound))
        waiting = data["wait"]
    except (BadSignature, KeyError, TypeError, ValueError) as e:
        raise CallError("not a call of this simulator") from e
    if waiting is not None and not isinstance(waiting, dict):
        raise CallError("not a call of this simulator")
    return leg, waiting


# --------------------------------------------------------------------------------------------
# The sound of a typed voice message
# --------------------------------------------------------------------------------------------
def murmur(message: str) -> bytes:
    """A WAV file standing for a typed message as it would be said: a soft tone per character, its pitch
    rising and falling with the words (no speech synthesis on the server: it says that a message is there)."""
    frames = bytearray()
    per_syllable = int(SAMPLE_RATE * SYLLABLE_SECONDS)
    for char in message.strip()[: int(MAX_MESSAGE_SECONDS / SYLLABLE_SECONDS)] or " ":
        pitch = 0.0 if char.isspace() or char in "，。,.!?！？、" else 180 + (ord(char) % 7) * 20
        for i in range(per_syllable):
            fade = math.sin(math.pi * i / per_syllable)  # no click between syllables
            value = 0.35 * fade * math.sin(2 * math.pi * pitch * i / SAMPLE_RATE)
            frames.append(int(128 + 127 * value))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)  # 8-bit unsigned, as a phone line carries it
        w.setframerate(SAMPLE_RATE)
        w.writeframes(bytes(frames))
    return out.getvalue()


def _seconds(audio: bytes) -> float:
    with wave.open(io.BytesIO(audio)) as w:
        return w.getnframes() / w.getframerate()
