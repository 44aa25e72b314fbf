"""The simulator as a phone, through its endpoints: a voice message left in it is kept where the hotline fetches
recordings and plays through the hotline's own link; a call nobody answers rings out after the hotline's ring
timeout on the hotline's clock (not the wall's), as Twilio's does, and shows as not reached."""

from __future__ import annotations

import io
import wave
from urllib.parse import urlsplit

import pytest
from flask import url_for

from hotline.channels.twilio import RING_SECONDS
from hotline.channels.voice import voice_message_token
from hotline.extensions import db
from hotline.models import Outbox, OutStatus, Status
from hotline.worker import Worker
from simulator import calls
from tests.simulator.test_routes import LIU, WANG, newest_request, post


def test_a_voice_message_left_in_the_simulator_plays_through_the_hotline(console_app, sim):
    menu = post(sim, "call", {"phone": WANG})
    beep = post(sim, "step", {"call": menu["call"], "action": "press", "value": "1"})
    post(sim, "step", {"call": beep["call"], "action": "record", "value": "需要大米一袋，鸡蛋十个"})
    made = newest_request(console_app, requester_phone=WANG)
    with console_app.test_request_context():
        link = url_for("voice.voice_message", token=voice_message_token(made.number))

    heard = sim.get(urlsplit(link).path)
    assert heard.status_code == 200 and heard.mimetype == "audio/wav"
    with wave.open(io.BytesIO(heard.data)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    assert seconds == pytest.approx(len("需要大米一袋，鸡蛋十个") * calls.SYLLABLE_SECONDS)  # a syllable a character
    transport = console_app.extensions["transport"]
    transport.delete_recording(made.recording_sid)  # as the purge does
    assert sim.get(urlsplit(link).path).status_code == 404


def test_a_message_that_is_all_silence_is_still_a_short_recording():
    with wave.open(io.BytesIO(calls.murmur("   "))) as audio:
        assert audio.getnframes() == int(calls.SAMPLE_RATE * calls.SYLLABLE_SECONDS)
    with wave.open(io.BytesIO(calls.murmur("好" * 10_000))) as audio:  # a long one is cut at a minute
        assert audio.getnframes() / audio.getframerate() <= calls.MAX_MESSAGE_SECONDS


def test_an_unanswered_call_rings_out_after_the_hotlines_ring_timeout_on_its_clock(console_app, sim, clock):
    liu = newest_request(console_app, requester_phone=LIU, status=Status.ASSIGNED)
    post(sim, "sms", {"phone": liu.volunteer.phone, "body": f"接 {liu.number}"})
    Worker(console_app).tick()  # places the call that tells Liu, and the day's check-in call
    ringing = [i for i in sim.get(f"/simulator/api/feed?phone={LIU}").json["items"] if i["ringing"]]
    assert len(ringing) == 2 and {i["status"] for i in ringing} == {"ringing"}

    clock.advance(seconds=RING_SECONDS // 2)  # half the time: still ringing
    feed = sim.get(f"/simulator/api/feed?phone={LIU}").json["items"]
    assert [i["id"] for i in feed if i["ringing"]] == [i["id"] for i in ringing]

    clock.advance(seconds=RING_SECONDS // 2)  # the ring timeout has passed
    feed = {i["id"]: i for i in sim.get(f"/simulator/api/feed?phone={LIU}").json["items"]}
    for call in ringing:
        assert not feed[call["id"]]["ringing"] and feed[call["id"]]["status"] == "missed_again", feed[call["id"]]
    with console_app.app_context():
        for call in ringing:
            row = db.session.get(Outbox, call["id"])
            assert row.status == OutStatus.QUEUED and "no-answer" in row.last_error  # placed again later
    everyone = sim.get("/simulator/api/activity").json["items"]
    assert not any(i["ringing"] for i in everyone)
    assert post(sim, "decline", {"phone": LIU, "message": ringing[0]["id"]}, status=409)  # no longer ringing
