"""The Twilio adapter: the real TwilioTransport against a local stand-in, signatures, TwiML."""

from __future__ import annotations

import json
import logging
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from hotline.channels.twilio import (
    VOICES,
    ConsoleTransport,
    SendError,
    TwilioTransport,
    render_sms,
    render_voice,
    validate_signature,
)
from hotline.domain import phones
from hotline.domain.replies import Dial, Gather, Hangup, Message, Pause, Record, Redirect, Say
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, TwilioStandin

RESIDENT = "+8613800138000"
CALLBACK = "https://hotline.example.org/twilio/status"

# The values the adapter uses, so that these tests run without ../shared; when twilio-node's
# enums are there, they are checked against them too.
VALID = {
    "SayLanguage": {"cmn-CN", "en-US"},
    "SayVoice": {"Polly.Zhiyu-Neural", "Polly.Joanna-Neural"},
    "GatherLanguage": {"cmn-Hans-CN", "en-US"},
}
ENUMS_FILE = Path(__file__).resolve().parents[3] / "shared" / "acceptance" / "twiml_enums.json"


def twilio_enums() -> dict[str, set[str]]:
    """Return twilio-node's TwiML enums when ../shared has them, else the literal values above."""
    if not ENUMS_FILE.exists():
        return VALID
    return {name: set(values) for name, values in json.loads(ENUMS_FILE.read_text()).items()}


@pytest.fixture
def twilio():
    with TwilioStandin(hang_seconds=3.0) as standin:
        yield standin


@pytest.fixture
def transport(twilio):
    return TwilioTransport(ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, api_url=twilio.url, timeout=1.0)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Sending through the real client
# ---------------------------------------------------------------------------------------------


def test_sms_is_sent_with_the_hotline_number_and_callback(transport, twilio):
    sid = transport.send_sms(RESIDENT, "您的请求 #12 已收到", CALLBACK)

    [post] = twilio.posts("Messages")
    assert post.status == 201
    assert sid.startswith("SM") and len(sid) == 34
    assert post.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert post.params["To"] == RESIDENT
    assert post.params["From"] == HOTLINE_NUMBER
    assert post.params["Body"] == "您的请求 #12 已收到"
    assert post.params["StatusCallback"] == CALLBACK


def test_sms_without_callback_sends_none(transport, twilio):
    transport.send_sms(RESIDENT, "hello", None)

    [post] = twilio.posts("Messages")
    assert "StatusCallback" not in post.params


def test_call_carries_the_twiml_and_asks_for_the_completed_event(transport, twilio):
    twiml = render_voice((Say("您好", "zh"), Hangup()))

    sid = transport.place_call(RESIDENT, twiml, CALLBACK)

    [post] = twilio.posts("Calls")
    assert sid.startswith("CA")
    assert post.params["Twiml"] == twiml
    assert post.params["To"] == RESIDENT
    assert post.params["From"] == HOTLINE_NUMBER
    assert post.params["StatusCallback"] == CALLBACK
    assert "StatusCallbackEvent" not in post.lists  # Twilio's default: the final status only


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_is_transient_and_ambiguous(transport, twilio, status):
    twilio.faults.append(status)

    with pytest.raises(SendError) as caught:
        transport.send_sms(RESIDENT, "hello", None)

    error = caught.value
    assert (error.permanent, error.ambiguous, error.throttled, error.status) == (False, True, False, status)


def test_throttled_is_transient_and_not_ambiguous(transport, twilio):
    twilio.faults.append(429)

    with pytest.raises(SendError) as caught:
        transport.send_sms(RESIDENT, "hello", None)

    error = caught.value
    assert (error.permanent, error.throttled, error.ambiguous, error.status) == (False, True, False, 429)


def test_hanging_api_times_out_as_transient_and_ambiguous(transport, twilio):
    twilio.faults.append("hang")

    with pytest.raises(SendError) as caught:  # past the hang the stand-in would have taken it: no error
        transport.send_sms(RESIDENT, "hello", None)

    assert (caught.value.permanent, caught.value.ambiguous, caught.value.status) == (False, True, None)


