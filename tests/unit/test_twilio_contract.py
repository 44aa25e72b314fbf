"""Our REST requests, made by the real TwilioTransport, against a mock of Twilio's own OpenAPI
document (Stoplight Prism with --errors: a request Twilio's schema refuses is answered 422)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from hotline.channels.twilio import TwilioTransport
from hotline.worker import call_twiml
from tests.helpers import free_port
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER

ROOT = Path(__file__).resolve().parents[2]
PRISM = ROOT / "tools" / "prism" / "node_modules" / ".bin" / "prism"
SPEC = ROOT.parent / "shared" / "twilio-oai" / "twilio_api_v2010.json"
CALLBACK = "https://hotline.example.org/twilio/status"

pytestmark = pytest.mark.xdist_group("prism")


@pytest.fixture(scope="module")
def twilio_schema():
    """Prism serving Twilio's 2010-04-01 API from its OpenAPI document."""
    if not SPEC.exists():
        pytest.skip(f"Twilio's OpenAPI document is not at {SPEC}")
    if not PRISM.exists():
        pytest.skip(f"Prism is not installed at {PRISM}: `make test` installs it (npm ci in tools/prism)")
    port = free_port()
    proc = subprocess.Popen(
        [str(PRISM), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 120
    for line in proc.stdout:
        if "Prism is listening" in line:
            break
        if time.time() > deadline:
            proc.kill()
            pytest.fail("Prism did not start within 120 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def transport(twilio_schema):
    return TwilioTransport(ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, api_url=twilio_schema, timeout=10)


@pytest.mark.parametrize(
    "body", ["#457 你好，志愿者已接单。", "New #12 food 7-1101 Tom: rice. Reply OK 12", "米" * 1600]
)
def test_sms_are_requests_twilio_accepts(transport, body):
    assert transport.send_sms("+8613800138000", body, CALLBACK).startswith("SM")
    assert transport.send_sms("+8613800138000", body, None).startswith("SM")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_calls_are_requests_twilio_accepts(transport, lang):
    assert transport.place_call("+862160001234", call_twiml("#457", lang), CALLBACK).startswith("CA")


def test_deleting_a_recording_is_a_request_twilio_accepts(transport):
    transport.delete_recording("RE" + "0" * 32)
