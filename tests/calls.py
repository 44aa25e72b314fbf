"""A phone calling the hotline, walked as Twilio's voice engine walks the TwiML.

`Caller` plays the phone and Twilio's voice engine together: it dials, hears every <Say>, stops
at a <Gather>, <Record> or <Dial> until the test says what the caller does there, follows
<Redirect>s, and checks every document it gets (root, verbs, languages, voices, timeouts).
"""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from urllib.parse import urljoin, urlsplit

from tests.helpers import BASE, sign
from tests.twilio_standin import ACCOUNT_SID, HOTLINE_NUMBER

STRANGER = "+8613700009999"

# The only values the hotline may use (all in twilio-node's enums, see tests/unit/test_twilio_adapter.py).
SAY_LANGUAGES = {"cmn-CN", "en-US"}
SAY_VOICES = {"Polly.Zhiyu-Neural", "Polly.Joanna-Neural"}
GATHER_LANGUAGES = {"cmn-Hans-CN", "en-US"}
VOICE_OF = {"cmn-CN": "Polly.Zhiyu-Neural", "en-US": "Polly.Joanna-Neural"}
VERBS = {"Say", "Pause", "Gather", "Record", "Redirect", "Dial", "Hangup"}
NOUNS = {"prosody", "Number"}


def is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def digits_said(text: str) -> list[str]:
    """Numbers said digit by digit (`4、5、7`, `4, 5, 7`) or whole, as written in the spoken text."""
    return [re.sub(r"\D", "", m) for m in re.findall(r"\d(?:[、,，]?\s?\d)*", text)]


def check_twiml(xml: str) -> ET.Element:
    """Parse a voice answer and check it as Twilio would, with the project's few allowed values."""
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    for el in root.iter():
        if el is root:
            continue
        assert el.tag in VERBS | NOUNS, f"unexpected <{el.tag}>"
        if el.tag == "Say":
            assert el.get("language") in SAY_LANGUAGES and el.get("voice") == VOICE_OF[el.get("language")]
            assert "".join(el.itertext()).strip(), "an empty <Say>"
        if el.tag == "Gather":
            assert el.get("language") in GATHER_LANGUAGES
            assert int(el.get("timeout")) >= 8
            assert el.get("input") in ("dtmf", "dtmf speech")
            assert el.get("action", "").startswith(BASE + "/twilio/voice")
        if el.tag == "Record":
            assert 60 <= int(el.get("maxLength")) <= 120 and el.get("finishOnKey") == "#"
        if el.tag == "Dial":
            assert el.get("action") and int(el.get("timeout")) >= 15
    return root