def test_reset_after_sending_is_transient_and_ambiguous(transport, twilio):
    twilio.faults.append("reset")

    with pytest.raises(SendError) as caught:
        transport.send_sms(RESIDENT, "hello", None)

    assert (caught.value.permanent, caught.value.ambiguous) == (False, True)


def test_opted_out_is_permanent(transport, twilio):
    twilio.faults.append(("error", 400, 21610))

    with pytest.raises(SendError) as caught:
        transport.send_sms(RESIDENT, "hello", None)

    error = caught.value
    assert (error.permanent, error.opted_out, error.code, error.status) == (True, True, 21610, 400)


def test_invalid_number_is_permanent_and_not_logged_in_clear(transport, twilio):
    with pytest.raises(SendError) as caught:
        transport.send_sms("+86 138 0013 8000", "hello", None)

    error = caught.value
    assert (error.permanent, error.opted_out, error.ambiguous, error.code) == (True, False, False, 21211)
    assert "0013" not in str(error)  # Twilio's message quotes the number


@pytest.mark.parametrize(("body", "code"), [("", 21602), ("x" * 1601, 21617)])
def test_bad_body_is_permanent(transport, body, code):
    with pytest.raises(SendError) as caught:
        transport.send_sms(RESIDENT, body, None)

    assert (caught.value.permanent, caught.value.code) == (True, code)


def test_fault_for_one_number_leaves_others_alone(transport, twilio):
    twilio.faults_for["+8613900139000"] = [503]

    assert transport.send_sms(RESIDENT, "first", None).startswith("SM")
    with pytest.raises(SendError):
        transport.send_sms("+8613900139000", "second", None)


def test_refused_connection_is_transient_and_not_ambiguous():
    transport = TwilioTransport(
        ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, api_url=f"http://127.0.0.1:{unused_port()}", timeout=1.0
    )

    with pytest.raises(SendError) as caught:
        transport.send_sms(RESIDENT, "hello", None)

    assert (caught.value.permanent, caught.value.ambiguous, caught.value.status) == (False, False, None)


def test_edge_and_region_variables_do_not_move_requests(monkeypatch, twilio):
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    transport = TwilioTransport(ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, api_url=twilio.url, timeout=1.0)

    transport.send_sms(RESIDENT, "hello", None)

    assert len(twilio.posts("Messages")) == 1


def test_wrong_credentials_are_refused_by_the_standin(twilio):
    transport = TwilioTransport(ACCOUNT_SID, "wrong", HOTLINE_NUMBER, api_url=twilio.url, timeout=1.0)

    with pytest.raises(SendError) as caught:
        transport.send_sms(RESIDENT, "hello", None)

    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert twilio.posts("Messages")[0].status == 401


def test_recording_is_fetched_and_deleted(transport, twilio):
    sid = twilio.add_recording(b"ID3 fake mp3")

    audio, content_type = transport.fetch_recording(sid)
    transport.delete_recording(sid)

    assert (audio, content_type) == (b"ID3 fake mp3", "audio/mpeg")
    assert twilio.deleted == [sid]
    assert [(s.method, s.path) for s in twilio.sent] == [
        ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.mp3"),
        ("DELETE", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.json"),
    ]


def test_missing_recording_cannot_be_fetched_but_counts_as_deleted(transport, twilio):
    gone = "RE" + "0" * 32

    with pytest.raises(SendError) as caught:
        transport.fetch_recording(gone)
    transport.delete_recording(gone)

    assert (caught.value.permanent, caught.value.status) == (True, 404)
    assert [s.status for s in twilio.sent] == [404, 404]


def test_recording_sid_from_outside_cannot_reach_elsewhere(transport, twilio):
    with pytest.raises(SendError) as caught:
        transport.fetch_recording("../Messages")

    assert caught.value.permanent
    assert twilio.sent == []


def test_console_transport_logs_masked_numbers(caplog):
    console = ConsoleTransport()

    with caplog.at_level(logging.INFO, logger="hotline.channels.twilio"):
        sid = console.send_sms(RESIDENT, "hello", None)
        call = console.place_call(RESIDENT, "<Response/>", None)

    assert sid.startswith("CONSOLE") and len(sid) == 39 and call != sid
    assert "+86*******8000" in caplog.text
    assert RESIDENT not in caplog.text
    with pytest.raises(SendError) as caught:
        console.fetch_recording("RE" + "0" * 32)
    assert caught.value.permanent
    assert console.delete_recording("RE" + "0" * 32) is None


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+8613800138000", "+86*******8000"),
        ("+14155550100", "+1******0100"),
        ("+35312345678", "+353****5678"),
        ("13800138000", "*******8000"),
        ("110", "***"),
        ("+861234", "+**1234"),  # too short to show the country code too
    ],
)
def test_mask_phone(number, masked):
    assert phones.mask(number) == masked


# ---------------------------------------------------------------------------------------------
# Webhook signatures
# ---------------------------------------------------------------------------------------------

URL = "https://hotline.example.org/twilio/sms"
FORM = {"From": RESIDENT, "To": HOTLINE_NUMBER, "Body": "买菜", "MessageSid": "SM" + "1" * 32}


def sign(url: str, params) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


def test_signature_accepted():
    assert validate_signature(AUTH_TOKEN, URL, FORM, sign(URL, FORM))


def test_signature_with_port_accepted():
    assert validate_signature(AUTH_TOKEN, URL, FORM, sign("https://hotline.example.org:443/twilio/sms", FORM))


def test_signature_of_flask_form_accepted():
    form = MultiDict(FORM)
    assert validate_signature(AUTH_TOKEN, URL, form, sign(URL, FORM))


@pytest.mark.parametrize(
    ("token", "params", "signature"),
    [
        (AUTH_TOKEN, FORM, "wrong"),
        (AUTH_TOKEN, FORM, ""),
        (AUTH_TOKEN, FORM | {"Body": "买药"}, sign(URL, FORM)),
        (AUTH_TOKEN, FORM | {"Extra": "1"}, sign(URL, FORM)),
        ("", FORM, RequestValidator("").compute_signature(URL, FORM)),
    ],
    ids=["wrong", "missing", "changed-param", "added-param", "no-token"],
)
def test_signature_rejected(token, params, signature):
    assert not validate_signature(token, URL, params, signature)


# ---------------------------------------------------------------------------------------------
# TwiML
# ---------------------------------------------------------------------------------------------


def parse(twiml: str) -> ET.Element:
    root = ET.fromstring(twiml)
    assert root.tag == "Response"
    return root


def test_literal_values_are_in_twilio_enums():
    if not ENUMS_FILE.exists():
        pytest.skip("../shared/acceptance/twiml_enums.json is not here")
    enums = twilio_enums()
    for name, values in VALID.items():
        assert values <= enums[name], name


@pytest.mark.parametrize("lang", sorted(VOICES))
def test_voice_table_values_are_valid(lang):
    enums = twilio_enums()
    settings = VOICES[lang]
    assert settings.say_language in enums["SayLanguage"]
    assert settings.say_voice in enums["SayVoice"]
    assert settings.gather_language in enums["GatherLanguage"]


def test_mandarin_say_is_slow_with_a_mandarin_voice():
    [say] = parse(render_voice((Say("请按1", "zh"),)))

    assert say.tag == "Say"
    assert say.attrib == {"language": "cmn-CN", "voice": "Polly.Zhiyu-Neural"}
    [prosody] = say
    assert (prosody.tag, prosody.attrib, prosody.text) == ("prosody", {"rate": "85%"}, "请按1")