class Caller:
    """A phone calling the hotline, walked as Twilio's voice engine walks the TwiML."""

    def __init__(self, client, number: str):
        self.client, self.number = client, number
        self.sid = "CA" + secrets.token_hex(16)
        self.says: list[tuple[str, str]] = []  # (text, Say language), everything heard in order
        self.waiting: tuple[ET.Element, str] | None = None  # the <Gather>/<Record>/<Dial> and its document's URL
        self.ended = False
        self.beep_at: int | None = None  # index in `says` where the last <Record> began
        self.last_post: tuple[str, dict] | None = None
        self.last_xml = ""
        self.posts = 0
        self.outbound = False  # the hotline called this phone (a call from the outbox)

    # -- what the caller does ------------------------------------------------------------------
    def dial(self) -> Caller:
        """Call the hotline: Twilio's first request, as it rings."""
        self._go(BASE + "/twilio/voice", {}, status="ringing")
        return self

    def answer(self, twiml: str, sid: str | None = None) -> Caller:
        """Pick up a call the hotline placed to this phone, with the TwiML the outbox rendered for it."""
        self.outbound = True
        self.sid = sid or self.sid
        check_twiml(twiml)
        self._play(list(ET.fromstring(twiml)), BASE + "/twilio/voice")
        return self

    def press(self, keys: str) -> Caller:
        """Press keys at the waiting <Gather> (its finish key ends them and is not sent)."""
        gather, url = self._at("Gather")
        finish = gather.get("finishOnKey", "#")
        digits = keys.split(finish)[0] if finish and finish in keys else keys
        if gather.get("numDigits"):
            digits = digits[: int(gather.get("numDigits"))]
        ended = finish if finish and finish in keys else ""
        self._go(urljoin(url, gather.get("action")), {"Digits": digits, "FinishedOnKey": ended})
        return self

    def say(self, words: str) -> Caller:
        """Speak at the waiting <Gather> (it must listen for speech)."""
        gather, url = self._at("Gather")
        assert "speech" in gather.get("input", ""), "this <Gather> does not listen"
        self._go(urljoin(url, gather.get("action")), {"SpeechResult": words, "Confidence": "0.91"})
        return self

    def silence(self) -> Caller:
        """Say and press nothing: Twilio goes on to the next verb (an empty <Record> makes no request)."""
        element, url = self.waiting or (None, None)
        assert element is not None and element.tag in ("Gather", "Record"), "nothing is waiting"
        self.waiting = None
        self._play(self._rest, url)
        return self

    def record(self, seconds: int) -> Caller:
        """Leave a voice message of that length at the waiting <Record>, ended with `#`."""
        rec, url = self._at("Record")
        recording = "RE" + secrets.token_hex(16)
        self.recording_sid = recording
        self._recording_status(rec, url, recording, seconds)
        self._go(urljoin(url, rec.get("action")), {
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording}",
            "RecordingSid": recording, "RecordingDuration": str(seconds), "Digits": "#"})
        return self

    def hang_up(self) -> Caller:
        """Hang up: at a <Record>, Twilio still posts its action with `Digits=hangup` (not played)."""
        element, url = self.waiting or (None, None)
        if element is not None and element.tag == "Record":
            recording = "RE" + secrets.token_hex(16)
            self.recording_sid = recording
            self._recording_status(element, url, recording, 4)
            params = {"RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording}",
                      "RecordingSid": recording, "RecordingDuration": "4", "Digits": "hangup"}
            self._post(urljoin(url, element.get("action")), params, status="completed")
        self.waiting, self.ended = None, True
        self._post(BASE + "/twilio/status", {"CallDuration": "30"}, status="completed", twiml=False)
        return self

    def dial_outcome(self, status: str) -> Caller:
        """The person the hotline dialled answered (`completed`) or not (`no-answer`, `busy`)."""
        dial, url = self._at("Dial")
        self._go(urljoin(url, dial.get("action")), {"DialCallStatus": status, "DialCallDuration": "0"})
        return self

    def again(self) -> str:
        """Send the last request once more, as Twilio does on a retry; return the answer."""
        url, params, status = self.last_post
        return self._post(url, params, status)

    # -- what the caller heard -----------------------------------------------------------------
    @property
    def text(self) -> str:
        return "\n".join(text for text, _ in self.says)

    @property
    def before_beep(self) -> list[tuple[str, str]]:
        return self.says if self.beep_at is None else self.says[: self.beep_at]

    @property
    def after_beep(self) -> str:
        return "\n".join(text for text, _ in self.says[self.beep_at :]) if self.beep_at is not None else ""

    def heard_since(self, mark: int) -> str:
        return "\n".join(text for text, _ in self.says[mark:])

    @property
    def waits_for(self) -> str | None:
        return self.waiting[0].tag if self.waiting else None

    # -- Twilio's side -------------------------------------------------------------------------
    def _at(self, tag: str) -> tuple[ET.Element, str]:
        assert self.waiting is not None and self.waiting[0].tag == tag, f"not at a <{tag}>: {self.waits_for}"
        element, url = self.waiting
        self.waiting = None
        return element, url

    def _params(self, status: str) -> dict[str, str]:
        if self.outbound:  # From is the hotline, To the phone that was called
            return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": self.sid, "CallStatus": status,
                    "Called": self.number, "Caller": HOTLINE_NUMBER, "Direction": "outbound-api",
                    "From": HOTLINE_NUMBER, "FromCountry": "US", "To": self.number, "ToCountry": "CN"}
        return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": self.sid, "CallStatus": status,
                "Called": HOTLINE_NUMBER, "Caller": self.number, "Direction": "inbound", "From": self.number,
                "FromCountry": "CN", "To": HOTLINE_NUMBER, "ToCountry": "US"}

    def _post(self, url: str, extra: dict, status: str = "in-progress", twiml: bool = True) -> str:
        params = {**self._params(status), **extra}
        parts = urlsplit(url)
        assert url.startswith(BASE), url
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.post(path, data=params, headers={"X-Twilio-Signature": sign(url, params)})
        self.posts += 1
        if not twiml:
            assert response.status_code in (200, 204)
            return ""
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        self.last_post = (url, extra, status)
        self.last_xml = response.get_data(as_text=True)
        check_twiml(self.last_xml)
        return self.last_xml

    def _go(self, url: str, extra: dict, status: str = "in-progress") -> None:
        xml = self._post(url, extra, status)
        self._play(list(ET.fromstring(xml)), url)

    def _play(self, verbs: list[ET.Element], url: str) -> None:
        for i, verb in enumerate(verbs):
            if verb.tag == "Say":
                self._hear(verb)
            elif verb.tag == "Gather":
                for child in verb:
                    if child.tag == "Say":
                        self._hear(child)
                self.waiting, self._rest = (verb, url), verbs[i + 1 :]
                return
            elif verb.tag == "Record":
                self.beep_at = len(self.says)
                self.waiting, self._rest = (verb, url), verbs[i + 1 :]
                return
            elif verb.tag == "Dial":
                self.waiting, self._rest = (verb, url), verbs[i + 1 :]
                return
            elif verb.tag == "Redirect":
                self._go(urljoin(url, verb.text.strip()), {})
                return
            elif verb.tag == "Hangup":
                self.ended = True
                return
        self.ended = True  # the end of a document: Twilio hangs up

    def _hear(self, say: ET.Element) -> None:
        self.says.append(("".join(say.itertext()).strip(), say.get("language")))

    def _recording_status(self, rec: ET.Element, url: str, recording: str, seconds: int) -> None:
        callback = rec.get("recordingStatusCallback")
        if callback:
            self._post(urljoin(url, callback), {"RecordingSid": recording, "RecordingStatus": "completed",
                                                "RecordingDuration": str(seconds), "RecordingSource": "RecordVerb"},
                       twiml=False)