def test_english_say_uses_an_english_voice():
    [say] = parse(render_voice((Say("Press 1", "en"),)))

    assert say.attrib["language"] == "en-US"
    assert say.attrib["voice"] in twilio_enums()["SayVoice"]
    assert say.attrib["voice"].startswith("Polly.Joanna")


def test_unknown_language_is_spoken_as_mandarin():
    [say] = parse(render_voice((Say("?", "fr"),)))

    assert say.attrib["language"] == "cmn-CN"


def test_gather_with_speech():
    gather_verb = Gather(
        action="https://hotline.example.org/twilio/voice/menu",
        prompts=(Say("买菜请按1", "zh"), Pause(2)),
        lang="zh",
        timeout=10,
        num_digits=1,
        speech=True,
        hints=("买菜", "药", "帮忙"),
        action_on_empty=True,
    )

    [gather] = parse(render_voice((gather_verb,)))

    assert gather.tag == "Gather"
    assert gather.attrib == {
        "input": "dtmf speech",
        "action": "https://hotline.example.org/twilio/voice/menu",
        "method": "POST",
        "timeout": "10",
        "numDigits": "1",
        "finishOnKey": "#",
        "language": "cmn-Hans-CN",
        "speechTimeout": "auto",
        "hints": "买菜,药,帮忙",
        "actionOnEmptyResult": "true",
    }
    assert gather.attrib["language"] in twilio_enums()["GatherLanguage"]
    assert [child.tag for child in gather] == ["Say", "Pause"]
    assert gather[0].attrib["language"] == "cmn-CN"
    assert gather[1].attrib == {"length": "2"}


def test_gather_keys_only():
    [gather] = parse(render_voice((Gather(action="/next", prompts=(Say("Room", "en"),), lang="en"),)))

    assert gather.attrib["input"] == "dtmf"
    assert gather.attrib["language"] == "en-US"
    assert "speechTimeout" not in gather.attrib
    assert "hints" not in gather.attrib
    assert "numDigits" not in gather.attrib
    assert "actionOnEmptyResult" not in gather.attrib


def test_record():
    verb = Record(action="/recorded", max_length=120, timeout=5, recording_status_callback="/recording-status")

    [record] = parse(render_voice((Say("请在提示音后留言", "zh"), verb)))[1:]

    assert record.tag == "Record"
    assert record.attrib == {
        "action": "/recorded",
        "method": "POST",
        "maxLength": "120",
        "timeout": "5",
        "finishOnKey": "#",
        "playBeep": "true",
        "trim": "trim-silence",
        "recordingStatusCallback": "/recording-status",
    }


def test_dial_redirect_hangup():
    dial_verb = Dial("+8613900139000", action="/dialed", timeout=20, caller_id=HOTLINE_NUMBER)
    reply = (dial_verb, Redirect("/menu"), Hangup())

    dial, redirect, hangup = parse(render_voice(reply))

    assert dial.attrib == {"action": "/dialed", "method": "POST", "timeout": "20", "callerId": HOTLINE_NUMBER}
    [number] = dial
    assert (number.tag, number.text) == ("Number", "+8613900139000")
    assert (redirect.tag, redirect.attrib, redirect.text) == ("Redirect", {"method": "POST"}, "/menu")
    assert (hangup.tag, list(hangup)) == ("Hangup", [])


def test_voice_rejects_an_sms_verb():
    with pytest.raises(TypeError):
        render_voice((Message("hi"),))


def test_sms_messages():
    root = parse(render_sms((Message("收到 #12 <好>"), Message("second"))))

    assert [(m.tag, m.text) for m in root] == [("Message", "收到 #12 <好>"), ("Message", "second")]


def test_sms_drops_characters_xml_cannot_carry():
    [message] = parse(render_sms((Message("a\x00b\x1bc"),)))

    assert message.text == "abc"


def test_empty_sms_reply_is_an_empty_response():
    root = parse(render_sms(()))

    assert list(root) == []
    assert root.text is None
